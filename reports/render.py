"""Render the weekly page and the archive page to HTML strings (no file system writes).

Templates autoescape and fail on any missing variable. Figures travel as one JSON block
(``<script type="application/json" id="rh-charts">``) in which ``<``, ``>`` and ``&`` are
written as ``\\u003c``-style escapes, so no string in the data can close the script element;
a small inline script draws every ``div.rh-chart`` from it.
"""

from __future__ import annotations

import dataclasses
import json
import re
from functools import cache
from importlib import resources

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from assets.weeks import validate_week
from reports import formatting
from reports.csv_export import csv_data_uri, frame_csv
from reports.model import ArchiveEntry, WeeklyReport
from reports.page import WeeklyPage, build_weekly_page, tier_class
from reports.paths import (
    ARCHIVE_HREF_FROM_WEEK,
    PLOTLY_SRC_FROM_WEEK,
    WEEK_HREF_FROM_SERVICE,
    safe_relative_href,
)
from reports.service_page import ServicePage
from reports.sparkline import sparkline_svg
from reports.theme import THEME, Theme

_SCRIPT_BREAKERS = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}
_LINE_SEPARATORS = {"\u2028": "\\u2028", "\u2029": "\\u2029"}
_CLOSING_SCRIPT = re.compile(r"</(script)", re.IGNORECASE)


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        number=formatting.format_number,
        percent=formatting.format_percent,
        hours=formatting.format_hours,
        value=formatting.format_value,
        date=formatting.format_date,
        datetime=formatting.format_datetime,
        delta=formatting.format_delta,
        plural=formatting.plural,
        tier_class=tier_class,
    )
    return env


@cache
def _static_text(name: str) -> Markup:
    """A stylesheet or script shipped with the package, trusted and inlined verbatim."""
    return Markup(resources.files("reports").joinpath("templates", "static", name).read_text())


def _base_context(theme: Theme, *, title: str, chart_count: int) -> dict:
    return {
        "title": title,
        "chart_count": chart_count,
        "theme_css": Markup(theme.css_variables()),
        "stylesheet": _static_text("report.css"),
    }


def charts_json(figures: dict[str, go.Figure]) -> Markup:
    """All figures as one JSON object keyed by chart id, safe inside a ``<script>`` element."""
    parts = [
        f"{json.dumps(key)}:{pio.to_json(fig, validate=False, pretty=False)}"
        for key, fig in figures.items()
    ]
    text = "{" + ",".join(parts) + "}"
    for raw, escaped in {**_SCRIPT_BREAKERS, **_LINE_SEPARATORS}.items():
        text = text.replace(raw, escaped)
    return Markup(text)


def inline_script(source: str) -> Markup:
    """JavaScript made safe to place between ``<script>`` tags (no early ``</script``)."""
    return Markup(_CLOSING_SCRIPT.sub(r"<\\/\1", source).replace("<!--", "<\\!--"))


def render_weekly(
    report: WeeklyReport,
    *,
    plotly_js: str | None = None,
    plotly_src: str = PLOTLY_SRC_FROM_WEEK,
    theme: Theme = THEME,
) -> str:
    """The weekly page as HTML.

    With ``plotly_js`` (the library's source) the page embeds it and is self-contained;
    otherwise it loads ``plotly_src``, by default the site's shared copy. A week without
    production deployments renders the header, data quality and definitions only.
    """
    validate_week(report.week)
    page = build_weekly_page(report, theme)
    return render_weekly_page(page, plotly_js=plotly_js, plotly_src=plotly_src, theme=theme)


def render_weekly_page(
    page: WeeklyPage,
    *,
    plotly_js: str | None = None,
    plotly_src: str = PLOTLY_SRC_FROM_WEEK,
    theme: Theme = THEME,
) -> str:
    """:func:`render_weekly` for a page already built (so its figures can be reused)."""
    report = page.report
    context = _base_context(theme, title=page.title, chart_count=len(page.figures))
    context.update(
        page=page,
        report=report,
        env=report.environment,
        charts=page.charts,
        charts_json=charts_json(page.figures),
        plotly_inline=inline_script(plotly_js) if plotly_js is not None else None,
        plotly_src=plotly_src,
        chart_script=_static_text("charts.js"),
        review_script=_static_text("review.js"),
    )
    return _environment().get_template("weekly.html.j2").render(context)


def render_service(page: ServicePage, *, weeks: int, theme: Theme = THEME) -> str:
    """One service's page as HTML (no script: its chart is an inline SVG)."""
    validate_week(page.week)
    context = _base_context(theme, title=page.title, chart_count=0)
    context.update(
        page=page,
        weeks=weeks,
        week_href=WEEK_HREF_FROM_SERVICE,
        archive_href=f"../{ARCHIVE_HREF_FROM_WEEK}",
    )
    return _environment().get_template("service.html.j2").render(context)


ARCHIVE_CSV_COLUMNS = [
    ("week", "Week"),
    ("week_start", "Starts"),
    ("deployments", "Deployments"),
    ("deploy_days", "Deploy days"),
    ("change_failure_rate", "Change failure rate"),
    ("median_lead_time_hours", "Median lead time (hours)"),
    ("overall_tier", "Tier"),
    ("drifting_services", "Drifting services"),
]


def archive_csv(entries: list[ArchiveEntry]) -> str:
    """The archive table as a CSV download (a data: link; one row per week)."""
    frame = pd.DataFrame([dataclasses.asdict(entry) for entry in entries])
    if frame.empty:
        frame = pd.DataFrame({key: [] for key, _ in ARCHIVE_CSV_COLUMNS})
    return csv_data_uri(frame_csv(frame, ARCHIVE_CSV_COLUMNS, limit=len(frame)))


def render_archive(
    entries: list[ArchiveEntry], *, title: str = "Release health", theme: Theme = THEME
) -> str:
    """The archive page: one row per week with its headline numbers, newest first."""
    rows = sorted(entries, key=lambda entry: entry.week_start, reverse=True)
    for entry in rows:
        validate_week(entry.week)
        safe_relative_href(entry.href)
    oldest_first = list(reversed(rows))
    trend = sparkline_svg(
        [float(entry.deployments) for entry in oldest_first],
        title="Production deployments per week, oldest to newest",
        colour=theme.accent,
    )
    context = _base_context(theme, title=title, chart_count=0)
    context.update(entries=rows, trend=trend, csv_href=archive_csv(rows))
    return _environment().get_template("archive.html.j2").render(context)
