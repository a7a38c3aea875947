"""Team-mode fixtures: a DuckLake warehouse whose catalog is a fresh database on the session's
PostgreSQL server, with its data files under ``tmp_path``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from assets.settings import Settings, parse_settings
from assets.warehouse import open_warehouse
from tests.postgres import LocalPostgres

#: no CLI call in these tests should come near this; it only keeps a hang from stalling CI
CLI_TIMEOUT_SECONDS = 600
RELEASE_HEALTH = Path(sys.executable).with_name("release-health")


@dataclass(frozen=True)
class Lake:
    """One test's lake: its config file, settings and the PostgreSQL catalog database."""

    folder: Path
    config: Path
    settings: Settings
    catalog_dsn: str
    server: LocalPostgres

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        """A connection to the lake, as the assets get one."""
        return open_warehouse(self.settings, read_only=read_only, wait_seconds=0)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``release-health --config <lake config> ARGS`` in a process of its own."""
        return self.start_cli(*args).wait_result()

    def start_cli(self, *args: str) -> RunningCli:
        """Start ``release-health`` without waiting for it."""
        process = subprocess.Popen(
            [str(RELEASE_HEALTH), "--config", str(self.config), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=cli_env(),
            cwd=self.folder,
        )
        return RunningCli(process)


@dataclass(frozen=True)
class RunningCli:
    process: subprocess.Popen[str]

    def wait_result(self) -> subprocess.CompletedProcess[str]:
        """Wait for the process; its exit code and output."""
        out, err = self.process.communicate(timeout=CLI_TIMEOUT_SECONDS)
        return subprocess.CompletedProcess(self.process.args, self.process.returncode, out, err)


def cli_env() -> dict[str, str]:
    """The environment for CLI processes: no config or warehouse override from outside."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELEASE_HEALTH_")}
    env.pop("DAGSTER_HOME", None)
    return env


def lake_config(catalog_dsn: str, **overrides: Any) -> dict[str, Any]:
    """Config keys for a lake in the current folder (paths relative to the config file)."""
    return {
        "warehouse": f"ducklake:postgres:{catalog_dsn}",
        "lake_data_path": "lake-data",
        "inbox_dir": "inbox",
        "reports_dir": "reports",
        **overrides,
    }


@pytest.fixture
def make_lake(postgres: LocalPostgres, tmp_path: Path) -> Callable[..., Lake]:
    """``make_lake(name, **config)``: a new lake in ``tmp_path/name`` on a fresh catalog."""

    def make(name: str = "lake", **overrides: Any) -> Lake:
        folder = tmp_path / name
        folder.mkdir()
        dsn = postgres.database(f"{tmp_path.name}_{name}")
        raw = lake_config(dsn, **overrides)
        config = folder / "release-health.yaml"
        config.write_text(yaml.safe_dump(raw), encoding="utf-8")
        return Lake(folder, config, parse_settings(raw, base_dir=folder), dsn, postgres)

    return make


@pytest.fixture
def lake(make_lake: Callable[..., Lake]) -> Iterator[Lake]:
    """A fresh lake for the test."""
    yield make_lake()
