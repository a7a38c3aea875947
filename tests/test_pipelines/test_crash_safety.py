"""``kill -9`` at any point of an ingest never lets a file's rows count unchecked.

Each test runs a real ingest in a child process that kills itself with SIGKILL at one point
(the point is reached through the real code path; the child only swaps in a function that
dies there), then inspects the warehouse the child left behind, runs the pipeline on it and
checks that the hold lasts until a person forgets or accepts the file.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from assets.warehouse import connect
from pipelines.cli import main

HEADER = "deployment_id,service,environment,version,status,started_at"
FILE = (
    f"{HEADER}\n"
    "k1,api,prod,1.0,succeeded,2024-03-04T10:00:00Z\n"
    "k2,api,prod,1.1,succeeded,2024-03-05T10:00:00Z\n"
    "k3,api,prod,1.2,exploded,2024-03-06T10:00:00Z\n"
)

#: the child: an ordinary ingest of one file, dying by SIGKILL at the named point
CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    import assets.ingest.loader as loader
    from assets.ingest.contract import validate_batches
    from pipelines.config import load_settings
    from assets.warehouse import open_warehouse

    point, config, target = sys.argv[1:4]

    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    def after(function):
        def wrapped(*args, **kwargs):
            function(*args, **kwargs)
            die()
        return wrapped

    validator = validate_batches
    if point == "reading":
        loader.stage_batch = die
    elif point == "contract":
        validator = after(validate_batches)  # the check ran; its verdict is not committed
    elif point == "commit":
        loader.write_batch = after(loader.write_batch)  # rows written, transaction open
    settings = load_settings(config)
    with open_warehouse(settings) as conn:
        loader.ingest_paths(conn, [Path(target)], settings, validator=validator)
    """
)


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[Path, Path]:
    """(config file, the deployments file in its inbox)."""
    inbox = tmp_path / "inbox" / "deployments"
    inbox.mkdir(parents=True)
    target = inbox / "week.csv"
    target.write_text(FILE)
    config = tmp_path / "release-health.yaml"
    config.write_text(
        f"warehouse: {tmp_path / 'warehouse.duckdb'}\n"
        f"inbox_dir: {tmp_path / 'inbox'}\nreports_dir: {tmp_path / 'reports'}\n"
    )
    return config, target


def killed_ingest(point: str, config: Path, target: Path) -> None:
    child = subprocess.run(
        [sys.executable, "-c", CHILD, point, str(config), str(target)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr


def warehouse_state(config: Path) -> tuple[list[tuple], int, int]:
    """(files rows, staged deployments, quarantined rows) as a fresh process sees them."""
    conn = connect(config.parent / "warehouse.duckdb")
    try:
        files = conn.execute(
            "SELECT status, contract_status, split_part(error, ':', 1) FROM raw.ingested_files"
        ).fetchall()
        (staged,) = conn.execute("SELECT count(*) FROM staging.deployments").fetchone()
        (quarantined,) = conn.execute("SELECT count(*) FROM quarantine.rejected_rows").fetchone()
    finally:
        conn.close()
    return files, staged, quarantined


def cli(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


def test_killed_while_reading_leaves_nothing_and_the_next_run_loads_it(workspace, capsys) -> None:
    config, target = workspace
    killed_ingest("reading", config, target)

    assert warehouse_state(config) == ([], 0, 0)
    assert cli(config, "run") == 0
    assert warehouse_state(config) == ([("loaded", "passed", None)], 2, 1)


@pytest.mark.parametrize("point", ["contract", "commit"])
def test_killed_before_the_verdict_commits_leaves_the_file_held(
    point: str, workspace, capsys
) -> None:
    config, target = workspace
    killed_ingest(point, config, target)

    # the marker survived; the rows written in the open transaction did not
    assert warehouse_state(config) == ([("held", "pending", "contract_check_unfinished")], 0, 0)

    # every run stops and names the file, however often it is run; ingest says held too
    for _ in range(2):
        assert cli(config, "run") == 1
        err = capsys.readouterr().err
        assert f"held: {target}: contract_check_unfinished" in err
        assert "release-health forget FILE" in err
    assert cli(config, "ingest", str(target)) == 1
    assert "held" in capsys.readouterr().out
    assert cli(config, "status") == 0
    assert f"held: {target}" in capsys.readouterr().out

    # forget ends the hold; the same bytes then load with a committed verdict
    assert cli(config, "forget", str(target)) == 0
    assert cli(config, "run") == 0
    files, staged, quarantined = warehouse_state(config)
    # the forgotten row stays as the audit trail beside the new verdict
    assert sorted(files) == [
        ("forgotten", "pending", "contract_check_unfinished"),
        ("loaded", "passed", None),
    ]
    assert (staged, quarantined) == (2, 1)


def test_killed_during_the_check_then_accepted(workspace, capsys) -> None:
    config, target = workspace
    killed_ingest("contract", config, target)

    assert cli(config, "accept", str(target), "--reason", "checked by hand") == 0
    assert warehouse_state(config) == ([("accepted", "passed", None)], 2, 1)
    assert cli(config, "run") == 0
