"""The command line is safe to call wrongly: flags are checked before the warehouse is touched,
the config file is bounded, a foreign or read-only warehouse is one line, definitions are lazy."""

from __future__ import annotations

import os
import sqlite3
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from assets.sample.organisation import MIN_WEEKS
from assets.settings import CONFIG_MAX_DEPTH
from assets.warehouse import connect
from pipelines.cli import DEMO_MARKER, MIN_SAMPLE_WEEKS, main

WAREHOUSE = "w.duckdb"  # the workspace fixture's warehouse, relative to the workspace
INVENTORY = "captured_at,environment,service,version\n2024-03-04T06:00:00Z,prod,api,1.10\n"
LOAD_DEPLOYMENTS = ["ingest", "d.csv", "--kind", "deployments", "--no-contract-check"]
DEPLOYMENTS = (
    "deployment_id,service,environment,version,status,started_at\n"
    "d1,api,prod,1.0.0,succeeded,2024-03-04T10:00:00Z\n"
)
#: each level nine times the last: 9**9 nodes once composed, 10 short lines as text
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{new}: &{new} [{', '.join([f'*{old}'] * 9)}]\n"
    for old, new in zip("abcdefgh", "bcdefghi", strict=True)
)
DEEP = 100_000
#: generous for a few lines of YAML, far below composing the bomb or the nesting
CONFIG_CHECK_PEAK_BYTES = 20 * 1_048_576


def _error_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().err.strip().splitlines()


# -- flags are checked before the warehouse is opened -------------------------------------------


@pytest.mark.parametrize(
    ("argv", "named", "expected"),
    [
        (["ingest", "inv.csv", "--captured-at", "yesterday"], "--captured-at", "YYYY-MM-DD"),
        (["ingest", "inv.csv", "--captured-at", "2024-13-01"], "--captured-at", "YYYY-MM-DD"),
        (["ingest", "inv.csv", "--captured-at", "20240304"], "--captured-at", "YYYY-MM-DD"),
        (["run", "--week", "2026-W60"], "--week", "does not exist; expected YYYY-Www"),
        (["run", "--week", "26-W1"], "--week", "is not of the form YYYY-Www"),
        (["report", "--week", "2026-W60"], "--week", "does not exist"),
        (["demo", "--weeks", "3"], "--weeks", f">= {MIN_SAMPLE_WEEKS}, got 3"),
        (["demo", "--seed", "-1"], "--seed", ">= 0, got -1"),
        (["sample-data", "--out", "o", "--scale", "0"], "--scale", ">= 1, got 0"),
        (["sample-data", "--out", "o", "--weeks", "-4"], "--weeks", f">= {MIN_SAMPLE_WEEKS}"),
        (["sample-data", "--out", "o", "--scale", "two"], "--scale", "'two' is not a whole"),
    ],
)
def test_a_bad_flag_is_a_usage_error_before_anything_is_touched(
    workspace: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    named: str,
    expected: str,
) -> None:
    (workspace / "inv.csv").write_text(INVENTORY)
    before = sorted(p.name for p in workspace.iterdir())

    assert main(argv) == 2

    error, hint = _error_lines(capsys)
    assert f"error: argument {named}: " in error and expected in error
    assert hint.startswith("hint: release-health ") and hint.endswith(" --help")
    assert sorted(p.name for p in workspace.iterdir()) == before  # no warehouse, no folder


def test_the_same_file_loads_once_the_capture_time_is_right(workspace, capsys) -> None:
    (workspace / "inv.csv").write_text(INVENTORY)
    assert main(["ingest", "inv.csv", "--kind", "inventory", "--captured-at", "yesterday"]) == 2
    assert not (workspace / WAREHOUSE).exists()
    capsys.readouterr()

    right = ["ingest", "inv.csv", "--kind", "inventory", "--captured-at", "2024-03-04T06:00:00Z"]
    assert main([*right, "--no-contract-check"]) == 0
    (line, _summary) = capsys.readouterr().out.strip().splitlines()
    assert line.startswith("loaded    inventory   inv.csv: read 1, accepted 1, rejected 0")


def test_a_capture_time_outside_the_accepted_range_is_a_usage_error(workspace, capsys) -> None:
    (workspace / "inv.csv").write_text(INVENTORY)
    assert main(["ingest", "inv.csv", "--captured-at", "1999-12-31"]) == 2
    (line,) = _error_lines(capsys)
    assert line == (
        "release-health: argument --captured-at: 1999-12-31 is outside the accepted range "
        "2000-01-01 .. now + 24 h"
    )
    assert not (workspace / WAREHOUSE).exists()


def test_an_unknown_environment_is_a_usage_error_naming_the_allowed(workspace, capsys) -> None:
    (workspace / "inv.csv").write_text(INVENTORY)
    assert main(["ingest", "inv.csv", "--environment", "prodd"]) == 2
    (line,) = _error_lines(capsys)
    assert line == (
        "release-health: argument --environment: 'prodd' is not a known environment; expected "
        "one of dev, test, staging, prod (or an alias: production, prd, stg, stage, qa)"
    )
    assert not (workspace / WAREHOUSE).exists()


def test_an_environment_alias_in_any_case_is_accepted(workspace, capsys) -> None:
    (workspace / "inv.csv").write_text(INVENTORY)
    argv = ["ingest", "inv.csv", "--kind", "inventory", "--environment", "PRD"]
    assert main([*argv, "--no-contract-check"]) == 0
    assert "read 1, accepted 1" in capsys.readouterr().out


def test_demo_with_too_few_weeks_leaves_its_folder_alone(workspace, capsys) -> None:
    demo = workspace / "demo"
    demo.mkdir()
    (demo / DEMO_MARKER).write_text("")
    (demo / "earlier-run.txt").write_text("still here")

    assert main(["demo", "--weeks", "3", "--dir", str(demo)]) == 2

    assert (demo / "earlier-run.txt").read_text() == "still here"
    assert sorted(p.name for p in demo.iterdir()) == [DEMO_MARKER, "earlier-run.txt"]
    assert "argument --weeks: expected a whole number >= 8, got 3" in capsys.readouterr().err


def test_the_command_line_knows_the_sample_organisations_minimum() -> None:
    assert MIN_SAMPLE_WEEKS == MIN_WEEKS


@pytest.mark.parametrize("verb", ["demo", "sample-data"])
def test_a_file_where_a_folder_is_wanted_is_a_usage_error(workspace, capsys, verb) -> None:
    (workspace / "taken").write_text("a file")
    flag = "--dir" if verb == "demo" else "--out"
    assert main([verb, flag, "taken"]) == 2
    (line,) = _error_lines(capsys)
    assert line == f"release-health: {flag} taken is not a folder" + (
        "; choose another --dir" if verb == "demo" else ""
    )
    assert (workspace / "taken").read_text() == "a file"


# -- the warehouse file -----------------------------------------------------------------------


def _sqlite(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE deployments (id TEXT)")


def _text(path: Path) -> None:
    path.write_text("not a database\n")


def _zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.txt", "b")


@pytest.mark.parametrize("make", [_sqlite, _text, _zip], ids=["sqlite", "text", "zip"])
@pytest.mark.parametrize("verb", [["status"], ["ingest", "d.csv"], ["run"]])
def test_a_foreign_warehouse_file_is_a_config_error_and_is_not_changed(
    workspace, capsys, make, verb
) -> None:
    (workspace / "d.csv").write_text(DEPLOYMENTS)
    make(workspace / WAREHOUSE)
    before = (workspace / WAREHOUSE).read_bytes()

    assert main(verb) == 2

    (line,) = _error_lines(capsys)
    assert line.startswith(f"release-health: {workspace / WAREHOUSE} is not a DuckDB warehouse")
    assert (workspace / WAREHOUSE).read_bytes() == before


def test_duckdb_never_installs_or_loads_an_extension_by_itself(tmp_path) -> None:
    with connect(tmp_path / "w.duckdb") as conn:
        settings = dict(
            conn.execute(
                "SELECT name, value FROM duckdb_settings() WHERE name IN"
                " ('autoinstall_known_extensions', 'autoload_known_extensions')"
            ).fetchall()
        )
    assert settings == {
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
    }


def _read_only_for_us(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """Make ``path`` read-only: chmod, and for root (whom chmod does not stop) the same answer
    from the access check the warehouse makes before writing."""
    path.chmod(0o444)
    real_access = os.access

    def access(target, mode, **kwargs):
        if Path(target) == path and mode & os.W_OK:
            return False
        return real_access(target, mode, **kwargs)

    monkeypatch.setattr("assets.warehouse.os.access", access)


@pytest.mark.parametrize("verb", [[*LOAD_DEPLOYMENTS], ["run"]])
def test_a_read_only_warehouse_is_one_line_for_writers_and_still_has_a_status(
    workspace, capsys, monkeypatch, verb
) -> None:
    (workspace / "d.csv").write_text(DEPLOYMENTS)
    assert main(LOAD_DEPLOYMENTS) == 0
    _read_only_for_us(monkeypatch, workspace / WAREHOUSE)
    before = (workspace / WAREHOUSE).read_bytes()
    capsys.readouterr()

    assert main(verb) == 1
    (line,) = _error_lines(capsys)
    assert line.startswith(f"release-health: warehouse {workspace / WAREHOUSE} is read-only")
    assert (workspace / WAREHOUSE).read_bytes() == before

    assert main(["status"]) == 0
    assert "deployments              1" in capsys.readouterr().out


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only files")
def test_a_read_only_warehouse_folder_is_one_line(workspace, capsys) -> None:
    folder = workspace / "locked"
    folder.mkdir()
    (workspace / "ro.yaml").write_text("warehouse: locked/w.duckdb\n")
    folder.chmod(0o555)
    try:
        assert main(["--config", "ro.yaml", "ingest", "ro.yaml"]) == 1
    finally:
        folder.chmod(0o755)
    (line,) = _error_lines(capsys)
    assert "is read-only: its folder" in line


# -- the config file --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (ALIAS_BOMB, "line 2: YAML aliases (*name) are not allowed in the config"),
        ("services: " + "[" * DEEP + "]" * DEEP + "\n", "line 1: nested deeper than 16 levels"),
        ("a: " + "{a: " * DEEP + "1" + "}" * DEEP + "\n", "line 1: nested deeper than 16 levels"),
        (
            "".join(" " * depth + f"k{depth}:\n" for depth in range(100)),
            f"line {CONFIG_MAX_DEPTH + 1}: nested deeper than 16 levels",
        ),
    ],
    ids=["alias-bomb", "deep-flow-list", "deep-flow-map", "deep-block-map"],
)
def test_a_config_bomb_fails_fast_naming_the_file(workspace, capsys, text, reason) -> None:
    (workspace / "bomb.yaml").write_text(text)
    tracemalloc.start()
    try:
        assert main(["--config", "bomb.yaml", "status"]) == 2
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    error, hint = _error_lines(capsys)
    assert error == f"release-health: config error: bomb.yaml: {reason}"
    assert hint.startswith("hint: ")
    assert peak < CONFIG_CHECK_PEAK_BYTES


def test_a_config_with_anchors_but_nesting_a_real_file_needs_still_loads(workspace) -> None:
    (workspace / "ok.yaml").write_text(
        "services:\n  teams:\n    api: core\nenvironments:\n  aliases: {live: prod}\n"
    )
    assert main(["--config", "ok.yaml", "status"]) == 0


def test_an_oversized_config_file_is_refused(workspace, capsys) -> None:
    (workspace / "big.yaml").write_text("# padding\n" * 200_000)
    assert main(["--config", "big.yaml", "status"]) == 2
    assert "big.yaml: larger than 1048576 bytes: not a config file" in capsys.readouterr().err


# -- definitions are lazy ---------------------------------------------------------------------


def test_config_flag_wins_over_a_broken_config_in_the_current_folder(workspace, capsys) -> None:
    import importlib

    import pipelines.definitions

    (workspace / "release-health.yaml").write_text("warehouse: [unclosed\n")
    (workspace / "good.yaml").write_text("warehouse: good.duckdb\n")
    importlib.reload(pipelines.definitions)  # importing reads no configuration
    importlib.import_module("pipelines.runner")

    assert main(["--config", "good.yaml", "status"]) == 0
    assert "no warehouse yet at" in capsys.readouterr().out
    assert main(["status"]) == 2  # the broken file is still reported when it is the one used
    assert "release-health.yaml line 2: not valid YAML" in capsys.readouterr().err


def test_report_refuses_a_week_folder_linking_outside(workspace, capsys) -> None:
    (workspace / "d.csv").write_text(DEPLOYMENTS)
    assert main(LOAD_DEPLOYMENTS) == 0
    outside = workspace / "outside"
    outside.mkdir()
    (workspace / "reports").mkdir()
    (workspace / "reports" / "2024-W10").symlink_to(outside, target_is_directory=True)
    capsys.readouterr()

    assert main(["report", "--week", "2024-W10"]) == 1

    (line,) = _error_lines(capsys)
    assert line.startswith(f"release-health: {workspace / 'reports' / '2024-W10'} is a link to")
    assert "outside the reports folder" in line
    assert list(outside.iterdir()) == []
