"""One writer, politely: with the warehouse held by another process, a command waits (saying so
once), then either goes ahead when it is free or gives up with "warehouse is busy".

Both sides are real processes: DuckDB's lock is per process, so a thread would not do.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assets.settings import parse_settings
from assets.warehouse import WAITING_MESSAGE, WarehouseBusy, connect, held_open
from pipelines.cli import main

ROOT = Path(__file__).parents[2]
#: long enough for a busy machine to start a process, short enough to fail a hung test
PROCESS_DEADLINE_SECONDS = 120
HOLDER = """
import sys
from assets.warehouse import connect
conn = connect(sys.argv[1], read_only=sys.argv[2] == "read")
print("holding", flush=True)
sys.stdin.read()  # keep the lock until the test closes our stdin
conn.close()
"""
LOOKER = """
import sys
from assets.warehouse import WarehouseBusy, connect
try:
    with connect(sys.argv[1], read_only=True) as conn:
        print(conn.execute("SELECT count(*) FROM raw.pending_weeks").fetchone()[0])
except WarehouseBusy:
    print("busy")
"""
DEPLOYMENTS = (
    "deployment_id,service,environment,version,status,started_at\n"
    "d1,api,prod,1.0.0,succeeded,2024-03-04T10:00:00Z\n"
)


def _config(folder: Path, wait_seconds: float) -> Path:
    path = folder / "release-health.yaml"
    path.write_text(
        f"warehouse: w.duckdb\ninbox_dir: inbox\nreports_dir: reports\n"
        f"warehouse_wait_seconds: {wait_seconds}\n"
    )
    return path


def _line_within_deadline(stream, deadline: float) -> str:
    """The next line of a child's pipe, or fail when none comes before ``deadline``."""
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
            pytest.fail("the other process said nothing before the deadline")
    return stream.readline()


def _hold(warehouse: Path, mode: str = "write") -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(warehouse), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    deadline = time.monotonic() + PROCESS_DEADLINE_SECONDS
    assert _line_within_deadline(holder.stdout, deadline).strip() == "holding"
    return holder


@pytest.fixture
def held(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[subprocess.Popen]:
    """A warehouse with one loaded file, held for writing by another process; the test's
    current folder holds its config (waiting 1 s)."""
    (tmp_path / "d.csv").write_text(DEPLOYMENTS)
    _config(tmp_path, 1)
    monkeypatch.chdir(tmp_path)
    for variable in ("RELEASE_HEALTH_CONFIG", "RELEASE_HEALTH_WAREHOUSE"):
        monkeypatch.delenv(variable, raising=False)
    assert main(["ingest", "d.csv", "--kind", "deployments", "--no-contract-check"]) == 0
    holder = _hold(tmp_path / "w.duckdb")
    try:
        yield holder
    finally:
        holder.communicate(timeout=PROCESS_DEADLINE_SECONDS)


@pytest.mark.parametrize(
    "verb",
    [
        ["status"],
        ["ingest", "d.csv", "--kind", "deployments", "--no-contract-check"],
        ["report", "--week", "2024-W10"],
        ["run"],
    ],
)
def test_a_held_warehouse_is_busy_after_the_wait(held, tmp_path, capsys, verb) -> None:
    capsys.readouterr()
    assert main(verb) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert lines[0] == WAITING_MESSAGE
    assert len(lines) == 2 and lines[1].startswith("release-health: warehouse is busy: ")
    assert "raise warehouse_wait_seconds" in lines[1]
    assert "Could not set lock" not in captured.err + captured.out
    assert not (tmp_path / "reports").exists()


def test_the_waiter_goes_ahead_when_the_holder_lets_go(tmp_path: Path) -> None:
    config = _config(tmp_path, PROCESS_DEADLINE_SECONDS)
    connect(tmp_path / "w.duckdb").close()
    holder = _hold(tmp_path / "w.duckdb")
    waiter = subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "--config", str(config), "status"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + PROCESS_DEADLINE_SECONDS
        assert _line_within_deadline(waiter.stderr, deadline).strip() == WAITING_MESSAGE
    finally:
        holder.communicate(timeout=PROCESS_DEADLINE_SECONDS)  # lets go of the warehouse
    out, err = waiter.communicate(timeout=PROCESS_DEADLINE_SECONDS)
    assert waiter.returncode == 0, err
    assert out.startswith(f"warehouse  {tmp_path / 'w.duckdb'}")
    assert err == ""  # the waiting line was the only one, and it was read above


def test_readers_share_but_a_writer_waits_for_a_reader(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    connect(warehouse).close()
    holder = _hold(warehouse, mode="read")
    told: list[str] = []
    try:
        with connect(warehouse, read_only=True, on_wait=told.append) as conn:
            assert conn.execute("SELECT count(*) FROM raw.ingested_files").fetchone() == (0,)
        with pytest.raises(WarehouseBusy, match=r"^warehouse is busy: another process"):
            connect(warehouse, wait_seconds=0.2, on_wait=told.append)
    finally:
        holder.communicate(timeout=PROCESS_DEADLINE_SECONDS)
    assert told == [WAITING_MESSAGE]


def _look(warehouse: Path) -> str:
    """What another process finds: the queued weeks' count, or "busy"."""
    looked = subprocess.run(
        [sys.executable, "-c", LOOKER, str(warehouse)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=PROCESS_DEADLINE_SECONDS,
        check=True,
    )
    return looked.stdout.strip()


def test_a_command_holds_the_warehouse_open_across_its_steps(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    settings = parse_settings({"warehouse": str(warehouse), "warehouse_wait_seconds": 0})
    with held_open(settings):
        with connect(warehouse) as step:
            step.execute("INSERT INTO raw.pending_weeks VALUES (DATE '2024-03-04', now())")
        # a read-only step shares the open database (DuckDB refuses a second, read-only
        # instance of a file this process has open for writing)
        with connect(warehouse, read_only=True) as reader:
            assert reader.execute("SELECT count(*) FROM raw.pending_weeks").fetchone() == (1,)
        with held_open(settings):  # an inner command leaves it to the outer one
            pass
        # no other process gets in between the steps
        assert _look(warehouse) == "busy"
    # let go at the end, with what the steps wrote
    assert _look(warehouse) == "1"
