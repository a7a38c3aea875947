"""The weekly schedule and the inbox sensor (DESIGN 9).

* ``weekly_report_schedule``: every Monday 06:00 in the reporting time zone, rebuild the
  previous week's marts and report.
* ``inbox_sensor``: new or changed files in the inbox start the ingest job; once ingest has
  queued weeks whose facts changed (``raw.pending_weeks``), it starts the weekly job for that
  range of weeks. The weekly report asset empties the queue for the weeks it published.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import dagster as dg
import duckdb

from assets.delivery.marts import WeekRange, stale_weeks, week_of
from assets.ingest.loader import INPUT_SUFFIXES
from assets.settings import Settings
from assets.warehouse import open_warehouse

INBOX_KINDS = ("deployments", "incidents", "inventory")
SENSOR_INTERVAL_SECONDS = 60


def previous_week(scheduled: dt.datetime) -> dt.date:
    """The Monday of the week before the one ``scheduled`` falls in (local dates)."""
    return week_of(scheduled.date()) - dt.timedelta(weeks=1)


def build_weekly_report_schedule(job: dg.UnresolvedAssetJobDefinition, timezone: str):
    """Monday 06:00 (reporting time zone): last week's marts and report."""

    @dg.schedule(
        job=job,
        cron_schedule="0 6 * * 1",
        execution_timezone=timezone,
        name="weekly_report_schedule",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    def weekly_report_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        week = previous_week(context.scheduled_execution_time)
        return dg.RunRequest(run_key=f"week-{week.isoformat()}", partition_key=week.isoformat())

    return weekly_report_schedule


def inbox_files(inbox: Path) -> dict[str, list[int]]:
    """Input files in the inbox's kind folders, with (mtime in ns, size) to notice changes."""
    found = {}
    for kind in INBOX_KINDS:
        folder = inbox / kind
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix.lower() in INPUT_SUFFIXES:
                stat = path.stat()
                found[str(path.relative_to(inbox))] = [stat.st_mtime_ns, stat.st_size]
    return found


def _stale_weeks(settings: Settings) -> WeekRange | bool | None:
    """Weeks waiting for the weekly job; False when the warehouse is busy."""
    if not settings.warehouse_path.exists():
        return None
    try:
        with open_warehouse(settings, read_only=True) as conn:
            return stale_weeks(conn, settings)
    except duckdb.IOException:  # a run holds the write lock: look again next tick
        return False


def build_inbox_sensor(
    settings: Settings,
    ingest_job: dg.UnresolvedAssetJobDefinition,
    weekly_job: dg.UnresolvedAssetJobDefinition,
):
    """Ingest new inbox files; then rebuild the weeks their facts changed."""

    @dg.sensor(
        name="inbox_sensor",
        jobs=[ingest_job, weekly_job],
        minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def inbox_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        seen = json.loads(context.cursor) if context.cursor else {}
        files = inbox_files(settings.inbox_path)
        changed = sorted(name for name, stamp in files.items() if seen.get(name) != stamp)
        if changed:
            digest = hashlib.sha256(json.dumps([[n, files[n]] for n in changed]).encode())
            return dg.SensorResult(
                run_requests=[
                    dg.RunRequest(
                        run_key=f"inbox-{digest.hexdigest()[:16]}",
                        job_name=ingest_job.name,
                        tags={"release-health/new-files": str(len(changed))},
                    )
                ],
                cursor=json.dumps(files),
            )
        weeks = _stale_weeks(settings)
        if weeks is False:
            return dg.SkipReason("the warehouse is being written; looking again next tick")
        if weeks is None:
            return dg.SkipReason("no new inbox files and no weeks waiting")
        first, last = weeks.first, weeks.last
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(
                    run_key=f"weeks-{first}-{last}-{context.cursor and len(context.cursor)}",
                    job_name=weekly_job.name,
                    tags={
                        "dagster/asset_partition_range_start": first.isoformat(),
                        "dagster/asset_partition_range_end": last.isoformat(),
                    },
                )
            ]
        )

    return inbox_sensor
