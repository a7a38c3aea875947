"""The weekly schedule and the inbox sensor (README: Dagster).

* ``weekly_report_schedule``: every Monday 06:00 in the reporting time zone, rebuild the
  previous week's marts and report.
* ``inbox_sensor``: new or changed files in the inbox (by content: the SHA-256 of each file's
  bytes, so a rewrite of the same size in the same second is still a change, and a touch is
  not) start the ingest job; once ingest has
  queued weeks whose facts changed (``raw.pending_weeks``), it starts the weekly job for that
  range of weeks. That run's ``raw/pending_weeks`` asset takes its weeks off the queue.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import stat
from pathlib import Path

import dagster as dg

from assets.ingest.assets import INBOX_TAG
from assets.ingest.loader import INPUT_SUFFIXES
from assets.settings import Settings
from assets.warehouse import WarehouseBusy, open_warehouse
from assets.weeks import previous_week
from pipelines.rebuild import Rebuild, plan_rebuild

INBOX_KINDS = ("deployments", "incidents", "inventory", "calendar")
SENSOR_INTERVAL_SECONDS = 60
HASH_CHUNK_BYTES = 1_048_576
#: run keys are this many hex digits of a SHA-256
RUN_KEY_DIGITS = 16
#: a regular file is opened without following a link or waiting on a FIFO put in its place
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def build_weekly_report_schedule(job: dg.UnresolvedAssetJobDefinition, timezone: str):
    """Monday 06:00 (reporting time zone): last week's marts and report."""

    @dg.schedule(
        job=job,
        cron_schedule="0 6 * * 1",
        execution_timezone=timezone,
        name="weekly_report_schedule",
        description="Every Monday 06:00 in the reporting time zone: the previous week's marts "
        "and report (a week with no data is not published).",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    def weekly_report_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        # the scheduled time is in the reporting time zone: its date is the local one
        week = previous_week(context.scheduled_execution_time.date())
        return dg.RunRequest(run_key=f"week-{week.isoformat()}", partition_key=week.isoformat())

    return weekly_report_schedule


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprint(path: Path) -> str | None:
    """The SHA-256 of a regular file's bytes. A link or special file is not opened (ingest
    refuses it, by name): its fingerprint is what it is. None when the file has gone."""
    try:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            return _sha256(f"link:{os.readlink(path)}")
        if not stat.S_ISREG(mode):
            return _sha256(f"special:{stat.S_IFMT(mode)}")
        handle = os.open(path, _OPEN_FLAGS)
    except (FileNotFoundError, OSError):
        return None
    digest = hashlib.sha256()
    with os.fdopen(handle, "rb") as stream:
        if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            return _sha256("special:replaced")
        while chunk := stream.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def inbox_files(inbox: Path) -> dict[str, str]:
    """Input files in the inbox's kind folders, each with the SHA-256 of its content."""
    found = {}
    for kind in INBOX_KINDS:
        folder = inbox / kind
        if not folder.is_dir() or folder.is_symlink():
            continue
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() not in INPUT_SUFFIXES or path.is_dir():
                continue
            digest = fingerprint(path)
            if digest is not None:
                found[str(path.relative_to(inbox))] = digest
    return found


def _waiting_rebuild(settings: Settings, first_week: dt.date | None) -> Rebuild | None:
    """What the weekly job should rebuild now (:func:`plan_rebuild` without a report week);
    None when the warehouse is busy."""
    if not settings.is_lake and not settings.warehouse_path.exists():
        return Rebuild(None)
    try:
        # a sensor tick never waits: the next tick looks again
        with open_warehouse(settings, read_only=True, wait_seconds=0) as conn:
            return plan_rebuild(conn, settings, first_partition=first_week)
    except WarehouseBusy:  # a run holds the write lock: look again next tick
        return None


def build_inbox_sensor(
    settings: Settings,
    ingest_job: dg.UnresolvedAssetJobDefinition,
    weekly_job: dg.UnresolvedAssetJobDefinition,
    first_week: dt.date | None = None,
    team: str | None = None,
):
    """Ingest new inbox files; then rebuild the weeks their facts changed. Weeks before
    ``first_week`` (the first partition when the code location loaded) wait for a reload.

    With ``team``, the sensor of that team's inbox (``inboxes``): its ingest runs read that
    folder only (tag ``release-health/inbox``), and the weekly runs are left to the main
    ``inbox_sensor``, so each range of weeks is requested once.
    """
    inbox = settings.team_inboxes[team] if team else settings.inbox_path
    name = f"inbox_sensor_{team}" if team else "inbox_sensor"
    where = f"team {team}'s inbox {inbox}" if team else f"the inbox {inbox}"

    @dg.sensor(
        name=name,
        jobs=[ingest_job] if team else [ingest_job, weekly_job],
        minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Starts an ingest run when a file in {where} is new or its content changed"
        + (
            "."
            if team
            else "; then a weekly run for the weeks whose facts changed (raw.pending_weeks)."
        ),
    )
    def inbox_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        seen = json.loads(context.cursor) if context.cursor else {}
        files = inbox_files(inbox)
        changed = sorted(name for name, stamp in files.items() if seen.get(name) != stamp)
        if changed:
            # the inbox as last seen plus the new contents: a file changed back to an earlier
            # content is a new key too, and the same contents seen twice never are
            digest = _sha256(json.dumps([context.cursor or "", [[n, files[n]] for n in changed]]))
            return dg.SensorResult(
                run_requests=[
                    dg.RunRequest(
                        run_key=f"inbox-{team + '-' if team else ''}{digest[:RUN_KEY_DIGITS]}",
                        job_name=ingest_job.name,
                        tags={
                            "release-health/new-files": str(len(changed)),
                            **({INBOX_TAG: team} if team else {}),
                        },
                    )
                ],
                cursor=json.dumps(files),
            )
        if team:
            return dg.SkipReason(f"no new files in {where}")
        plan = _waiting_rebuild(settings, first_week)
        if plan is None:
            return dg.SkipReason("the warehouse is being written; looking again next tick")
        if plan.weeks is None and plan.waiting is None:
            return dg.SkipReason("no new inbox files and no weeks waiting")
        for line in plan.left_out:
            context.log.warning(line)
        if plan.weeks is None:
            # the partitions were fixed when the code location loaded; older weeks need a reload
            waiting = plan.waiting
            return dg.SkipReason(
                f"weeks {waiting.first} .. {waiting.last} wait for a code location reload"
            )
        first, last = plan.weeks.first, plan.weeks.last
        seen_inbox = _sha256(context.cursor or "")[:RUN_KEY_DIGITS]
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(
                    run_key=f"weeks-{first}-{last}-{seen_inbox}",
                    job_name=weekly_job.name,
                    tags={
                        "dagster/asset_partition_range_start": first.isoformat(),
                        "dagster/asset_partition_range_end": last.isoformat(),
                    },
                )
            ]
        )

    return inbox_sensor
