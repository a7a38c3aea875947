"""Publishing one week (check, build, write, record) and the archive page, as the weekly job
and the command line's ``report`` both do, on a warehouse built from a small inbox:
production deployments in 2024-W01 .. 2024-W03."""

from __future__ import annotations

import datetime as dt

import pytest

from assets.reporting.publishing import publish_archive_page, publish_week
from assets.settings import parse_settings

DEPLOYMENTS = """\
deployment_id,service,team,environment,version,status,started_at,finished_at
a1,api,core,prod,1.0.0,succeeded,2024-01-01T10:00:00Z,2024-01-01T10:10:00Z
a2,api,core,prod,1.1.0,succeeded,2024-01-09T10:00:00Z,2024-01-09T10:30:00Z
w1,web,shop,prod,2.0,succeeded,2024-01-15T16:00:00Z,2024-01-15T16:10:00Z
"""
W02, W03, W04 = dt.date(2024, 1, 8), dt.date(2024, 1, 15), dt.date(2024, 1, 22)
TODAY_AFTER = dt.date(2024, 2, 1)
TODAY_DURING = dt.date(2024, 1, 17)  # a Wednesday of 2024-W03


@pytest.fixture
def published(tmp_path, warehouse_from_inbox):
    """(settings, the warehouse built from the inbox); nothing published yet."""
    (tmp_path / "inbox" / "deployments").mkdir(parents=True)
    (tmp_path / "inbox" / "deployments" / "d.csv").write_text(DEPLOYMENTS)
    settings = parse_settings(
        {
            "warehouse": str(tmp_path / "w.duckdb"),
            "inbox_dir": str(tmp_path / "inbox"),
            "reports_dir": str(tmp_path / "reports"),
        }
    )
    return settings, warehouse_from_inbox(settings)


def _builds(conn) -> list[tuple]:
    return conn.execute(
        "SELECT week_start, lake_snapshot, report_path FROM raw.report_builds ORDER BY ALL"
    ).fetchall()


def test_a_week_with_data_is_written_and_its_build_recorded(published) -> None:
    settings, conn = published

    outcome = publish_week(conn, settings, W02, TODAY_AFTER)

    page = settings.reports_path.resolve() / "2024-W02" / "index.html"
    assert outcome.check.state == "complete"
    assert outcome.published.path == page
    assert "2024-W02" in page.read_text(encoding="utf-8")
    # a DuckDB file keeps no snapshots: the build is recorded without one
    assert _builds(conn) == [(W02, None, str(page))]


def test_a_read_only_warehouse_publishes_without_recording(published) -> None:
    settings, conn = published

    outcome = publish_week(conn, settings, W02, TODAY_AFTER, record=False)

    assert outcome.published.path.is_file()
    assert _builds(conn) == []


@pytest.mark.parametrize(
    ("week", "today", "state"),
    [(W04, TODAY_AFTER, "empty"), (W03, TODAY_DURING, "unfinished"), (W04, W03, "future")],
)
def test_a_refused_week_is_written_nowhere(published, week, today, state) -> None:
    settings, conn = published

    outcome = publish_week(conn, settings, week, today)

    assert (outcome.check.state, outcome.published) == (state, None)
    assert not settings.reports_path.exists()
    assert _builds(conn) == []


def test_the_week_under_way_is_published_when_asked(published) -> None:
    settings, conn = published

    outcome = publish_week(conn, settings, W03, TODAY_DURING, allow_partial=True)

    assert outcome.check.state == "partial"
    assert outcome.published.path.is_file()


def test_the_archive_page_lists_every_published_week(published) -> None:
    settings, conn = published
    for week in (W02, W03):
        publish_week(conn, settings, week, TODAY_AFTER)

    path, weeks = publish_archive_page(conn, settings)

    assert (path, weeks) == (settings.reports_path.resolve() / "index.html", 2)
    text = path.read_text(encoding="utf-8")
    assert "2024-W02/index.html" in text and "2024-W03/index.html" in text
    assert "2024-W01/index.html" not in text  # never published
