"""Solo and team mode give identical marts for the same inputs."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from assets.ingest.loader import ingest_paths
from assets.reporting.bi import mart_tables
from assets.sample.organisation import write_sample_organisation
from assets.settings import Settings
from assets.warehouse import open_warehouse
from tests.test_lake.conftest import Lake

#: a few weeks of the sample organisation, over its year-end freeze: every mart has rows, the
#: test stays quick
SAMPLE_WEEKS = 8
SAMPLE_END = dt.date(2026, 1, 11)


def comparable(value: Any) -> Any:
    """NaN as a marker (NaN never equals itself), everything else as it is."""
    return "NaN" if isinstance(value, float) and math.isnan(value) else value


def marts(conn: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    """Every mart table's rows, in a total order."""
    return {
        table: [
            tuple(comparable(v) for v in row)
            for row in conn.execute(f"SELECT * FROM marts.{table} ORDER BY ALL").fetchall()
        ]
        for table in mart_tables(conn)
    }


def build(settings: Settings, rebuild_marts: Callable[..., None]) -> dict[str, list[Any]]:
    with open_warehouse(settings) as conn:
        reports = ingest_paths(conn, [settings.inbox_path], settings)
        assert {r.status for r in reports} <= {"loaded"}
        rebuild_marts(conn, settings)
        return marts(conn)


def test_sample_organisation_gives_identical_marts_solo_and_on_the_lake(
    lake: Lake,
    make_settings: Callable[..., Settings],
    rebuild_marts: Callable[..., None],
    tmp_path: Path,
) -> None:
    write_sample_organisation(lake.settings.inbox_path, weeks=SAMPLE_WEEKS, seed=7, end=SAMPLE_END)
    solo = make_settings(
        inbox_dir=str(lake.settings.inbox_path), warehouse=str(tmp_path / "solo.duckdb")
    )

    on_lake = build(lake.settings, rebuild_marts)
    on_file = build(solo, rebuild_marts)

    assert set(on_lake) == set(on_file)
    assert len(on_file) >= 9
    for table, rows in on_file.items():
        assert rows, f"marts.{table} is empty: the sample should fill every mart"
        assert on_lake[table] == rows, f"marts.{table} differs"
