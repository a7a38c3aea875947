"""The page is drawn from aggregates: ten times the deployments, (almost) the same page."""

import datetime as dt

from assets.reporting.build import build_weekly_report
from assets.sample.organisation import write_sample_organisation
from assets.settings import parse_settings
from reports.publish import publish_weekly

END = dt.date(2026, 11, 22)
LAST_WEEK = dt.date(2026, 11, 16)
COPIES = 9  # plus the original: ten times the deployments


def test_report_size_does_not_grow_with_deployments(tmp_path, warehouse_from_inbox, rebuild_marts):
    inbox = tmp_path / "inbox"
    write_sample_organisation(inbox, weeks=26, seed=7, end=END)
    sizes = {}
    for label, copies in (("sample", 0), ("ten_times", COPIES)):
        settings = parse_settings(
            {
                "inbox_dir": str(inbox),
                "warehouse": str(tmp_path / f"{label}.duckdb"),
                "reports_dir": str(tmp_path / f"{label}-reports"),
            }
        )
        conn = warehouse_from_inbox(settings)
        if copies:
            # each deployment again, a few minutes later, under a new id
            conn.execute(
                "INSERT INTO staging.deployments SELECT d.* REPLACE ("
                " deployment_id || '-copy-' || k AS deployment_id,"
                " started_at + to_minutes(k) AS started_at,"
                " finished_at + to_minutes(k) AS finished_at)"
                " FROM staging.deployments d, range(1, $copies + 1) r(k)",
                {"copies": copies},
            )
            rebuild_marts(conn, settings)
        (count,) = conn.execute("SELECT count(*) FROM staging.deployments").fetchone()
        published = publish_weekly(
            build_weekly_report(conn, settings, LAST_WEEK), settings.reports_path
        )
        sizes[label] = (count, published.path.stat().st_size)
    (rows, size), (rows_10, size_10) = sizes["sample"], sizes["ten_times"]
    assert rows_10 == 10 * rows
    assert abs(size_10 - size) / size < 0.10, sizes
