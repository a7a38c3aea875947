"""The ``release-health`` command line (README: Command line).

Exit codes: 0 ok, 1 a data problem (a file that could not be loaded, a failed contract), 2 a
usage or configuration error. Errors are one line with a hint; ``--debug`` shows tracebacks.
Heavy imports (Dagster, Great Expectations) happen only in the verbs that need them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from assets.weeks import iso_week, parse_iso_week
from pipelines.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    import duckdb

    from assets.ingest.loader import FileReport
    from assets.reporting.build import WeekCheck

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2
PROGRAM = "release-health"
PARTIAL_HELP = "publish the week still under way (its numbers are partial)"
DEMO_MARKER = ".release-health-demo"
#: the sample organisation needs this much history (``assets.sample.organisation.MIN_WEEKS``;
#: not imported, to keep the command line light, and pinned by a test)
MIN_SAMPLE_WEEKS = 8
#: a capture time as the readers parse it: a date, optionally a time and an offset
_TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|z|[+-]\d{2}(:?\d{2})?)?$"
)
DEMO_CONFIG = """\
# Written by `release-health demo`: the sample organisation's own workspace.
warehouse: warehouse.duckdb
inbox_dir: inbox
reports_dir: reports
# some staging deployments arrive as GitHub Actions runs of this workflow
github_actions:
  deploy_workflows: {Deploy to staging: staging}
"""


class UsageError(Exception):
    """A mistake in how the command was called (exit code 2)."""


class DataProblem(Exception):
    """The command ran, but some input could not be used (exit code 1)."""


def _say(message: str, stream: TextIO | None = None) -> None:
    print(message, file=stream or sys.stderr, flush=True)


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the current folder when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def self_command(argv0: str | None = None) -> str:
    """How to run this program again as typed in this folder: the bare name only when it is
    on PATH as this very program (after `make demo` it is ``.venv/bin/release-health``)."""
    program = Path(argv0 if argv0 is not None else sys.argv[0])
    on_path = shutil.which(PROGRAM)
    if program.name == PROGRAM and program.is_file():
        if on_path and Path(on_path).resolve() == program.resolve():
            return PROGRAM
        shown = _shown(program)
        # a path in this folder needs its ./ or a folder part to run as printed
        return shown if "/" in shown else f"./{shown}"
    if on_path:
        return PROGRAM
    # run as ``python -m pipelines.cli``: the same interpreter runs it again
    return f"{_shown(Path(sys.executable))} -m pipelines.cli"


# -- flag values: checked while parsing, so a bad one is a usage error before anything is touched


def iso_week_flag(text: str) -> dt.date:
    """``--week``: the Monday of an ISO week written ``YYYY-Www`` that exists."""

    try:
        return parse_iso_week(text)
    except ValueError as exc:
        form = "" if "YYYY-Www" in str(exc) else "; expected YYYY-Www with a week that exists"
        raise argparse.ArgumentTypeError(f"{exc}{form}") from None


def timestamp_flag(text: str) -> str:
    """``--captured-at``: an ISO-8601 date or date-time, kept as the text written."""
    value = text.strip()
    try:
        if not _TIMESTAMP.match(value):
            raise ValueError(value)
        dt.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO-8601 time; expected YYYY-MM-DD or "
            "YYYY-MM-DDTHH:MM[:SS][+HH:MM|Z], e.g. 2025-02-17T06:00:00Z"
        ) from None
    return value


def whole_number_flag(minimum: int) -> Callable[[str], int]:
    """A validator for an integer flag of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {value}")
        return value

    parse.__name__ = "whole number"  # argparse names the type in its own messages
    return parse


def _check_environment(name: str | None, settings: Settings) -> None:
    """``--environment`` must be a chain environment or an alias of one (case-insensitive)."""
    if name is None:
        return
    chain = settings.environments.chain
    aliases = settings.environments.aliases
    known = {env.lower() for env in [*chain, *aliases]}
    if name.strip().lower() not in known:
        also = f" (or an alias: {', '.join(aliases)})" if aliases else ""
        raise UsageError(
            f"argument --environment: {name!r} is not a known environment; expected one of "
            f"{', '.join(chain)}{also}"
        )


def _check_captured_at(text: str | None, settings: Settings) -> None:
    """``--captured-at`` must fall in the accepted range, or every row would be quarantined."""
    if text is None:
        return
    from zoneinfo import ZoneInfo

    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:  # read the way the readers read it: in the source time zone
        moment = moment.replace(tzinfo=ZoneInfo(settings.source_timezone))
    earliest = settings.contracts.min_timestamp_utc
    latest = dt.datetime.now(dt.UTC) + dt.timedelta(hours=settings.contracts.max_future_hours)
    if not earliest <= moment <= latest:
        raise UsageError(
            f"argument --captured-at: {text} is outside the accepted range "
            f"{earliest:%Y-%m-%d} .. now + {settings.contracts.max_future_hours:g} h"
        )


# -- verbs -----------------------------------------------------------------------------------


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from assets.ingest.loader import ingest_paths
    from assets.warehouse import open_warehouse

    paths = [Path(p) for p in args.paths]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    _check_environment(args.environment, settings)
    _check_captured_at(args.captured_at, settings)
    validator = None
    if not args.no_contract_check:
        _start_gx_worker()
        from assets.ingest.contract import validate_batches

        validator = validate_batches

    def show(report: FileReport) -> None:
        _say(_file_line(report), sys.stdout)

    started = time.perf_counter()
    with open_warehouse(settings) as conn:
        reports = ingest_paths(
            conn,
            paths,
            settings,
            kind=args.kind,
            fmt=args.format,
            environment=args.environment,
            captured_at=args.captured_at,
            validator=validator,
            progress=show,
        )
    elapsed = time.perf_counter() - started
    checked = [r for r in reports if r.contract_status not in {None, "not_run"}]
    if checked:
        passed = sum(r.contract_status == "passed" for r in checked)
        _say(f"contract check of record: {passed} of {len(checked)} file(s) passed", sys.stdout)
    rows = sum(r.rows_read for r in reports)
    failed = [r for r in reports if r.failed]
    held = [r for r in reports if r.held]
    _say(
        f"{len(reports)} file(s), {rows} row(s) read in {elapsed:.2f} s"
        f" ({rows / elapsed if elapsed else 0:,.0f} rows/s); "
        f"{len(failed)} failed, {len(held)} held by the contract",
        sys.stdout,
    )
    if held:
        _say(
            "hint: a held file's rows count nowhere until you `release-health forget FILE`"
            ' and send it again, or `release-health accept FILE --reason "..."`'
        )
    if failed or held:
        names = ", ".join(dict.fromkeys(Path(r.path).name for r in [*failed, *held]))
        raise DataProblem(f"could not use: {names} (details above; good files were loaded)")
    return EXIT_OK


def _without_name(report: FileReport) -> str | None:
    from assets.ingest.file_report import error_without_name

    return error_without_name(report.path, report.error)


def _file_line(report: FileReport) -> str:
    status = report.status
    counts = (
        f"read {report.rows_read}, accepted {report.rows_accepted}, rejected "
        f"{report.rows_rejected}, duplicate {report.rows_duplicate}"
    )
    if status in {"loaded", "empty"}:
        changes = f"; new {report.rows_inserted}, updated {report.rows_updated}"
        shown = report.contract_status not in {None, "pending"}
        contract = f"; contract {report.contract_status}" if shown else ""
        reasons = ""
        if report.reasons:
            top = ", ".join(f"{code} {n}" for code, n in list(report.reasons.items())[:3])
            reasons = f" [{top}]"
        note = f" ({report.error})" if report.error else ""
        skipped = ""
        if report.records_skipped:
            why = ", ".join(f"{code} {n}" for code, n in sorted(report.records_skipped.items()))
            skipped = f"; skipped {sum(report.records_skipped.values())} ({why})"
        return (
            f"{status:9} {report.kind:11} {report.path}: {counts}{changes}{skipped}{contract}"
            f"{reasons}{note}"
        )
    if status in {"held", "accepted"}:
        why = _without_name(report) or "accepted"
        return f"{status:9} {report.kind:11} {report.path}: {counts}; {why}"
    if status == "unchanged":
        return f"{status:9} {report.kind:11} {report.path}: already loaded (same bytes)"
    return f"{status:9} {report.kind:11} {report.path}: {_without_name(report)}"


def _check_since(text: str | None, settings: Settings) -> dt.datetime | None:
    """``--since``: a time in the accepted range and not in the future, as an aware time."""
    if text is None:
        return None
    from zoneinfo import ZoneInfo

    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:  # read the way the readers read a bare time
        moment = moment.replace(tzinfo=ZoneInfo(settings.source_timezone))
    earliest = settings.contracts.min_timestamp_utc
    if not earliest <= moment <= dt.datetime.now(dt.UTC):
        raise UsageError(
            f"argument --since: {text} is outside {earliest:%Y-%m-%d} .. now;"
            " give a past time such as 2025-01-01"
        )
    return moment.astimezone(dt.UTC)


def _collector_token(source: str, settings: Settings) -> str:
    """The token for ``source`` from the environment variable the config names."""
    from assets.collectors import SCOPE_KEYS, collector_config, scope_names

    config = collector_config(settings, source)
    key = SCOPE_KEYS[source]
    if source != "pagerduty" and not scope_names(settings, source):
        raise UsageError(
            f"nothing to pull: collectors.{source}.{key} is empty in the config; list the"
            f" {key} to pull (see 'Pulling from the APIs' in the README)"
        )
    token = os.environ.get(config.token_env, "").strip()
    if not token:
        raise UsageError(
            f"no token for {source}: set the environment variable {config.token_env}"
            f" (named by collectors.{source}.token_env) to an API token that may read the {key}"
        )
    return token


def cmd_pull(args: argparse.Namespace, settings: Settings) -> int:
    from assets.collectors import pull
    from assets.ingest.contract import validate_batches

    since = _check_since(args.since, settings)
    token = _collector_token(args.source, settings)

    def show(report: FileReport) -> None:
        _say(_file_line(report), sys.stdout)

    outcome = pull(
        settings,
        args.source,
        token,
        since=since,
        validator=validate_batches,
        log=_say,
        progress=show,
    )
    if outcome.refused is not None:
        raise DataProblem(str(outcome.refused))
    for stream in outcome.streams:
        moved = f"; cursor {stream.cursor:%Y-%m-%dT%H:%M:%SZ}" if stream.cursor else ""
        _say(
            f"{stream.stream.source} {stream.stream.scope}: {stream.records} new record(s) in"
            f" {len(stream.files)} page file(s){moved}",
            sys.stdout,
        )
    failed = [r for r in outcome.reports if r.failed or r.held]
    problems = [str(error) for error in outcome.errors]
    problems += [f"{Path(r.path).name}: {r.status}" for r in failed]
    if problems:
        for problem in problems[:-1]:
            _say(f"  {problem}")
        if failed:
            _say(
                "hint: the pulled pages stay in the inbox; fix what is named above and"
                " `release-health ingest` them again"
            )
        raise DataProblem(problems[-1])
    return EXIT_OK


def _start_gx_worker() -> None:
    """Have Great Expectations imported by a worker on the other core while this command
    imports Dagster and reads the inbox (``data_contracts.worker``)."""
    from data_contracts import worker

    worker.start()


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    _start_gx_worker()
    from assets.reporting.build import publishable_week
    from assets.warehouse import open_warehouse
    from pipelines.runner import run_pipeline
    from reports.paths import week_page

    # The objects imported so far (Dagster's are most of them) live as long as the process:
    # set aside from the cyclic garbage collector, they are not traversed again by every full
    # collection, which steps making many small objects (drift's verdicts) trigger.
    gc.freeze()
    # a busy, read-only or foreign warehouse is one line here, not a failed step inside the run
    with open_warehouse(settings) as conn:
        if args.week is not None:
            check = publishable_week(
                conn, settings, args.week, dt.date.today(), allow_partial=args.partial
            )
            # an empty week may still fill from the inbox: the runner checks it after ingest
            if check.state != "empty":
                _refuse_unpublishable(check)
    outcome = run_pipeline(
        settings, week=args.week, backfill=args.backfill, partial=args.partial, log=_say
    )
    if not outcome.success:
        _stopped(outcome.problems, "the run stopped")
    if args.week is not None:
        wanted = week_page(settings.reports_path, iso_week(args.week))
        if wanted not in outcome.reports:
            raise DataProblem(f"week {iso_week(args.week)} holds no data; no page was published")
    for path in outcome.reports:
        _say(_shown(path), sys.stdout)
    return EXIT_OK


def _stopped(problems: list[str], what: str) -> None:
    """Print why a run stopped, one line per file or check, and end with exit code 1."""
    for problem in problems:
        _say(f"  {problem}")
    if any(problem.startswith("held:") for problem in problems):
        _say(
            "hint: fix the file and send it again after `release-health forget FILE`,"
            ' or let it count with `release-health accept FILE --reason "..."`'
        )
    raise DataProblem(f"{what}: {len(problems)} problem(s) above; nothing was published")


def cmd_forget(args: argparse.Namespace, settings: Settings) -> int:
    from assets.ingest.file_states import FileNotKnown, forget_file
    from assets.warehouse import open_warehouse

    with open_warehouse(settings) as conn:
        for target in args.files:
            try:
                rows = forget_file(conn, settings, target)
            except FileNotKnown as exc:
                raise DataProblem(str(exc)) from None
            for row in rows:
                _say(f"forgotten {row.kind:11} {row.path} (was {row.status})", sys.stdout)
    _say("its rows count nowhere now; `release-health run` rebuilds the weeks they were in")
    return EXIT_OK


def cmd_accept(args: argparse.Namespace, settings: Settings) -> int:
    from assets.ingest.contract import validate_batches
    from assets.ingest.file_states import FileNotKnown, accept_file
    from assets.warehouse import open_warehouse

    if not args.reason.strip():
        raise UsageError("--reason needs some text: why this held file may count")
    with open_warehouse(settings) as conn:
        try:
            reports = accept_file(conn, settings, args.file, args.reason, validate_batches)
        except FileNotKnown as exc:
            raise DataProblem(str(exc)) from None
    for report in reports:
        _say(_file_line(report), sys.stdout)
    if any(r.status != "accepted" for r in reports):
        raise DataProblem(f"{args.file}: could not be accepted (see above)")
    _say("accepted: its rows count from the next `release-health run`")
    return EXIT_OK


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from assets.reporting.build import default_report_week
    from assets.reporting.publishing import publish_archive_page, publish_week
    from reports.publish import UnsafeReportPath

    if not settings.is_lake and not settings.warehouse_path.exists():
        raise UsageError(f"no warehouse at {settings.warehouse_path}: run ingest and run first")
    if args.as_built:
        return _report_as_built(args, settings)
    conn, writable = _report_warehouse(settings)
    with conn:
        today = dt.date.today()
        week = args.week or default_report_week(conn, settings, today)
        if week is None:
            raise DataProblem("the warehouse holds no production deployments yet")
        try:
            outcome = publish_week(
                conn,
                settings,
                week,
                today,
                allow_partial=args.partial,
                record=writable,
                self_contained=args.self_contained,
                png=args.png,
            )
            _refuse_unpublishable(outcome.check)
            publish_archive_page(conn, settings)
        except UnsafeReportPath as exc:
            raise DataProblem(str(exc)) from None
    published = outcome.published
    if args.png:
        if published.png_skipped:
            _say(f"PNG export skipped: {published.png_skipped}")
        else:
            _say(f"{len(published.pngs)} PNG chart(s) written next to the page")
    _say(_shown(published.path), sys.stdout)
    return EXIT_OK


def _report_warehouse(settings: Settings) -> tuple[duckdb.DuckDBPyConnection, bool]:
    """The warehouse for ``report``, and whether it is writable: the page's build is recorded
    (so it can be rebuilt ``--as-built``) when it is; a read-only warehouse file still
    publishes, unrecorded."""
    from assets.warehouse import WarehouseReadOnly, open_warehouse

    try:
        return open_warehouse(settings), True
    except WarehouseReadOnly:
        return open_warehouse(settings, read_only=True), False


def _refuse_unpublishable(check: WeekCheck) -> None:
    """Stop on a week that gets no page (empty, future or unfinished); warn on a partial one."""
    if check.state == "future":
        raise UsageError(f"{check.message}; choose a week that is over")
    if check.state == "empty":
        raise DataProblem(f"{check.message}; nothing was published")
    if check.state == "unfinished":
        raise DataProblem(
            f"{check.message}; nothing was published "
            "(hint: add --partial to publish its numbers so far)"
        )
    if check.state == "partial":
        _say(f"warning: {check.message}")


def cmd_dev(args: argparse.Namespace, settings: Settings) -> int:
    """Replace this process with ``dagster dev`` on the instance the command line records in."""
    from pipelines.instance import dev_command, prepare_home

    home = prepare_home(settings)
    extra = ["--port", str(args.port)] if args.port else []
    argv, environment = dev_command(home, args.config, extra, os.environ)
    _say(f"Dagster UI on the instance in {_shown(home)}")
    # exec: the UI's process takes our place, so a signal to this command reaches it directly
    os.execve(argv[0], argv, environment)
    return EXIT_OK  # not reached


def _report_as_built(args: argparse.Namespace, settings: Settings) -> int:
    """``report --week W --as-built``: the page rebuilt from the lake snapshot it was built from."""
    from assets.reporting.builds import NotRebuildable, publish_as_built
    from reports.publish import UnsafeReportPath

    if args.week is None:
        raise UsageError("--as-built needs --week YYYY-Www (the week whose page to rebuild)")
    try:
        published = publish_as_built(
            settings, args.week, self_contained=args.self_contained, png=args.png
        )
    except (NotRebuildable, UnsafeReportPath) as exc:
        raise DataProblem(str(exc)) from None
    _say(_shown(published.path), sys.stdout)
    return EXIT_OK


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from assets.ingest.file_states import held_files
    from assets.warehouse import open_warehouse, read_sql, shown, sql_file

    path = settings.warehouse_path
    if not settings.is_lake and not path.exists():
        _say(f"no warehouse yet at {path}; run `release-health demo` or `ingest`", sys.stdout)
        return EXIT_OK
    # a lake is attached as writers attach it: a new one gets its (empty) tables
    with open_warehouse(settings, read_only=not settings.is_lake) as conn:
        rows = conn.execute(read_sql(sql_file(__file__, "status"))).fetchall()
        held = held_files(conn)
        notified = conn.execute(
            "SELECT sent_at, event, week, destination, ok, error FROM raw.notifications"
            " ORDER BY sent_at DESC, destination LIMIT $n",
            {"n": STATUS_NOTIFICATIONS},
        ).fetchall()
    _say(f"warehouse  {shown(settings.warehouse_target)}", sys.stdout)
    for label, value in rows:
        _say(f"{label:24} {value}", sys.stdout)
    for row in held:
        _say(f"  held: {row.path}: {row.error}", sys.stdout)
    last = last_report(settings.reports_path, dt.date.today())
    _say(f"{'last report':24} {last or 'none yet'}", sys.stdout)
    for sent_at, event, week, destination, ok, error in notified:
        outcome = "sent" if ok else f"FAILED: {error}"
        when = f"{sent_at:%Y-%m-%d %H:%M}"
        _say(f"  notification {when} {event} {week or ''} to {destination}: {outcome}", sys.stdout)
    return EXIT_OK


#: notification deliveries listed by ``status`` (the latest first)
STATUS_NOTIFICATIONS = 5


def cmd_notify(args: argparse.Namespace, settings: Settings) -> int:
    from assets.notify.deliver import notify_week
    from assets.reporting.build import default_report_week
    from assets.warehouse import open_warehouse

    if not settings.notify.urls:
        raise UsageError("notify.urls is empty in the config: there is nowhere to send to")
    if not settings.warehouse_path.exists():
        raise UsageError(f"no warehouse at {settings.warehouse_path}: run ingest and run first")
    with open_warehouse(settings) as conn:
        week = args.week or default_report_week(conn, settings, dt.date.today())
        if week is None:
            raise DataProblem("the warehouse holds no production deployments yet")
        deliveries = notify_week(conn, settings, week, "manual")
    for delivery in deliveries:
        outcome = "sent" if delivery.ok else f"failed: {delivery.error}"
        _say(f"{delivery.destination}: {outcome}", sys.stdout)
    return EXIT_OK if all(d.ok for d in deliveries) else EXIT_DATA


def last_report(reports_dir: Path, today: dt.date) -> Path | None:
    """The newest published week that has started: a page left over for a future week (as
    older versions published) is never named as the last report."""

    started = []
    for page in reports_dir.glob("*-W*/index.html"):
        try:
            monday = parse_iso_week(page.parent.name)
        except ValueError:
            continue
        if monday <= today:
            started.append((monday, page))
    return max(started)[1] if started else None


def cmd_sample_data(args: argparse.Namespace, settings: Settings) -> int:
    from assets.sample.organisation import last_sunday, write_sample_organisation

    if Path(args.out).exists() and not Path(args.out).is_dir():
        raise UsageError(f"--out {args.out} is not a folder")
    summary = write_sample_organisation(
        Path(args.out),
        weeks=args.weeks,
        seed=args.seed,
        scale=args.scale,
        end=last_sunday(dt.date.today()),
    )
    _say(
        f"{summary.services} services in {summary.teams} teams over {summary.weeks} weeks: "
        f"{summary.deployments} deployments, {summary.incidents} incidents, "
        f"{summary.inventory_rows} inventory rows ({summary.bad_rows} bad rows on purpose) "
        f"in {len(summary.files)} files under {summary.out_dir}",
        sys.stdout,
    )
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """A fresh sample organisation in its own folder, run end to end."""
    _start_gx_worker()
    from assets.sample.organisation import last_sunday, write_sample_organisation
    from pipelines.runner import run_pipeline

    folder = Path(args.dir)
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise UsageError(f"--dir {folder} is not a folder; choose another --dir")
    if folder.exists() and any(folder.iterdir()) and not (folder / DEMO_MARKER).exists():
        raise UsageError(f"{folder} exists and is not a demo folder; choose another --dir")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / DEMO_MARKER).write_text("")
    (folder / "release-health.yaml").write_text(DEMO_CONFIG)
    demo = load_settings(folder / "release-health.yaml", env={})  # its own paths only
    started = time.perf_counter()
    summary = write_sample_organisation(
        demo.inbox_path,
        weeks=args.weeks,
        seed=args.seed,
        end=last_sunday(dt.date.today()),
        actions_runs=True,
    )
    _say(
        f"sample organisation: {summary.services} services, {summary.teams} teams, "
        f"{summary.weeks} weeks, {summary.deployments} deployments, {summary.incidents} "
        f"incidents, {summary.inventory_rows} inventory rows"
    )
    outcome = run_pipeline(demo, backfill=True, log=_say)
    if not outcome.success:
        _stopped(outcome.problems, "the demo run stopped")
    archive = _shown(outcome.archive) if outcome.archive else "none"
    _say(f"done in {time.perf_counter() - started:.1f} s; archive: {archive}")
    config = _shown(folder / "release-health.yaml")
    _say(f"explore it: {self_command()} --config {config} status")
    _say(_shown(outcome.reports[-1]) if outcome.reports else "no report", sys.stdout)
    return EXIT_OK


# -- parser ----------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error said in one line and a hint (not the whole usage text)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\nhint: {self.prog} --help\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="release-health",
        description="Weekly release health: DORA metrics, release risk and environment drift.",
    )
    parser.add_argument("--config", help="config file (default ./release-health.yaml)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    demo = verbs.add_parser("demo", help="generate a sample organisation, run everything")
    weeks = whole_number_flag(MIN_SAMPLE_WEEKS)
    seed = whole_number_flag(0)
    demo.add_argument(
        "--weeks",
        type=weeks,
        default=104,
        help=f"weeks of history, at least {MIN_SAMPLE_WEEKS} (default 104)",
    )
    demo.add_argument("--seed", type=seed, default=7, help="random seed (default 7)")
    demo.add_argument("--dir", default="data/demo", help="demo folder (default data/demo)")
    demo.set_defaults(handler=cmd_demo)

    ingest = verbs.add_parser("ingest", help="load files or folders into the warehouse")
    ingest.add_argument("paths", nargs="+", metavar="PATH")
    ingest.add_argument("--kind", choices=["deployments", "incidents", "inventory", "calendar"])
    ingest.add_argument("--format", choices=["csv", "jsonl", "json", "yaml", "ics"])
    ingest.add_argument("--environment", help="environment of an inventory export")
    ingest.add_argument(
        "--captured-at",
        type=timestamp_flag,
        help="capture time of an inventory export (ISO-8601, e.g. 2025-02-17T06:00:00Z)",
    )
    ingest.add_argument(
        "--no-contract-check",
        action="store_true",
        help="skip the Great Expectations check of record (quarantine still applies)",
    )
    ingest.set_defaults(handler=cmd_ingest)

    run = verbs.add_parser("run", help="materialise all assets and publish the report(s)")
    run.add_argument(
        "--week", type=iso_week_flag, help="the report week, YYYY-Www (default: last complete week)"
    )
    run.add_argument("--backfill", action="store_true", help="rebuild every week of history")
    run.add_argument("--partial", action="store_true", help=PARTIAL_HELP)
    run.set_defaults(handler=cmd_run)

    report = verbs.add_parser("report", help="(re)publish a weekly report from the warehouse")
    report.add_argument("--week", type=iso_week_flag, help="YYYY-Www (default: last complete week)")
    report.add_argument("--partial", action="store_true", help=PARTIAL_HELP)
    report.add_argument("--self-contained", action="store_true", help="embed plotly.js")
    report.add_argument("--png", action="store_true", help="also write PNG charts")
    report.add_argument(
        "--as-built",
        action="store_true",
        help="rebuild the week's page from the lake snapshot its first build read (team mode)",
    )
    report.set_defaults(handler=cmd_report)

    forget = verbs.add_parser(
        "forget", help="take a file's rows out (it may then be sent again, corrected)"
    )
    forget.add_argument("files", nargs="+", metavar="FILE")
    forget.set_defaults(handler=cmd_forget)

    accept = verbs.add_parser("accept", help="let a held file's rows count, with a reason")
    accept.add_argument("file", metavar="FILE")
    accept.add_argument("--reason", required=True, help="why it may count (recorded)")
    accept.set_defaults(handler=cmd_accept)

    pull = verbs.add_parser(
        "pull", help="fetch deployments or incidents from an API into the inbox, then load them"
    )
    pull.add_argument(
        "source",
        choices=["github", "gitlab", "pagerduty"],
        metavar="SOURCE",
        help="github (deployments and Actions runs), gitlab (deployments) or pagerduty",
    )
    pull.add_argument(
        "--since",
        type=timestamp_flag,
        help="pull what changed since this time (ISO-8601) instead of since the last pull",
    )
    pull.set_defaults(handler=cmd_pull)
    dev = verbs.add_parser(
        "dev", help="open the Dagster UI on the instance that records the runs of this config"
    )
    dev.add_argument("--port", type=whole_number_flag(1), help="the UI's port (default 3000)")
    dev.set_defaults(handler=cmd_dev)

    status = verbs.add_parser("status", help="summarise the warehouse")
    status.set_defaults(handler=cmd_status)

    notify = verbs.add_parser("notify", help="send the week's notification to notify.urls")
    notify.add_argument("--week", type=iso_week_flag, help="YYYY-Www (default: last complete week)")
    notify.set_defaults(handler=cmd_notify)

    sample = verbs.add_parser("sample-data", help="write sample input files only")
    sample.add_argument("--out", required=True, help="folder to write into (an inbox)")
    sample.add_argument(
        "--scale", type=whole_number_flag(1), default=1, help="multiply services (default 1)"
    )
    sample.add_argument(
        "--weeks", type=weeks, default=104, help=f"at least {MIN_SAMPLE_WEEKS} (default 104)"
    )
    sample.add_argument("--seed", type=seed, default=7)
    sample.set_defaults(handler=cmd_sample_data)
    return parser


def _warehouse_errors() -> tuple[type[Exception], ...]:
    """The warehouse's own errors, once a verb has loaded it (importing DuckDB costs time)."""
    module = sys.modules.get("assets.warehouse")
    return (module.WarehouseError,) if module else ()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has said what is wrong (or printed --help)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    handler: Callable[[argparse.Namespace, Settings], int] = args.handler
    try:
        settings = load_settings(args.config)
        return handler(args, settings)
    except ConfigError as exc:
        _say(f"release-health: config error: {exc}")
        _say("hint: every key and its default are listed in the README")
        return EXIT_USAGE
    except UsageError as exc:
        _say(f"release-health: {exc}")
        return EXIT_USAGE
    except DataProblem as exc:
        _say(f"release-health: {exc}")
        return EXIT_DATA
    except _warehouse_errors() as exc:
        from assets.warehouse import NotAWarehouse

        _say(f"release-health: {exc}")
        # a foreign file at the configured path is a configuration mistake
        return EXIT_USAGE if isinstance(exc, NotAWarehouse) else EXIT_DATA
    except BrokenPipeError:  # the reader went away (e.g. `| head`): nothing left to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        _say("release-health: interrupted")
        return EXIT_DATA
    except Exception as exc:
        if args.debug:
            raise
        _say(f"release-health: {type(exc).__name__}: {exc}")
        _say("hint: run again with --debug for the traceback")
        return EXIT_DATA


if __name__ == "__main__":
    sys.exit(main())
