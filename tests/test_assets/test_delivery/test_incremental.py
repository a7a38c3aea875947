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


def classified_in_full(conn, settings) -> tuple[list, list]:
    """The outcomes of a full classification, every stored one cleared first."""
    conn.execute(
        "UPDATE staging.deployments"
        " SET is_rollback = false, is_change_failure = false, failure_reason = NULL"
    )
    classify_change_failures(conn, settings)
    return outcomes(conn)


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


def test_a_forgotten_incident_unlinks_its_deployment_as_a_full_classification_does(
    tmp_path, write_input, make_settings
):
    """An incident that names an older deployment (before the one the incremental pass
    starts from) is forgotten: the pass, from the incident's week, must clear that
    deployment's incident_linked too."""
    from assets.ingest.file_states import forget_file

    deployments = write_input(
        "deployments.csv",
        "deployment_id,service,environment,version,status,started_at\n"
        "d1,api,prod,1.0,succeeded,2024-01-02T10:00:00Z\n"
        "d2,api,prod,1.1,succeeded,2024-02-06T10:00:00Z\n"
        "d3,api,prod,1.2,succeeded,2024-03-05T10:00:00Z\n",
    )
    incidents = write_input(
        "incidents.csv",
        "incident_id,service,opened_at,resolved_at,deployment_id\n"
        "i1,api,2024-03-06T10:00:00Z,2024-03-06T12:00:00Z,d1\n",
        kind="incidents",
    )
    settings = make_settings(warehouse=str(tmp_path / "w.duckdb"))
    with connect(settings.warehouse_path) as conn:
        ingest_paths(conn, [deployments, incidents], settings)
        classify_change_failures(conn, settings)
        linked = outcomes(conn)
        conn.execute("DELETE FROM raw.pending_weeks")  # the weekly marts would consume them
        forget_file(conn, settings, str(incidents))
        since = changed_since(conn, settings)
        classify_change_failures(conn, settings, since)
        incremental = outcomes(conn)
        full = classified_in_full(conn, settings)

    assert linked[0][0] == ("d1", False, True, "incident_linked")
    assert since.date() == dt.date(2024, 3, 4)
    assert incremental == full
    assert {row[3] for row in incremental[0]} == {None}


def test_a_rollback_past_two_deployments_that_started_together_fails_the_later_one(
    tmp_path, write_input, make_settings
):
    """d1 and d2 started at the same moment: the version history orders them by id, so d2
    ran last. A later return to d1's version (d3) is a rollback that replaced d2, whether the
    pass starts before them (a full one) or after them (d2 is then the context)."""
    history = write_input(
        "history.csv",
        "deployment_id,service,environment,version,status,started_at\n"
        "d2,api,prod,2.0,succeeded,2024-01-02T10:00:00Z\n"
        "d1,api,prod,1.0,succeeded,2024-01-02T10:00:00Z\n",
    )
    later = write_input(
        "later.csv",
        "deployment_id,service,environment,version,status,started_at\n"
        "d3,api,prod,1.0,succeeded,2024-03-05T10:00:00Z\n",
    )
    settings = make_settings(warehouse=str(tmp_path / "w.duckdb"))
    with connect(settings.warehouse_path) as conn:
        ingest_paths(conn, [history], settings)
        classify_change_failures(conn, settings)
        conn.execute("DELETE FROM raw.pending_weeks")  # the weekly marts would consume them
        ingest_paths(conn, [later], settings)
        since = changed_since(conn, settings)
        classify_change_failures(conn, settings, since)
        incremental = outcomes(conn)
        full = classified_in_full(conn, settings)

    assert since.date() == dt.date(2024, 3, 4)
    assert incremental[0] == [
        ("d1", False, False, None),
        ("d2", False, True, "rolled_back_by_later_deploy"),
        ("d3", True, False, None),
    ]
    assert incremental == full
