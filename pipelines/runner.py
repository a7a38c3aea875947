"""Running the asset graph in process: ingest, then the affected weeks and the archive.

A run has two steps because the weeks to rebuild are only known after ingest: new files
queue the weeks whose facts changed (``raw.pending_weeks``), and the weekly marts and reports
are then materialised for that range of partitions in one run (which empties the queue).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from assets.delivery.marts import data_weeks, queue_weeks
from assets.ingest.file_report import error_without_name
from assets.ingest.file_states import held_files
from assets.reporting.assets import BI_PUBLISH, PARTIAL_WEEK_TAG, refused_weeks
from assets.warehouse import held_open, open_warehouse
from assets.weeks import WeekRange, iso_week
from pipelines.config import Settings
from pipelines.definitions import INGEST_JOB, WEEKLY_JOB, build_definitions
from pipelines.instance import dagster_instance
from pipelines.rebuild import plan_rebuild

Log = Callable[[str], None]
#: the CLI prints its own progress; Dagster's event log stays in the instance (and the UI)
#: (step failures included: the CLI names the files and checks behind them in one line each)
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass
class RunOutcome:
    success: bool
    weeks: WeekRange | None = None
    reports: list[Path] = field(default_factory=list)
    archive: Path | None = None
    problems: list[str] = field(default_factory=list)


def _problems(result: dg.ExecuteInProcessResult) -> list[str]:
    problems = [
        f"check {evaluation.asset_key.to_user_string()}:{evaluation.check_name} failed"
        + (f": {evaluation.description}" if evaluation.description else "")
        for evaluation in result.get_asset_check_evaluations()
        if not evaluation.passed
    ]
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data:
            error = event.step_failure_data.error
            message = error.message.strip().splitlines()[-1] if error else "failed"
            problems.append(f"step {event.step_key} failed: {message}")
    return problems


def _file_problems(settings: Settings, since: dt.datetime) -> list[str]:
    """One line per file that stops the run: every held file, and files failed in this run."""
    with open_warehouse(settings) as conn:
        held = held_files(conn)
        failed = conn.execute(
            "SELECT path, error FROM raw.ingested_files"
            " WHERE status = 'failed' AND ingested_at >= $since ORDER BY path",
            {"since": since},
        ).fetchall()
    return [f"held: {f.path}: {error_without_name(f.path, f.error)}" for f in held] + [
        f"failed: {path}: {error_without_name(path, error)}" for path, error in failed
    ]


def weeks_to_rebuild(
    settings: Settings,
    *,
    week: dt.date | None,
    backfill: bool,
    today: dt.date,
    log: Log = lambda message: None,
) -> tuple[WeekRange | None, dt.date | None]:
    """(the weeks to rebuild, the report week a reader wants), as :func:`plan_rebuild`
    decides them on the warehouse after ingest; ``log`` says when weeks are left out."""
    with open_warehouse(settings) as conn:
        plan = plan_rebuild(conn, settings, week=week, backfill=backfill, today=today)
    for line in plan.left_out:
        log(line)
    return plan.weeks, plan.report_week


def _loaded_summary(settings: Settings, since: dt.datetime) -> str:
    with open_warehouse(settings) as conn:
        files, read, rejected, duplicate, failed = conn.execute(
            "SELECT count(*), coalesce(sum(rows_read), 0), coalesce(sum(rows_rejected), 0),"
            " coalesce(sum(rows_duplicate), 0), count(*) FILTER (status = 'failed')"
            " FROM raw.ingested_files WHERE ingested_at >= $since",
            {"since": since},
        ).fetchone()
    if not files:
        return "no new inbox files"
    return (
        f"loaded {files} file(s): {read} row(s) read, {rejected} rejected, {duplicate} duplicate"
        + (f", {failed} file(s) failed (see `release-health status`)" if failed else "")
    )


def _notify(settings: Settings, week: dt.date, event: str, log: Log) -> None:
    """Send the notifications a run calls for; a failure is logged, never raised."""
    from assets.notify.deliver import notify_after_run, notify_week

    if not settings.notify.urls:
        return
    try:
        with open_warehouse(settings) as conn:
            if event == "after_run":
                deliveries = notify_after_run(conn, settings, week)
            else:
                deliveries = notify_week(conn, settings, week, event)
    except Exception as exc:
        log(f"notification for {iso_week(week)} not sent: {exc}")
        return
    for delivery in deliveries:
        if not delivery.ok:
            log(f"notification to {delivery.destination} failed: {delivery.error}")


def run_pipeline(
    settings: Settings,
    *,
    week: dt.date | None = None,
    backfill: bool = False,
    today: dt.date | None = None,
    instance: dg.DagsterInstance | None = None,
    partial: bool = False,
    log: Log = lambda message: None,
) -> RunOutcome:
    """Materialise everything: ingest the inbox, rebuild the affected weeks, publish.

    The runs are recorded in ``instance``, by default the persistent one of
    :func:`dagster_instance`, so the Dagster UI shows what the command line built. The week
    under way is published only with ``partial`` (and then says so); empty and future weeks
    never are.
    """
    with held_open(settings):  # its twenty-odd steps each connect
        if instance is not None:
            return _run(settings, week, backfill, today, instance, partial, log)
        with dagster_instance(settings) as persistent:
            return _run(settings, week, backfill, today, persistent, partial, log)


def _run(
    settings: Settings,
    week: dt.date | None,
    backfill: bool,
    today: dt.date | None,
    instance: dg.DagsterInstance,
    partial: bool,
    log: Log,
) -> RunOutcome:
    defs = build_definitions(settings)
    started = dt.datetime.now(tz=dt.UTC)
    if backfill:
        # every week counts as changed: deployments are classified again from the start
        with open_warehouse(settings) as conn:
            span = data_weeks(conn, settings)
            if span:
                queue_weeks(conn, span)
    log("ingesting the inbox and classifying deployments")
    result = defs.resolve_job_def(INGEST_JOB).execute_in_process(
        instance=instance, raise_on_error=False, run_config=QUIET
    )
    if not result.success:
        problems = _file_problems(settings, started)
        if any(problem.startswith("held: ") for problem in problems):
            _notify(settings, week or dt.date.today(), "held_file", log)
        return RunOutcome(False, problems=problems or _problems(result))
    log(_loaded_summary(settings, started))
    weeks, report_week = weeks_to_rebuild(
        settings, week=week, backfill=backfill, today=today or dt.date.today(), log=log
    )
    if weeks is None:
        log("no production deployments yet: nothing to report")
        return RunOutcome(True)
    log(f"rebuilding {len(weeks.weeks)} week(s): {weeks.label}")
    # built again: the ingest may have brought weeks before the first partition
    defs = build_definitions(settings)
    result = defs.resolve_job_def(WEEKLY_JOB).execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config=QUIET,
        tags={
            "dagster/asset_partition_range_start": weeks.first.isoformat(),
            "dagster/asset_partition_range_end": weeks.last.isoformat(),
            **({PARTIAL_WEEK_TAG: "true"} if partial else {}),
        },
    )
    if not result.success:
        return RunOutcome(False, weeks=weeks, problems=_problems(result))
    _notify(settings, report_week or weeks.last, "after_run", log)
    refused = refused_weeks(result.get_asset_observation_events())
    for message in refused.values():
        log(f"{message}: not published")
    if settings.publish.postgres:
        # the weekly job's reports/bi_publish step made the copy; the CLI only says so
        for event in result.get_asset_materialization_events():
            if event.asset_key == BI_PUBLISH:
                tables = event.materialization.metadata["tables"].value
                schema = settings.publish.schema_name
                log(f"published {tables} mart table(s) to the BI schema {schema}")
    reports_dir = settings.reports_path
    reports = [reports_dir / iso_week(w) / "index.html" for w in weeks.weeks if w not in refused]
    if report_week is not None and report_week not in refused:
        # the report a reader wants comes last, so it is what the CLI prints
        wanted = reports_dir / iso_week(report_week) / "index.html"
        reports = [r for r in reports if r != wanted] + [wanted]
    return RunOutcome(True, weeks=weeks, reports=reports, archive=reports_dir / "index.html")
