"""Static PNG copies of the report's charts, drawn by kaleido in a system Chromium.

PNGs are optional: when no browser is available, or it fails to start, the caller gets no
paths and a sentence saying why, and the HTML report publishes regardless.
"""

from __future__ import annotations

import os
from pathlib import Path

import kaleido
import plotly.graph_objects as go
from choreographer.errors import BrowserClosedError, BrowserFailedError, ChromeNotFoundError
from kaleido.errors import JavascriptError, KaleidoError

from reports.theme import THEME, Theme

DEFAULT_CHROMIUM = Path("/usr/bin/chromium")
RENDER_TIMEOUT_SECONDS = 60
# Everything kaleido raises when the browser is absent, dies, or a figure cannot be drawn.
_EXPORT_ERRORS = (
    ChromeNotFoundError,
    BrowserFailedError,
    BrowserClosedError,
    JavascriptError,
    KaleidoError,
    OSError,
    RuntimeError,
    TimeoutError,
)


def export_pngs(
    figures: dict[str, go.Figure],
    out_dir: Path,
    *,
    chromium_path: Path | None = None,
    theme: Theme = THEME,
) -> tuple[list[Path], str | None]:
    """Write ``out_dir/<id>.png`` for every figure; return the paths and a skip reason.

    One browser session renders all images (kaleido's blocking API opens it once for the
    whole batch and closes it afterwards). MathJax is disabled so nothing is fetched from a
    CDN; plotly.js comes from the installed plotly package.
    """
    if not figures:
        return [], None
    browser = Path(chromium_path or DEFAULT_CHROMIUM)
    if not browser.is_file() or not os.access(browser, os.X_OK):
        return [], (
            f"PNG export skipped: no Chromium at {browser} (install the Debian package 'chromium')."
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{key}.png" for key in figures]
    jobs = [
        {
            "fig": fig,
            "path": path,
            "opts": {
                "format": "png",
                "width": theme.png_width,
                "height": int(fig.layout.height or theme.chart_height),
            },
        }
        for path, fig in zip(paths, figures.values(), strict=True)
    ]
    try:
        kaleido.write_fig_from_object_sync(
            jobs,
            kopts={"path": str(browser), "mathjax": False, "timeout": RENDER_TIMEOUT_SECONDS},
            cancel_on_error=True,
        )
    except _EXPORT_ERRORS as error:
        for path in paths:
            path.unlink(missing_ok=True)
        return [], f"PNG export skipped: {type(error).__name__}: {error}"
    return paths, None
