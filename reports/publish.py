"""Write the weekly page, the shared plotly.js and the archive page into the reports folder.

Layout: ``reports_dir/<YYYY-Www>/index.html`` per week, ``reports_dir/assets/plotly.min.js``
shared by all weeks, ``reports_dir/index.html`` for the archive. Nothing is fetched from
the network, and no path derived from data leaves ``reports_dir``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from plotly.offline import get_plotlyjs

from reports.model import ArchiveEntry, WeeklyReport
from reports.page import build_weekly_page
from reports.paths import ASSETS_DIR, PAGE_NAME, PLOTLY_FILE, week_page
from reports.png_export import export_pngs
from reports.render import render_archive, render_weekly_page
from reports.theme import THEME

PNG_DIR = "png"


@dataclass
class Published:
    """What :func:`publish_weekly` wrote."""

    path: Path
    charts: int
    pngs: list[Path] = field(default_factory=list)
    png_skipped: str | None = None


def _write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` unless the file already holds exactly it; True when written."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    # Replace in one step so a reader never sees a half-written page or library.
    tmp.replace(path)
    return True


def write_plotly_asset(reports_dir: Path) -> Path:
    """``reports_dir/assets/plotly.min.js`` from plotly's bundled copy, rewritten on change."""
    path = reports_dir / ASSETS_DIR / PLOTLY_FILE
    _write_if_changed(path, get_plotlyjs())
    return path


def publish_weekly(
    report: WeeklyReport,
    reports_dir: Path,
    *,
    self_contained: bool = False,
    png: bool = False,
    chromium_path: Path | None = None,
) -> Published:
    """Write ``reports_dir/<week>/index.html`` (and its PNGs when ``png``).

    ``self_contained`` embeds plotly.js in the page (for e-mail); otherwise the page loads
    the site's shared copy, written once per folder. ``chromium_path`` overrides the browser
    used for PNGs. A missing browser skips the PNGs with a reason, never the page.
    """
    page_path = week_page(reports_dir, report.week)
    page = build_weekly_page(report, THEME)
    if self_contained:
        html = render_weekly_page(page, plotly_js=get_plotlyjs())
    else:
        write_plotly_asset(reports_dir)
        html = render_weekly_page(page)
    _write_if_changed(page_path, html)
    published = Published(path=page_path, charts=len(page.figures))
    if png:
        published.pngs, published.png_skipped = export_pngs(
            page.figures, page_path.parent / PNG_DIR, chromium_path=chromium_path
        )
    return published


def publish_archive(entries: list[ArchiveEntry], reports_dir: Path) -> Path:
    """Write ``reports_dir/index.html``: every week's headline numbers, newest first."""
    path = reports_dir.resolve() / PAGE_NAME
    _write_if_changed(path, render_archive(entries))
    return path
