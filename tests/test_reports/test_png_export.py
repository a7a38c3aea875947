"""Static PNGs through kaleido and the system Chromium, and the skip when there is none."""

from __future__ import annotations

from pathlib import Path

from reports import charts
from reports.model import WeeklyReport
from reports.png_export import export_pngs
from reports.publish import publish_weekly

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_pngs_written_with_system_chromium(
    report: WeeklyReport, tmp_path: Path, chromium: Path
) -> None:
    figures = {
        "batch-risk": charts.batch_risk(report.batch_risk),
        "calendar": charts.release_calendar(report.calendar, report.week_start),
    }

    paths, skipped = export_pngs(figures, tmp_path / "png", chromium_path=chromium)

    assert skipped is None
    assert paths == [tmp_path / "png" / "batch-risk.png", tmp_path / "png" / "calendar.png"]
    for path in paths:
        assert path.read_bytes().startswith(PNG_SIGNATURE)


def test_missing_browser_gives_a_reason(report: WeeklyReport, tmp_path: Path) -> None:
    figures = {"batch-risk": charts.batch_risk(report.batch_risk)}

    paths, skipped = export_pngs(figures, tmp_path / "png", chromium_path=tmp_path / "none")

    assert paths == []
    assert skipped is not None and "chromium" in skipped.lower()
    assert str(tmp_path / "none") in skipped
    assert not (tmp_path / "png").exists()


def test_page_publishes_when_pngs_are_skipped(report: WeeklyReport, tmp_path: Path) -> None:
    published = publish_weekly(report, tmp_path / "site", png=True, chromium_path=tmp_path / "none")

    assert published.path.is_file() and published.charts == 11
    assert published.pngs == [] and "chromium" in (published.png_skipped or "").lower()
