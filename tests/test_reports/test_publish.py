"""Files on disk: week folders, the shared plotly.js, the archive, and path safety."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs

from reports.model import ArchiveEntry, WeeklyReport
from reports.publish import UnsafeReportPath, publish_archive, publish_weekly

OLD_MTIME_NS = 1_000_000_000 * 1_000_000_000  # 2001-09-09, far from "now"
OUTSIDE_TEXT = "not the report's to change\n"


@pytest.mark.parametrize("week", ["../x", "2024-W10/../../x", "2024-W1", "/abs/2024-W10", ""])
def test_week_must_be_an_iso_week_label(report: WeeklyReport, tmp_path: Path, week: str) -> None:
    site = tmp_path / "site"
    with pytest.raises(ValueError, match="YYYY-Www"):
        publish_weekly(dataclasses.replace(report, week=week), site)
    assert not site.exists()


def test_publish_writes_week_page_and_shared_plotly(report: WeeklyReport, tmp_path: Path) -> None:
    site = tmp_path / "site"

    published = publish_weekly(report, site)

    assert published.path == (site / "2024-W10" / "index.html").resolve()
    assert published.charts == 11 and published.pngs == [] and published.png_skipped is None
    assert (site / "assets" / "plotly.min.js").read_text(encoding="utf-8") == get_plotlyjs()
    assert '<script src="../assets/plotly.min.js">' in published.path.read_text(encoding="utf-8")


def test_plotly_written_once_per_folder(report: WeeklyReport, tmp_path: Path) -> None:
    site = tmp_path / "site"
    publish_weekly(report, site)
    plotly = site / "assets" / "plotly.min.js"
    os.utime(plotly, ns=(OLD_MTIME_NS, OLD_MTIME_NS))

    publish_weekly(dataclasses.replace(report, week="2024-W11"), site)
    assert plotly.stat().st_mtime_ns == OLD_MTIME_NS

    plotly.write_text("stale", encoding="utf-8")
    publish_weekly(report, site)
    assert plotly.read_text(encoding="utf-8") == get_plotlyjs()


def test_self_contained_page_needs_no_other_file(report: WeeklyReport, tmp_path: Path) -> None:
    site = tmp_path / "site"

    published = publish_weekly(report, site, self_contained=True)

    page = published.path.read_text(encoding="utf-8")
    assert "<script src" not in page
    assert "plotly.js v" in page
    assert not (site / "assets").exists()


def test_empty_week_publishes_without_charts(empty_week: WeeklyReport, tmp_path: Path) -> None:
    published = publish_weekly(empty_week, tmp_path)

    assert published.charts == 0
    assert published.path == (tmp_path / "2024-W11" / "index.html").resolve()


def test_archive_page_newest_first(archive_entries: list[ArchiveEntry], tmp_path: Path) -> None:
    path = publish_archive(archive_entries, tmp_path)

    page = path.read_text(encoding="utf-8")
    assert path == (tmp_path / "index.html").resolve()
    w10, w09, w08 = (
        page.index(f'href="{w}/index.html"') for w in ("2024-W10", "2024-W09", "2024-W08")
    )
    assert w10 < w09 < w08


def _outside(tmp_path: Path) -> Path:
    """A folder beside the site with one file a planted link may point at."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "outside.html").write_text(OUTSIDE_TEXT, encoding="utf-8")
    return outside


def test_a_linked_page_is_replaced_not_written_through(
    report: WeeklyReport, tmp_path: Path
) -> None:
    outside = _outside(tmp_path)
    site = tmp_path / "site"
    (site / "2024-W10").mkdir(parents=True)
    planted = site / "2024-W10" / "index.html"
    planted.symlink_to(outside / "outside.html")

    published = publish_weekly(report, site)

    assert (outside / "outside.html").read_text(encoding="utf-8") == OUTSIDE_TEXT
    assert not planted.is_symlink()
    assert published.path == planted.resolve()
    assert '<script src="../assets/plotly.min.js">' in planted.read_text(encoding="utf-8")
    # no temporary file left beside the page (the services folder holds the service pages)
    assert sorted(p.name for p in planted.parent.iterdir()) == ["index.html", "services"]


def test_a_linked_archive_page_and_library_are_replaced(
    report: WeeklyReport, archive_entries: list[ArchiveEntry], tmp_path: Path
) -> None:
    outside = _outside(tmp_path)
    site = tmp_path / "site"
    (site / "assets").mkdir(parents=True)
    (site / "index.html").symlink_to(outside / "outside.html")
    (site / "assets" / "plotly.min.js").symlink_to(outside / "outside.html")

    publish_weekly(report, site)
    publish_archive(archive_entries, site)

    assert (outside / "outside.html").read_text(encoding="utf-8") == OUTSIDE_TEXT
    assert not (site / "index.html").is_symlink()
    assert 'href="2024-W10/index.html"' in (site / "index.html").read_text(encoding="utf-8")
    assert (site / "assets" / "plotly.min.js").read_text(encoding="utf-8") == get_plotlyjs()


@pytest.mark.parametrize("linked", ["2024-W10", "assets"])
def test_a_folder_linking_outside_is_refused(
    report: WeeklyReport, tmp_path: Path, linked: str
) -> None:
    outside = _outside(tmp_path)
    site = tmp_path / "site"
    site.mkdir()
    (site / linked).symlink_to(outside, target_is_directory=True)

    with pytest.raises(UnsafeReportPath, match="outside the reports folder") as refused:
        publish_weekly(report, site)

    assert str(site.resolve() / linked) in str(refused.value)
    assert sorted(p.name for p in outside.iterdir()) == ["outside.html"]
    assert (outside / "outside.html").read_text(encoding="utf-8") == OUTSIDE_TEXT


def test_a_folder_linking_inside_the_site_is_followed(report: WeeklyReport, tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "shared").mkdir(parents=True)
    (site / "assets").symlink_to(site / "shared", target_is_directory=True)

    publish_weekly(report, site)

    assert (site / "shared" / "plotly.min.js").read_text(encoding="utf-8") == get_plotlyjs()


def test_new_pages_get_the_usual_permissions(report: WeeklyReport, tmp_path: Path) -> None:
    mask = os.umask(0)
    os.umask(mask)
    published = publish_weekly(report, tmp_path / "site")
    assert published.path.stat().st_mode & 0o777 == 0o666 & ~mask
