"""An incremental drift build gives exactly what a full one gives.

The sample organisation is loaded in steps (all but its last weeks, then the rest, then a
late file of an early week, then a file taken out); after each step the drift marts are
brought up to date incrementally and compared, row for row, with a rebuild of every day.
"""

import datetime as dt

import pytest

from assets.drift.marts import DRIFT_MARTS, build_drift_marts
from assets.ingest.file_states import forget_file
from assets.ingest.loader import ingest_paths
from assets.sample.organisation import write_sample_organisation
from assets.settings import parse_settings
from assets.warehouse import connect

END = dt.date(2026, 11, 22)


def marts(conn) -> dict[str, list[tuple]]:
    return {
        table: conn.execute(f"SELECT * FROM marts.{table} ORDER BY ALL").fetchall()
        for table in DRIFT_MARTS
    }


def assert_equals_a_rebuild(conn, settings) -> None:
    incremental = marts(conn)
    build_drift_marts(conn, settings, rebuild=True)
    assert marts(conn) == incremental


@pytest.mark.parametrize("with_inventory", [True, False], ids=["captures", "sundays"])
def test_incremental_drift_equals_a_rebuild_of_every_day(tmp_path, with_inventory):
    summary = write_sample_organisation(tmp_path / "inbox", weeks=16, seed=3, end=END)
    files = [f for f in summary.files if f.parent.name in ("deployments", "inventory")]
    if not with_inventory:
        files = [f for f in files if f.parent.name == "deployments"]
    late = {f for f in files if f.stem.endswith(("W46", "W47"))}
    early = min(f for f in files if f.parent.name == "deployments")  # its first week's log
    first = sorted(set(files) - late - {early})
    settings = parse_settings({"warehouse": str(tmp_path / "w.duckdb")})
    with connect(settings.warehouse_path) as conn:
        ingest_paths(conn, first, settings)
        assert build_drift_marts(conn, settings)["recomputed_from"] == dt.date.min.toordinal()
        kept = conn.execute("SELECT max(as_of) FROM marts.drift").fetchone()[0]

        # the last two weeks land: only the days from just before them are recomputed
        ingest_paths(conn, sorted(late), settings)
        counts = build_drift_marts(conn, settings)
        recomputed_from = dt.date.fromordinal(counts["recomputed_from"])
        assert kept - dt.timedelta(days=3) <= recomputed_from <= kept + dt.timedelta(days=1)
        assert_equals_a_rebuild(conn, settings)

        # nothing changed: nothing is recomputed
        before = marts(conn)
        assert build_drift_marts(conn, settings)["recomputed_from"] == 0
        assert marts(conn) == before

        # a late file of the first week: every day from then on
        ingest_paths(conn, [early], settings)
        assert build_drift_marts(conn, settings)["recomputed_from"] < counts["recomputed_from"]
        assert_equals_a_rebuild(conn, settings)

        # a file taken out again
        forget_file(conn, settings, str(sorted(late)[0]))
        assert build_drift_marts(conn, settings)["recomputed_from"] > 0
        assert_equals_a_rebuild(conn, settings)


def test_a_later_promotion_skips_an_older_version_whose_own_history_did_not_change(
    tmp_path, write_input, make_settings
):
    """1.2.0 waits in staging (in flight) until 1.3.0, which reached staging after it, goes
    to production: 1.2.0 is then skipped, though nothing about 1.2.0 itself arrived. Taking
    1.3.0's promotion out again puts 1.2.0 back in flight.

    The promotion lands eight weeks after the history ends: without inventory every Sunday
    between is a snapshot day, built by the incremental pass as by a rebuild; taken out, it
    shortens the history, and those Sundays go again."""
    header = "deployment_id,service,environment,version,status,started_at\n"
    history = write_input(
        "history.csv",
        header + "d1,api,staging,1.1.0,succeeded,2024-01-01T10:00:00Z\n"
        "d2,api,prod,1.1.0,succeeded,2024-01-02T10:00:00Z\n"
        "d3,api,staging,1.2.0,succeeded,2024-01-03T10:00:00Z\n"
        "d4,api,staging,1.3.0,succeeded,2024-01-05T10:00:00Z\n",
    )
    promotion = write_input(
        "promotion.csv", header + "d5,api,prod,1.3.0,succeeded,2024-03-05T10:00:00Z\n"
    )
    settings = make_settings(warehouse=str(tmp_path / "w.duckdb"))

    def states(conn) -> dict[str, str]:
        return dict(conn.execute("SELECT version, state FROM marts.promotion_lag").fetchall())

    with connect(settings.warehouse_path) as conn:
        ingest_paths(conn, [history], settings)
        build_drift_marts(conn, settings)
        assert states(conn) == {"1.1.0": "promoted", "1.2.0": "in_flight", "1.3.0": "in_flight"}

        ingest_paths(conn, [promotion], settings)
        assert build_drift_marts(conn, settings)["recomputed_from"] > 0
        assert states(conn) == {"1.1.0": "promoted", "1.2.0": "skipped", "1.3.0": "promoted"}
        assert_equals_a_rebuild(conn, settings)

        forget_file(conn, settings, str(promotion))
        build_drift_marts(conn, settings)
        assert states(conn) == {"1.1.0": "promoted", "1.2.0": "in_flight", "1.3.0": "in_flight"}
        assert_equals_a_rebuild(conn, settings)
