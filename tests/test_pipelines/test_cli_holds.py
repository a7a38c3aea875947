"""Held, refused and broken files as the user meets them: through the CLI and the asset checks.

A run with a problem file prints one line per file naming it and its reason (no Dagster log,
no traceback), exits 1 and publishes nothing; ``status`` lists held files; links and special
files are refused by name, their targets never read; Argo CD deployments (written from the
inventory folder) pass the same blocking checks as any deployments file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from assets.settings import parse_settings
from pipelines.cli import main
from pipelines.definitions import build_definitions

HEADER = "deployment_id,service,environment,version,status,started_at"
BROKEN = (
    f"{HEADER}\n"
    "h1,api,prod,1.0,succeeded,2024-03-04T10:00:00Z\n"
    "h2,api,prod,1.1,exploded,2024-03-05T10:00:00Z\n"
    "h3,api,prod,1.2,exploded,2024-03-06T10:00:00Z\n"
)
GOOD = f"{HEADER}\ng1,web,prod,2.0,succeeded,2024-03-04T11:00:00Z\n"
SECRET = "first line of a file outside the inbox"
ARGOCD = (
    Path(__file__).parents[1]
    / "fixtures"
    / "peer_fixtures"
    / "inventories"
    / "argocd_application_list_prod_excerpt__port_ocean.json"
)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A config file whose inbox, warehouse and reports live under ``tmp_path``."""
    config = tmp_path / "release-health.yaml"
    config.write_text(
        f"warehouse: {tmp_path / 'warehouse.duckdb'}\n"
        f"inbox_dir: {tmp_path / 'inbox'}\nreports_dir: {tmp_path / 'reports'}\n"
    )
    (tmp_path / "inbox" / "deployments").mkdir(parents=True)
    return config


def inbox(config: Path) -> Path:
    return config.parent / "inbox" / "deployments"


def run(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


def test_run_with_a_held_file_names_it_in_one_line_and_publishes_nothing(
    workspace: Path, capsys
) -> None:
    (inbox(workspace) / "broken.csv").write_text(BROKEN)
    (inbox(workspace) / "good.csv").write_text(GOOD)

    assert run(workspace, "run") == 1

    err = capsys.readouterr().err
    problems = [line for line in err.splitlines() if line.startswith("  ")]
    assert problems == [
        f"  held: {inbox(workspace) / 'broken.csv'}: reject_ratio: 67% of its rows were"
        " rejected (limit contracts.max_reject_ratio 50%); its rows count nowhere"
    ]
    assert "dagster" not in err.lower() and "Traceback" not in err
    assert err.strip().endswith("nothing was published")
    assert not (workspace.parent / "reports").exists()

    # status says so; running again does not wear the hold off
    assert run(workspace, "status") == 0
    out = capsys.readouterr().out
    assert "files held               1" in out
    assert f"held: {inbox(workspace) / 'broken.csv'}: reject_ratio" in out
    assert run(workspace, "run") == 1
    assert "held: " in capsys.readouterr().err

    # accepting it (with a reason) lets the run publish
    assert run(workspace, "accept", str(inbox(workspace) / "broken.csv"), "--reason", "ok") == 0
    assert run(workspace, "run") == 0
    assert list((workspace.parent / "reports").glob("*-W*/index.html"))


def test_accept_needs_a_reason(workspace: Path, capsys) -> None:
    (inbox(workspace) / "broken.csv").write_text(BROKEN)
    assert run(workspace, "ingest", str(inbox(workspace))) == 1
    capsys.readouterr()
    assert run(workspace, "accept", str(inbox(workspace) / "broken.csv"), "--reason", " ") == 2
    assert "--reason" in capsys.readouterr().err


def test_links_in_the_inbox_are_refused_and_their_targets_never_read(
    workspace: Path, tmp_path: Path, capsys
) -> None:
    outside = tmp_path / "outside.csv"
    outside.write_text(f"{SECRET}\n")
    (inbox(workspace) / "link.csv").symlink_to(outside)
    linked_folder = tmp_path / "elsewhere"
    linked_folder.mkdir()
    (linked_folder / "more.csv").write_text(GOOD)
    (inbox(workspace) / "folder-link").symlink_to(linked_folder, target_is_directory=True)
    (inbox(workspace) / "good.csv").write_text(GOOD)

    assert run(workspace, "ingest", str(inbox(workspace))) == 1

    out = capsys.readouterr().out
    assert "symlink_refused" in out and SECRET not in out
    conn_rows = _files(workspace)
    assert {Path(p).name: s for p, s, _ in conn_rows} == {
        "folder-link": "failed",
        "link.csv": "failed",
        "good.csv": "loaded",
    }
    assert all(SECRET not in (error or "") for _, _, error in conn_rows)


def _files(config: Path) -> list[tuple[str, str, str | None]]:
    from assets.warehouse import connect

    conn = connect(config.parent / "warehouse.duckdb", read_only=True)
    try:
        return conn.execute("SELECT path, status, error FROM raw.ingested_files").fetchall()
    finally:
        conn.close()


def test_a_fifo_given_to_ingest_is_refused_without_hanging(workspace: Path, tmp_path) -> None:
    fifo = inbox(workspace) / "pipe.csv"
    os.mkfifo(fifo)
    (inbox(workspace) / "good.csv").write_text(GOOD)
    # a separate process with a time limit: a hang would fail the test, not stall the suite
    command = ["--config", str(workspace), "ingest", str(fifo), str(inbox(workspace))]
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *command],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "pipe.csv: not_a_regular_file" in done.stdout
    assert "loaded    deployments" in done.stdout  # the good file still loads
    assert "Traceback" not in done.stderr


def test_argocd_deployments_pass_the_deployments_checks(tmp_path: Path) -> None:
    """An Argo CD export whose history breaks the deployments contract: its deployments are
    held and the blocking check on staging/deployments fails, naming the file."""
    export = json.loads(ARGOCD.read_text())
    for app in export["items"]:
        for entry in app["status"].get("history", []):
            entry["deployedAt"] = "not a time"
            entry.pop("deployStartedAt", None)
    folder = tmp_path / "inbox" / "inventory"
    folder.mkdir(parents=True)
    (folder / "argocd.json").write_text(json.dumps(export))
    settings = parse_settings(
        {
            "warehouse": str(tmp_path / "warehouse.duckdb"),
            "inbox_dir": str(tmp_path / "inbox"),
            "reports_dir": str(tmp_path / "reports"),
        }
    )
    defs = build_definitions(settings)
    staging = [dg.AssetKey(["staging", kind]) for kind in ("inventory", "deployments")]

    result = dg.materialize(
        [defs.get_assets_def(key) for key in staging],
        resources=defs.resources,
        raise_on_error=False,
        instance=dg.DagsterInstance.ephemeral(),
    )

    checks = {
        (e.asset_key.to_user_string(), e.check_name): e
        for e in result.get_asset_check_evaluations()
    }
    deployments = checks[("staging/deployments", "contract")]
    assert not deployments.passed
    broken = deployments.metadata["broken"].value
    assert [(Path(b["path"]).name, b["status"]) for b in broken] == [("argocd.json", "held")]
    assert broken[0]["reason"].startswith("reject_ratio: 100%")
    # its inventory part is judged by the inventory contract, which it passes
    assert checks[("staging/inventory", "contract")].passed
