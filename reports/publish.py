"""Write the weekly page, the shared plotly.js and the archive page into the reports folder.

Layout: ``reports_dir/<YYYY-Www>/index.html`` per week, ``reports_dir/assets/plotly.min.js``
shared by all weeks, ``reports_dir/index.html`` for the archive, ``reports_dir/data-docs/`` for
Great Expectations' pages of the contract checks. Nothing is fetched from
the network, and no path derived from data leaves ``reports_dir``.

Links planted in the folder are not followed out of it: each file is written to a new
temporary file in its real folder and renamed over the old name (a link there is replaced,
never written through), and a folder under ``reports_dir`` that links outside is refused.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from plotly.offline import get_plotlyjs

from reports.model import ArchiveEntry, ValidationEntry, WeeklyReport
from reports.page import build_weekly_page
from reports.paths import (
    ASSETS_DIR,
    DATA_DOCS_DIR,
    PAGE_NAME,
    PLOTLY_FILE,
    service_page,
    validation_page,
    week_page,
)
from reports.png_export import export_pngs
from reports.render import (
    render_archive,
    render_data_docs_index,
    render_service,
    render_weekly_page,
)
from reports.service_page import build_service_page
from reports.theme import THEME

PNG_DIR = "png"
#: a new file's permissions before the umask, as for any file the process creates
NEW_FILE_MODE = 0o666
#: exclusive creation of a file that must not exist yet (never through a planted link)
_CREATE_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)


@dataclass
class Published:
    """What :func:`publish_weekly` wrote."""

    path: Path
    charts: int
    pngs: list[Path] = field(default_factory=list)
    png_skipped: str | None = None
    service_pages: list[Path] = field(default_factory=list)


class UnsafeReportPath(Exception):
    """A folder inside the reports folder is a link that leads outside it."""


def check_inside(reports_dir: Path, folder: Path) -> None:
    """Refuse when ``folder`` or a folder between it and ``reports_dir`` is a link that leads
    outside ``reports_dir`` (links that stay inside are followed as any folder is)."""
    root = reports_dir.resolve()
    here = root
    for part in _parts_below(reports_dir, folder):
        here = here / part
        if here.is_symlink() and not here.resolve().is_relative_to(root):
            raise UnsafeReportPath(
                f"{here} is a link to {here.resolve()}, outside the reports folder {root}; "
                "remove the link (reports are only written inside the reports folder)"
            )


def _parts_below(reports_dir: Path, folder: Path) -> tuple[str, ...]:
    """The names leading from ``reports_dir`` down to ``folder`` (as written or resolved)."""
    target = Path(os.path.abspath(folder))
    for base in (Path(os.path.abspath(reports_dir)), reports_dir.resolve()):
        if target.is_relative_to(base):
            return target.relative_to(base).parts
    raise UnsafeReportPath(f"{folder} is not inside the reports folder {reports_dir}")


def _write_if_changed(path: Path, text: str, reports_dir: Path) -> bool:
    """Write ``text`` to ``path`` (inside ``reports_dir``) unless the file already holds exactly
    it; True when written."""
    check_inside(reports_dir, path.parent)
    # a link is never read through (it may lead anywhere): it is replaced below
    if not path.is_symlink() and path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    # a new file of our own (O_EXCL), so nothing that was planted is written through
    tmp_name = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    handle = os.open(tmp_name, _CREATE_NEW, NEW_FILE_MODE)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as tmp:
            tmp.write(text)
        # Replace in one step so a reader never sees a half-written page or library; a link at
        # ``path`` is itself replaced, not followed.
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return True


def write_plotly_asset(reports_dir: Path) -> Path:
    """``reports_dir/assets/plotly.min.js`` from plotly's bundled copy, rewritten on change."""
    path = reports_dir / ASSETS_DIR / PLOTLY_FILE
    _write_if_changed(path, get_plotlyjs(), reports_dir)
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
    _write_if_changed(page_path, html, reports_dir)
    published = Published(path=page_path, charts=len(page.figures))
    published.service_pages = publish_services(report, reports_dir)
    if png:
        check_inside(reports_dir, page_path.parent / PNG_DIR)
        published.pngs, published.png_skipped = export_pngs(
            page.figures, page_path.parent / PNG_DIR, chromium_path=chromium_path
        )
    return published


def publish_services(report: WeeklyReport, reports_dir: Path) -> list[Path]:
    """Write ``reports_dir/<week>/services/<slug>.html`` for every service of the report.

    The pages need no other file (their chart is inline SVG). The file names come from
    :func:`reports.paths.service_slug` (letters, digits and dashes only), so no service name
    can place a page outside the week's ``services`` folder.
    """
    if not report.services:
        return []
    paths = []
    for detail in report.services:
        path = service_page(reports_dir, report.week, detail.service)
        html = render_service(build_service_page(detail, report), weeks=len(report.org_weeks))
        _write_if_changed(path, html, reports_dir)
        paths.append(path)
    return paths


def publish_archive(entries: list[ArchiveEntry], reports_dir: Path) -> Path:
    """Write ``reports_dir/index.html``: every week's headline numbers, newest first."""
    path = reports_dir.resolve() / PAGE_NAME
    _write_if_changed(path, render_archive(entries), reports_dir)
    return path


def publish_data_docs(
    entries: list[ValidationEntry],
    render_page: Callable[[str], str],
    reports_dir: Path,
) -> Path:
    """``reports_dir/data-docs/``: each validation's page (rendered by ``render_page`` from its
    id, once: a validation never changes) and the index of them all."""
    for entry in entries:
        page = validation_page(reports_dir, entry.validation_id)
        if not page.is_file():
            _write_if_changed(page, render_page(entry.validation_id), reports_dir)
    index = reports_dir.resolve() / DATA_DOCS_DIR / PAGE_NAME
    _write_if_changed(index, render_data_docs_index(entries), reports_dir)
    return index
