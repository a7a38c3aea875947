"""The README's pictures of the review sections, from a published week (``make screenshots``).

Headless Chromium's ``--screenshot`` of the page, each time on a copy that shows only the
masthead and the wanted section, so every picture starts at its section. The copies are
removed afterwards; nothing is fetched from the network.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CHROMIUM = "chromium"
WIDTH = 1400
#: keep the masthead (with the team filter) and one section; hide the rest of the page
ONLY = (
    "<style>main > .rh-section {{ display: none !important; }}"
    " main > .rh-section:has(#{anchor}) {{ display: block !important; }}</style>"
)
SHOTS = (
    ("act-on-this.png", "index.html", "act", 1000),
    ("teams.png", "index.html", "teams", 900),
)


def shoot(page: Path, out: Path, height: int) -> None:
    """One PNG of the top ``height`` pixels of ``page``."""
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--virtual-time-budget=10000",
            f"--window-size={WIDTH},{height}",
            f"--screenshot={out}",
            page.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
    )


def main(reports: Path, out_dir: Path) -> None:
    """Pictures of the newest week's review sections and of one of its service pages."""
    week = sorted(p for p in reports.glob("*-W*") if (p / "index.html").is_file())[-1]
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, page, anchor, height in SHOTS:
        copy = week / f".shot-{anchor}.html"
        copy.write_text(
            (week / page).read_text(encoding="utf-8") + ONLY.format(anchor=anchor),
            encoding="utf-8",
        )
        try:
            shoot(copy, out_dir / name, height)
        finally:
            copy.unlink()
    service = sorted((week / "services").glob("*.html"))[0]
    shoot(service, out_dir / "service-page.png", 1000)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
