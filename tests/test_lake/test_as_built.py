"""Each weekly page records the lake snapshot it read; ``--as-built`` rebuilds it from there."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from assets.ingest.loader import ingest_paths
from assets.reporting.builds import NotRebuildable, as_built_report, publish_recorded
from assets.settings import Settings
from tests.test_lake.conftest import Lake

WEEK = dt.date(2026, 11, 2)
HEADER = "deployment_id,service,environment,version,status,started_at,finished_at\n"


def deployments(folder: Path, name: str, first: int, count: int) -> Path:
    """``count`` successful prod deployments of WEEK, ids from ``first``, one a day."""
    lines = [HEADER]
    for n in range(first, first + count):
        at = dt.datetime(2026, 11, 2 + n % 5, 10, tzinfo=dt.UTC)
        lines.append(f"d-{n},checkout,prod,1.{n}.0,succeeded,{at:%Y-%m-%dT%H:%MZ},\n")
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_as_built_page_equals_the_first_page_after_new_data(
    lake: Lake, rebuild_marts: Callable[..., None]
) -> None:
    inbox = lake.settings.inbox_path / "deployments"
    with lake.connect() as conn:
        ingest_paths(conn, [deployments(inbox, "first.csv", 0, 3)], lake.settings)
        rebuild_marts(conn, lake.settings)
        first = publish_recorded(conn, lake.settings, WEEK)
        original = first.path.read_bytes()
        # late data for the same week: the week's page is built again and changes
        ingest_paths(conn, [deployments(inbox, "late.csv", 3, 4)], lake.settings)
        rebuild_marts(conn, lake.settings)
        second = publish_recorded(conn, lake.settings, WEEK)
        builds = conn.execute(
            "SELECT lake_snapshot FROM raw.report_builds ORDER BY built_at"
        ).fetchall()
    assert second.path == first.path
    assert second.path.read_bytes() != original
    assert len(builds) == 2 and builds[0][0] < builds[1][0]

    report, build = as_built_report(lake.settings, WEEK)
    assert build.lake_snapshot == builds[0][0]
    assert {card.key: card.value for card in report.kpis}["deployments"] == 3

    result = lake.cli("report", "--week", "2026-W45", "--as-built")
    assert result.returncode == 0, result.stderr
    rebuilt = lake.folder / result.stdout.strip()  # printed relative to the working folder
    assert rebuilt == (
        lake.settings.reports_path
        / "as-built"
        / f"snapshot-{builds[0][0]}"
        / "2026-W45"
        / "index.html"
    )
    assert rebuilt.read_bytes() == original


def test_a_page_published_by_hand_can_be_rebuilt_as_built(
    lake: Lake, rebuild_marts: Callable[..., None]
) -> None:
    inbox = lake.settings.inbox_path / "deployments"
    with lake.connect() as conn:
        ingest_paths(conn, [deployments(inbox, "first.csv", 0, 3)], lake.settings)
        rebuild_marts(conn, lake.settings)

    published = lake.cli("report", "--week", "2026-W45")
    assert published.returncode == 0, published.stderr
    original = (lake.folder / published.stdout.strip()).read_bytes()
    rebuilt = lake.cli("report", "--week", "2026-W45", "--as-built")

    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "as-built" in rebuilt.stdout
    assert (lake.folder / rebuilt.stdout.strip()).read_bytes() == original


def test_a_duckdb_file_records_no_snapshot_and_cannot_rebuild_as_built(
    tmp_path: Path,
    make_settings: Callable[..., Settings],
    write_input: Callable[..., Path],
    rebuild_marts: Callable[..., None],
) -> None:
    from assets.warehouse import open_warehouse

    settings = make_settings(
        warehouse=str(tmp_path / "w.duckdb"), reports_dir=str(tmp_path / "reports")
    )
    path = write_input("d.csv", HEADER + "d-1,checkout,prod,1.0.0,succeeded,2026-11-03T10:00Z,\n")
    with open_warehouse(settings) as conn:
        ingest_paths(conn, [path], settings)
        rebuild_marts(conn, settings)
        publish_recorded(conn, settings, WEEK)
        assert conn.execute("SELECT lake_snapshot FROM raw.report_builds").fetchall() == [(None,)]
    with pytest.raises(NotRebuildable, match="built from a DuckDB file, which keeps no snapshots"):
        as_built_report(settings, WEEK)
