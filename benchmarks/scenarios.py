"""One benchmark scenario per call, run in its own process by ``benchmarks.run``.

Usage: python -m benchmarks.scenarios NAME WORKDIR
Prints one JSON object of timings (seconds, measured inside the process around the work
itself, imports excluded) on its last line.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

#: the five years as the weekly run's inbox holds them (the warehouses of ``full`` were loaded
#: from there, as a team's are): the same file as history.csv, linked
INBOX_HISTORY = Path("cli-run", "inbox", "deployments", "history.csv")
HISTORY_ROWS = 1_000_000
SERVICES = 200
HISTORY_WEEKS = 260  # five years
NEW_WEEK_ROWS = HISTORY_ROWS // HISTORY_WEEKS


def _settings(work: Path, name: str):
    from assets.settings import parse_settings

    for stale in work.glob(f"{name}.duckdb*"):
        stale.unlink()
    return parse_settings(
        {"warehouse": str(work / f"{name}.duckdb"), "reports_dir": str(work / f"{name}-reports")}
    )


def _timed(step: Callable[[], object]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def floor(work: Path) -> dict[str, float]:
    """DuckDB's own CSV reader loading the same file into a table: the floor."""
    import duckdb

    target = work / "floor.duckdb"
    target.unlink(missing_ok=True)
    with duckdb.connect(str(target)) as conn:
        seconds = _timed(
            lambda: conn.execute(
                "CREATE TABLE deployments AS SELECT * FROM read_csv($path)",
                {"path": str(work / "history.csv")},
            )
        )
    return {"seconds": seconds}


def _warm(validate: bool) -> None:
    """Import what the steps will import: imports are outside every in-process figure (GX's
    included, and the modules the loader imports on first use); then take the long-lived
    objects out of the garbage collector's way, as `release-health run` does once it has
    imported."""
    import pyarrow.dataset  # noqa: F401  (DuckDB's reader of Arrow tables)

    import assets.ingest.adapters  # noqa: F401
    from data_contracts.validate import warm_up

    if validate:
        warm_up()
    gc.freeze()


def _ingest(work: Path, name: str, validate: bool) -> tuple[object, object, float]:
    from assets.ingest.contract import validate_batches
    from assets.ingest.loader import ingest_paths
    from assets.warehouse import connect

    settings = _settings(work, name)
    conn = connect(settings.warehouse_path)
    _warm(validate)
    seconds = _timed(
        lambda: ingest_paths(
            conn,
            [(work / INBOX_HISTORY).resolve()],  # the path the weekly run reads it from
            settings,
            kind="deployments",
            validator=validate_batches if validate else None,
        )
    )
    return conn, settings, seconds


def ingest(work: Path) -> dict[str, float]:
    """Parse, contract (SQL predicates), quarantine and upsert 1M rows."""
    conn, _, seconds = _ingest(work, "ingest", validate=False)
    conn.close()
    return {"seconds": seconds}


def ingest_checked(work: Path) -> dict[str, float]:
    """The same with Great Expectations' check of record on every row."""
    conn, _, seconds = _ingest(work, "ingest_gx", validate=True)
    conn.close()
    return {"seconds": seconds}


def full(work: Path) -> dict[str, float]:
    """Ingest (with the check of record), classify and build every weekly mart and the drift
    marts over five years; keep the warehouse. ``as_the_script`` is the part the pandas
    script also does (ingest, classify, delivery_weekly)."""
    from assets.delivery.marts import (
        WEEKLY_MARTS,
        classify_change_failures,
        data_weeks,
        load_benchmarks,
        rebuild_mart,
    )
    from assets.drift.marts import build_drift_marts

    conn, settings, ingest_seconds = _ingest(work, "full", validate=True)
    load_benchmarks(conn)
    classify = _timed(lambda: classify_change_failures(conn, settings))
    weeks = data_weeks(conn, settings)
    marts = {
        table: _timed(lambda t=table: rebuild_mart(conn, t, weeks, settings))
        for table in WEEKLY_MARTS
    }
    drift = _timed(lambda: build_drift_marts(conn, settings))
    conn.execute("DELETE FROM raw.pending_weeks")
    conn.close()
    return {
        "ingest": ingest_seconds,
        "classify": classify,
        "delivery_weekly": marts["delivery_weekly"],
        "as_the_script": ingest_seconds + classify + marts["delivery_weekly"],
        "all_marts": sum(marts.values()),
        "drift": drift,
        "seconds": ingest_seconds + classify + sum(marts.values()) + drift,
    }


def incremental(work: Path) -> dict[str, float]:
    """One new week onto the five-year warehouse of ``full``, step by step as ``run`` does it:
    load (with the check of record), classify, rebuild the weekly and drift marts, render the
    week and the Data Docs. ``seconds`` is the data work up to the marts; ``as_the_script``
    its part that the pandas script also does (ingest, classify, delivery_weekly)."""
    from assets.delivery.marts import (
        WEEKLY_MARTS,
        changed_since,
        classify_change_failures,
        rebuild_mart,
        stale_weeks,
    )
    from assets.drift.marts import build_drift_marts
    from assets.ingest.contract import validate_batches
    from assets.ingest.loader import ingest_paths
    from assets.reporting.build import build_weekly_report
    from assets.reporting.data_docs import publish_validations
    from assets.warehouse import connect
    from reports.publish import publish_weekly

    settings = _settings(work, "incremental")
    shutil.copy(work / "full.duckdb", settings.warehouse_path)
    conn = connect(settings.warehouse_path)
    _warm(validate=True)
    steps: dict[str, float] = {}
    started = time.perf_counter()
    steps["ingest"] = _timed(
        lambda: ingest_paths(
            conn,
            [work / "new-week.csv"],
            settings,
            kind="deployments",
            validator=validate_batches,
        )
    )
    since = changed_since(conn, settings)
    steps["classify"] = _timed(lambda: classify_change_failures(conn, settings, since))
    weeks = stale_weeks(conn, settings)
    marts = {
        table: _timed(lambda t=table: rebuild_mart(conn, t, weeks, settings))
        for table in WEEKLY_MARTS
    }
    steps["marts"] = sum(marts.values())
    # the part of the week's work the pandas script also does (it computes delivery_weekly)
    steps["as_the_script"] = steps["ingest"] + steps["classify"] + marts["delivery_weekly"]
    steps["drift"] = _timed(lambda: build_drift_marts(conn, settings))
    marts_done = time.perf_counter()
    steps["report"] = _timed(
        lambda: publish_weekly(
            build_weekly_report(conn, settings, weeks.last), settings.reports_path
        )
    )
    steps["data_docs"] = _timed(lambda: publish_validations(conn, settings.reports_path))
    steps["seconds"] = marts_done - started
    steps["weeks_rebuilt"] = len(weeks.weeks)
    conn.close()
    return steps


def _render(work: Path, warehouse: Path) -> dict[str, float]:
    """Build and publish the last full week's report from (a copy of) ``warehouse``."""
    from assets.delivery.marts import data_weeks
    from assets.reporting.build import build_weekly_report
    from assets.warehouse import connect
    from reports.publish import publish_weekly

    settings = _settings(work, "render")
    shutil.copy(warehouse, settings.warehouse_path)
    with connect(settings.warehouse_path) as conn:
        week = data_weeks(conn, settings).last - dt.timedelta(weeks=1)
        seconds = _timed(
            lambda: publish_weekly(build_weekly_report(conn, settings, week), settings.reports_path)
        )
    return {"seconds": seconds}


def render(work: Path) -> dict[str, float]:
    """One week's report from the five-year warehouse of ``full``."""
    return _render(work, work / "full.duckdb")


def render_large(work: Path) -> dict[str, float]:
    """One week's report from the 10M warehouse of ``run.py --large``."""
    return _render(work, work / "large" / "warehouse.duckdb")


def pandas(work: Path) -> dict[str, float]:
    """The pandas script over the five years."""
    from benchmarks.pandas_baseline import delivery_weekly, read_deployments

    return {"seconds": _timed(lambda: delivery_weekly(read_deployments([work / "history.csv"])))}


def pandas_rerun(work: Path) -> dict[str, float]:
    """The pandas script re-run over the five years plus the new week."""
    from benchmarks.pandas_baseline import delivery_weekly, read_deployments

    paths = [work / "history.csv", work / "new-week.csv"]
    return {"seconds": _timed(lambda: delivery_weekly(read_deployments(paths)))}


SCENARIOS = {
    f.__name__: f
    for f in (
        floor,
        ingest,
        ingest_checked,
        full,
        incremental,
        render,
        render_large,
        pandas,
        pandas_rerun,
    )
}


def prepare(work: Path) -> None:
    """The inputs: five years of deployments and one more week."""
    from benchmarks.generate import write_deployments

    work.mkdir(parents=True, exist_ok=True)
    if not (work / "history.csv").exists():
        write_deployments(
            work / "history.csv", HISTORY_ROWS, services=SERVICES, weeks=HISTORY_WEEKS
        )
    # the very same file, so every scenario reads the same cached pages
    inbox_history = work / INBOX_HISTORY
    if not (inbox_history.exists() and inbox_history.samefile(work / "history.csv")):
        inbox_history.unlink(missing_ok=True)
        inbox_history.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(work / "history.csv", inbox_history)
        except OSError:  # a file system without hard links
            shutil.copy2(work / "history.csv", inbox_history)
    if not (work / "new-week.csv").exists():
        write_deployments(
            work / "new-week.csv",
            NEW_WEEK_ROWS,
            services=SERVICES,
            weeks=1,
            offset=HISTORY_ROWS * 10,
            first_week=HISTORY_WEEKS,
        )


if __name__ == "__main__":
    name, folder = sys.argv[1], Path(sys.argv[2])
    print(json.dumps(SCENARIOS[name](folder)))
