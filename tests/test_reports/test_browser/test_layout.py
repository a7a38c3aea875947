"""No table is wider than its frame and the page never scrolls sideways, at 800 and 1400 px,
with the long values real data brings (commit-hash versions, long rules, long paths)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from reports.model import ArchiveEntry, WeeklyReport
from reports.publish import publish_archive, publish_weekly

WIDTHS = (800, 1400)
SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
LONG_PATH = "inbox/deployments/" + "very-long-export-name-from-the-ci-system-" * 3 + ".jsonl"


def long_values(report: WeeklyReport) -> WeeklyReport:
    """The hand-made week with the widest values the tables meet in practice."""
    env = report.environment
    drift = env.drift.assign(
        baseline_version=[f"sha-{SHA}", "2024.03.07-build.1234567", "v1.3.2-rc.1+exp.sha.5114f85"],
        target_version=[f"sha-{SHA[::-1]}", "2024.02.20-build.1200000", "v1.3.2"],
        rule=[
            "in flight: behind for 48 h, within the 168 h promotion SLA",
            "production runs a version the baseline never had",
            "config differs: log_level, feature_flags.checkout_v2, replicas, resources.limits",
        ],
    )
    rejections = pd.DataFrame(
        {
            "reason": ["timestamp_out_of_range", "missing_required_field", "record_count_mismatch"],
            "rows": [120, 40, 3],
            "example": [
                f'{LONG_PATH}:17 {{"started_at": "1970-01-01T00:00:00Z", "service": "{SHA}"}}',
                f"{LONG_PATH}:18 service=",
                SHA * 2,
            ],
        }
    )
    files = report.input_files.assign(
        path=[f"{LONG_PATH}{i}" for i in range(len(report.input_files))]
    )
    held = report.act.held.assign(path=[LONG_PATH], error=[f"contract_failed: {SHA}"])
    return dataclasses.replace(
        report,
        act=dataclasses.replace(report.act, held=held),
        environment=dataclasses.replace(env, drift=drift),
        rejection_reasons=rejections,
        input_files=files,
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_weekly_tables_fit_their_frames(
    report: WeeklyReport, tmp_path: Path, browser, width: int
) -> None:
    published = publish_weekly(long_values(report), tmp_path / "site")

    result = browser.overflow(published.path, width)

    assert result["frames"] >= 8  # drift, opened, closed, bypassed, files, rejections, ...
    assert result["tables"] == []
    assert result["page"] is False


@pytest.mark.parametrize("width", WIDTHS)
def test_archive_fits_at_every_width(tmp_path: Path, browser, width: int) -> None:
    start = dt.date(2024, 3, 4)
    entries = [
        ArchiveEntry(
            week=f"{(start - dt.timedelta(weeks=k)).isocalendar()[0]}-W"
            f"{(start - dt.timedelta(weeks=k)).isocalendar()[1]:02d}",
            week_start=start - dt.timedelta(weeks=k),
            href=f"{(start - dt.timedelta(weeks=k)).isocalendar()[0]}-W"
            f"{(start - dt.timedelta(weeks=k)).isocalendar()[1]:02d}/index.html",
            deployments=12_345 + k,
            deploy_days=5,
            change_failure_rate=0.123,
            median_lead_time_hours=36.5,
            overall_tier="medium",
            drifting_services=17,
        )
        for k in range(30)
    ]
    path = publish_archive(entries, tmp_path / "site")

    result = browser.overflow(path, width)

    assert result["frames"] == 1
    assert result["tables"] == []
    assert result["page"] is False


@pytest.mark.parametrize("width", WIDTHS)
def test_service_page_fits(report: WeeklyReport, tmp_path: Path, browser, width: int) -> None:
    published = publish_weekly(long_values(report), tmp_path / "site")

    result = browser.overflow(published.service_pages[0], width)

    assert result["frames"] == 4  # versions, drift history, promotion lag, incidents
    assert result["tables"] == []
    assert result["page"] is False
