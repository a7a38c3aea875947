"""The Dagster deployment end to end: code server, daemon and webserver as the README starts
them (``scripts/team-dagster``), on free loopback ports, with the instance in a real
PostgreSQL. A file dropped into a team inbox is ingested by that team's sensor, the main
sensor rebuilds its week and the page appears; runs submitted through the webserver's
GraphQL API never exceed the run limit, and steps of the ``marts`` pool never overlap."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml
from dagster_graphql import DagsterGraphQLClient

from pipelines.config import load_settings
from pipelines.definitions import INGEST_JOB, WEEKLY_JOB, build_definitions
from tests.postgres import LocalPostgres, free_port

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "team-dagster"
LOCATION = "release_health"
#: the repository name Dagster gives a code location's ``Definitions``
REPOSITORY = "__repository__"
MARTS_POOL = "marts"
#: the run limit of the repository's deployment config
MAX_CONCURRENT_RUNS = yaml.safe_load((ROOT / "deploy" / "dagster.yaml").read_text())["concurrency"][
    "runs"
]["max_concurrent_runs"]
#: the week of the payments team's file (a finished week, so its page is published)
PAYMENTS_WEEK = dt.date(2025, 6, 2)
PAYMENTS_PAGE = Path("reports") / "2025-W23" / "index.html"
#: weeks rebuilt by the runs submitted through GraphQL: one more run than the limit allows at
#: once; weeks after the payments week, so none of them publishes a page (they hold no data),
#: and none is before the first partition a run worker sees once the payments file is in
SUBMITTED_WEEKS = ("2025-06-09", "2025-06-16", "2025-06-23")
#: the main sensor looks again a minute after its first tick (nothing to do then), so the
#: page appears after about that long; a hang fails the test instead of stalling CI
DEADLINE_SECONDS = 240
SETUP_TIMEOUT_SECONDS = 180
POLL_SECONDS = 0.5
STOP_SECONDS = 15
LOG_TAIL_CHARS = 3000
FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
STEP_EVENTS = {
    dg.DagsterEventType.STEP_START,
    dg.DagsterEventType.STEP_SUCCESS,
    dg.DagsterEventType.STEP_FAILURE,
}
WORKSPACE_QUERY = """
{ workspaceOrError { ... on Workspace { locationEntries {
    name loadStatus locationOrLoadError { __typename } } } } }
"""


@dataclass
class Deployment:
    """The three processes of one deployment and where each writes its output."""

    env: dict[str, str]
    logs: Path
    processes: dict[str, subprocess.Popen[bytes]]

    def start(self, command: str) -> None:
        """``scripts/team-dagster COMMAND`` in a process group of its own."""
        with (self.logs / f"{command}.log").open("wb") as out:
            self.processes[command] = subprocess.Popen(
                [str(SCRIPT), command],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        """The end of each process's output, for a failure message."""
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-LOG_TAIL_CHARS:]}"
            for path in sorted(self.logs.glob("*.log"))
        )

    def check_alive(self) -> None:
        """Fail at once (with their output) when a process has exited."""
        dead = {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}
        assert not dead, f"exited: {dead}\n{self.output()}"

    def stop(self) -> None:
        """SIGTERM to every process group (run workers included), SIGKILL if one lingers."""
        for process in self.processes.values():
            _signal_group(process, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(timeout=STOP_SECONDS)
            # a run worker the group signal reached late still belongs to the group
            _signal_group(process, signal.SIGKILL)


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def wait_until(what: str, ready: Callable[[], Any], deployment: Deployment, deadline: float) -> Any:
    """Poll ``ready`` until it returns something true; fail with the processes' output when
    ``deadline`` (a ``time.monotonic`` value) passes or a process dies."""
    while time.monotonic() < deadline:
        deployment.check_alive()
        result = ready()
        if result:
            return result
        time.sleep(POLL_SECONDS)
    pytest.fail(f"timed out waiting for {what}\n{deployment.output()}")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=POLL_SECONDS * 4) as response:
            return response.status == 200
    except OSError:
        return False


def _location_loaded(client: DagsterGraphQLClient) -> bool:
    entries = client._execute(WORKSPACE_QUERY)["workspaceOrError"]["locationEntries"]
    return any(
        entry["name"] == LOCATION
        and entry["loadStatus"] == "LOADED"
        and entry["locationOrLoadError"]["__typename"] == "RepositoryLocation"
        for entry in entries
    )


def _code_server_serves(env: dict[str, str]) -> bool:
    done = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "dagster"),
            "api",
            "grpc-health-check",
            "--host",
            "127.0.0.1",
            "--port",
            env["CODE_SERVER_PORT"],
        ],
        env=env,
        capture_output=True,
        check=False,
        timeout=SETUP_TIMEOUT_SECONDS,
    )
    return done.returncode == 0


def peak_overlap(intervals: list[tuple[float, float]]) -> int:
    """The most intervals open at one moment (one ending as another starts: not both)."""
    edges = sorted([(end, -1) for _, end in intervals] + [(start, 1) for start, _ in intervals])
    peak = current = 0
    for _, change in edges:
        current += change
        peak = max(peak, current)
    return peak


def step_intervals(instance: dg.DagsterInstance, run_id: str) -> dict[str, tuple[float, float]]:
    """Each step of a run that started: (its start, its end) from the run's event log."""
    starts, ends = {}, {}
    for entry in instance.all_logs(run_id, of_type=STEP_EVENTS):
        event = entry.dagster_event
        if event.event_type == dg.DagsterEventType.STEP_START:
            starts[entry.step_key] = entry.timestamp
        else:
            ends[entry.step_key] = entry.timestamp
    return {step: (starts[step], ends[step]) for step in starts}


@pytest.fixture
def deployment(
    postgres: LocalPostgres, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Deployment]:
    """An instance home made by ``scripts/team-dagster home`` on a fresh database, a config
    with the payments team's inbox, and the processes (stopped at teardown)."""
    postgres.database("daemon_instance")
    config = tmp_path / "release-health.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "warehouse": "w.duckdb",
                "inbox_dir": "inbox",
                "reports_dir": "reports",
                "inboxes": {"payments": "payments"},
            }
        )
    )
    instance_env = {
        **postgres.env(),
        "PGDATABASE": "daemon_instance",
        "PGPASSWORD": "",
        "DAGSTER_HOME": str(tmp_path / "dagster-home"),
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELEASE_HEALTH_")}
    env.update(
        instance_env,
        RELEASE_HEALTH_CONFIG=str(config),
        CODE_SERVER_PORT=str(free_port()),
        WEBSERVER_PORT=str(free_port()),
    )
    home = subprocess.run(
        [str(SCRIPT), "home"],
        env=env,
        capture_output=True,
        text=True,
        timeout=SETUP_TIMEOUT_SECONDS,
        check=False,
    )
    assert home.returncode == 0, home.stderr
    # this process reads the same instance to check what the deployment did
    for name, value in instance_env.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "logs").mkdir()
    running = Deployment(env, tmp_path / "logs", {})
    try:
        yield running
    finally:
        running.stop()


def test_the_daemon_runs_the_team_sensor_the_run_queue_and_the_marts_pool(
    deployment: Deployment, tmp_path: Path
) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    dropped = tmp_path / "payments" / "deployments" / "payments.csv"
    dropped.parent.mkdir(parents=True)
    dropped.write_text(
        "deployment_id,service,environment,version,status,started_at,finished_at\n"
        + "".join(
            f"p-{day},payments-api,prod,3.{day}.0,succeeded,"
            f"{PAYMENTS_WEEK + dt.timedelta(days=day)}T10:00Z,"
            f"{PAYMENTS_WEEK + dt.timedelta(days=day)}T10:05Z\n"
            for day in range(3)
        )
    )

    deployment.start("code-server")
    wait_until("the code server", lambda: _code_server_serves(deployment.env), deployment, deadline)
    deployment.start("daemon")
    deployment.start("webserver")
    port = int(deployment.env["WEBSERVER_PORT"])
    wait_until(
        "the webserver",
        lambda: _answers(f"http://127.0.0.1:{port}/server_info"),
        deployment,
        deadline,
    )
    client = DagsterGraphQLClient("127.0.0.1", port_number=port)
    wait_until("the code location", lambda: _location_loaded(client), deployment, deadline)
    submitted = [
        client.submit_job_execution(
            WEEKLY_JOB,
            repository_location_name=LOCATION,
            repository_name=REPOSITORY,
            tags={"dagster/partition": week},
        )
        for week in SUBMITTED_WEEKS
    ]

    page = tmp_path / PAYMENTS_PAGE
    wait_until("the payments week's page", page.exists, deployment, deadline)
    assert "payments-api" in page.read_text(encoding="utf-8")

    with dg.DagsterInstance.get() as instance:

        def all_finished() -> list[dg.RunRecord] | None:
            records = instance.get_run_records()
            done = all(record.dagster_run.status in FINISHED for record in records)
            # the sensors' ingest and weekly runs, and the submitted ones
            return records if done and len(records) == len(SUBMITTED_WEEKS) + 2 else None

        records = wait_until("every run to finish", all_finished, deployment, deadline)
        runs = {record.dagster_run.run_id: record for record in records}
        assert set(submitted) <= set(runs)
        assert sorted(r.dagster_run.job_name for r in records) == [INGEST_JOB] + [WEEKLY_JOB] * 4
        assert {r.dagster_run.status for r in records} == {dg.DagsterRunStatus.SUCCESS}, (
            deployment.output()
        )
        by_sensor = {
            r.dagster_run.job_name: r.dagster_run
            for r in records
            if r.dagster_run.run_id not in submitted
        }
        assert set(by_sensor) == {INGEST_JOB, WEEKLY_JOB}
        # the team's sensor ingested its folder only; the main sensor rebuilt the week it brought
        assert by_sensor[INGEST_JOB].tags["dagster/sensor_name"] == "inbox_sensor_payments"
        assert by_sensor[INGEST_JOB].tags["release-health/inbox"] == "payments"
        weekly = by_sensor[WEEKLY_JOB].tags
        assert weekly["dagster/sensor_name"] == "inbox_sensor"
        assert weekly["dagster/asset_partition_range_start"] == PAYMENTS_WEEK.isoformat()
        assert weekly["dagster/asset_partition_range_end"] == PAYMENTS_WEEK.isoformat()

        # the queue never started more runs at once than the limit
        started = [(r.start_time, r.end_time) for r in records]
        assert peak_overlap(started) <= MAX_CONCURRENT_RUNS

        # steps of the marts pool never overlapped, across all runs
        defs = build_definitions(load_settings(tmp_path / "release-health.yaml"))
        pooled = {
            node.name
            for job in (INGEST_JOB, WEEKLY_JOB)
            for node in defs.resolve_job_def(job).nodes
            if node.definition.pool == MARTS_POOL
        }
        steps = [
            interval
            for run_id in runs
            for step, interval in step_intervals(instance, run_id).items()
            if step in pooled
        ]
        # classification and the drift marts in the ingest run; in each weekly run seven marts
        # and marts/benchmark_tiers
        assert len(steps) == 2 + 8 * 4
        assert peak_overlap(steps) == 1
