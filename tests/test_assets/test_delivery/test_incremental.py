"""An incremental classification gives exactly what a full one gives.

The sample organisation is loaded in two steps (all but its last weeks, then the rest); the
second classification only re-reads what the new files can change. The result must equal a
full classification of everything loaded at once, row for row.
"""

import datetime as dt

from assets.delivery.marts import changed_since, classify_change_failures
from assets.ingest.loader import ingest_paths
from assets.sample.organisation import write_sample_organisation
from assets.settings import parse_settings
from assets.warehouse import connect

END = dt.date(2026, 11, 22)


def outcomes(conn) -> tuple[list, list]:
    deployments = conn.execute(
        "SELECT deployment_id, is_rollback, is_change_failure, failure_reason"
        " FROM staging.deployments ORDER BY deployment_id"
    ).fetchall()
    incidents = conn.execute(
        "SELECT incident_id, attributed_deployment_id FROM staging.incidents ORDER BY 1"
    ).fetchall()
    return deployments, incidents


def test_incremental_classification_equals_a_full_one(tmp_path):
    summary = write_sample_organisation(tmp_path / "inbox", weeks=16, seed=3, end=END)
    files = [f for f in summary.files if "inventory" not in f.name]
    late = {f for f in files if f.name.endswith(("W46.csv", "W47.csv", "W46.jsonl", "W47.jsonl"))}
    late |= {f for f in files if f.name == "incidents-2026-11.jsonl"}
    assert len(late) >= 3

    stepwise = parse_settings({"warehouse": str(tmp_path / "stepwise.duckdb")})
    with connect(stepwise.warehouse_path) as conn:
        ingest_paths(conn, sorted(set(files) - late), stepwise)
        classify_change_failures(conn, stepwise)
        conn.execute("DELETE FROM raw.pending_weeks")  # the weekly marts would consume them
        ingest_paths(conn, sorted(late), stepwise)
        since = changed_since(conn, stepwise)
        assert since is not None and since.date() >= END - dt.timedelta(weeks=4)
        classify_change_failures(conn, stepwise, since)
        incremental = outcomes(conn)

    at_once = parse_settings({"warehouse": str(tmp_path / "at_once.duckdb")})
    with connect(at_once.warehouse_path) as conn:
        ingest_paths(conn, sorted(files), at_once)
        classify_change_failures(conn, at_once)
        full = outcomes(conn)

    assert incremental == full
    reasons = {row[3] for row in full[0]}
    assert {"failed", "rolled_back_by_later_deploy", "incident_linked"} <= reasons


def test_marts_rebuilt_a_week_at_a_time_equal_one_statement(tmp_path, monkeypatch):
    from assets.delivery import marts

    write_sample_organisation(tmp_path / "inbox", weeks=16, seed=3, end=END)
    settings = parse_settings(
        {"warehouse": str(tmp_path / "w.duckdb"), "inbox_dir": str(tmp_path / "inbox")}
    )
    with connect(settings.warehouse_path) as conn:
        ingest_paths(conn, [settings.inbox_path], settings)
        marts.load_benchmarks(conn)
        classify_change_failures(conn, settings)
        weeks = marts.data_weeks(conn, settings)
        contents = {}
        for budget in (marts.WINDOW_PAIRS_PER_STATEMENT, 1):  # one statement; one per week
            monkeypatch.setattr(marts, "WINDOW_PAIRS_PER_STATEMENT", budget)
            contents[budget] = {}
            for table in marts.TRAILING_MARTS:
                marts.rebuild_mart(conn, table, weeks, settings)
                contents[budget][table] = conn.execute(
                    f"SELECT * FROM marts.{table} ORDER BY ALL"
                ).fetchall()
        assert contents[1] == contents[marts.WINDOW_PAIRS_PER_STATEMENT]
        assert len(contents[1]["delivery_summary"]) >= 16
