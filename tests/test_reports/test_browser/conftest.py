"""A headless Chromium that opens report pages from disk with every network name unresolvable.

The ``browser`` fixture runs the system Chromium once per call, returning the DOM after the
page's scripts ran, the console messages, and every non-file URL the page tried to fetch
(read from Chromium's net log, keeping only requests made on behalf of a file:// page).
"""

from __future__ import annotations

import html
import json
import re
import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

# Chromium fast-forwards timers within this budget, so plotly has finished drawing on exit.
VIRTUAL_TIME_MS = 10_000
RUN_TIMEOUT_S = 60
SCREEN_SIZE = (1280, 3000)
VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
NETWORK_SCHEMES = ("http:", "https:", "ws:", "wss:", "ftp:")
# Appended to a copy of a page: opens folded rows, then records every table frame wider than
# its box and whether the document scrolls sideways, as JSON on <body data-probe>.
OVERFLOW_PROBE = """
<script>
window.addEventListener("load", function () {
  document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  setTimeout(function () {
    var wide = [];
    document.querySelectorAll(".rh-table-wrap").forEach(function (el, i) {
      if (el.scrollWidth > el.clientWidth) {
        var head = el.querySelector("th") ? el.querySelector("th").textContent : "";
        wide.push(i + ": " + head + " " + el.scrollWidth + ">" + el.clientWidth);
      }
    });
    var doc = document.documentElement;
    document.body.setAttribute("data-probe", JSON.stringify({
      tables: wide,
      frames: document.querySelectorAll(".rh-table-wrap").length,
      page: doc.scrollWidth > doc.clientWidth
    }));
  }, 100);
});
</script>
"""


class DomSummary(HTMLParser):
    """What the tests read from a dumped DOM: chart slots, drawn charts, chart texts, title."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None]] = []
        self.chart_slots: list[str] = []
        self.plotly_slots: set[str] = set()
        self.drawn_slots: set[str] = set()
        self.declared_charts: int | None = None
        self.title = ""
        self.images = 0
        self.chart_texts: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        chart = attributes.get("data-chart") if tag == "div" and "rh-chart" in classes else None
        if chart is not None:
            self.chart_slots.append(chart)
            if "js-plotly-plot" in classes:
                self.plotly_slots.add(chart)
        if tag == "body" and attributes.get("data-chart-count") is not None:
            self.declared_charts = int(attributes["data-chart-count"] or 0)
        if tag == "svg" and "main-svg" in classes:
            owner = next((c for _, c in reversed(self.stack) if c is not None), None)
            if owner is not None:
                self.drawn_slots.add(owner)
        self.images += tag == "img"
        self._in_title = tag == "title" and not self.stack_has("svg")
        if tag not in VOID_TAGS:
            self.stack.append((tag, chart))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.images += tag == "img"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif self.stack_has("svg") and self.stack_has("text"):
            # Text drawn by plotly (legends, ticks, titles), entities already decoded.
            self.chart_texts.append(data)

    def stack_has(self, tag: str) -> bool:
        return any(open_tag == tag for open_tag, _ in self.stack)


@dataclass
class PageLoad:
    """A page after its scripts ran."""

    dom: str
    console: list[str]
    network: list[str]
    summary: DomSummary = field(init=False)

    def __post_init__(self) -> None:
        self.summary = DomSummary()
        self.summary.feed(self.dom)


def page_requests(net_log: Path) -> list[str]:
    """Network URLs requested for a file:// page (Chromium's own background calls ignored)."""
    text = net_log.read_text(encoding="utf-8", errors="replace").rstrip().rstrip(",")
    try:
        log = json.loads(text)
    except json.JSONDecodeError:
        # The log is closed on a clean exit; if not, the events so far still parse.
        log = json.loads(text + "]}")
    urls = []
    for event in log.get("events", []):
        params = event.get("params") or {}
        url = str(params.get("url", ""))
        key = str(params.get("network_isolation_key", ""))
        if url.startswith(NETWORK_SCHEMES) and "file://" in key:
            urls.append(url)
    return sorted(set(urls))


class Chromium:
    """Runs the system Chromium headless, one fresh profile per run, with no usable network."""

    def __init__(self, binary: Path, workdir: Path) -> None:
        self.binary = binary
        self.workdir = workdir
        self.runs = 0

    def _run(self, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
        self.runs += 1
        profile = self.workdir / f"profile-{self.runs}"
        command = [
            str(self.binary),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--virtual-time-budget={VIRTUAL_TIME_MS}",
            *extra,
            url,
        ]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, check=False
        )
        assert done.returncode == 0, f"Chromium exited with {done.returncode}: {done.stderr}"
        return done

    def load(self, page: Path) -> PageLoad:
        """Open ``page`` and return its DOM after load, console lines and network attempts."""
        net_log = self.workdir / f"net-{self.runs + 1}.json"
        done = self._run(
            page.resolve().as_uri(),
            "--dump-dom",
            "--enable-logging=stderr",
            "--v=0",
            f"--log-net-log={net_log}",
        )
        console = [
            line for line in done.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line
        ]
        return PageLoad(dom=done.stdout, console=console, network=page_requests(net_log))

    def probe(self, page: Path, script: str, width: int = SCREEN_SIZE[0]) -> object:
        """Open a copy of ``page`` at ``width`` px with ``script`` appended; the script leaves
        its JSON result on ``<body data-probe>``, which is returned."""
        probe = page.with_name(f".probe-{self.runs + 1}-{page.name}")
        probe.write_text(page.read_text(encoding="utf-8") + script, encoding="utf-8")
        try:
            done = self._run(
                probe.resolve().as_uri(), "--dump-dom", f"--window-size={width},{SCREEN_SIZE[1]}"
            )
        finally:
            probe.unlink()
        marker = re.search(r'data-probe="([^"]*)"', done.stdout)
        assert marker, "the probe script did not run"
        return json.loads(html.unescape(marker.group(1)))

    def overflow(self, page: Path, width: int) -> dict[str, list[str] | bool]:
        """Which table frames (and whether the document) are wider than they show at ``width``
        px, every folded part open: scrollWidth > clientWidth."""
        return self.probe(page, OVERFLOW_PROBE, width)  # type: ignore[return-value]

    def screenshot(self, page: Path, out: Path, size: tuple[int, int] = SCREEN_SIZE) -> Path:
        """A PNG of the top ``size`` pixels of ``page``."""
        self._run(
            page.resolve().as_uri(), f"--screenshot={out}", f"--window-size={size[0]},{size[1]}"
        )
        return out


@pytest.fixture
def browser(chromium: Path, tmp_path: Path) -> Chromium:
    """A headless Chromium working under this test's tmp_path."""
    workdir = tmp_path / "chromium"
    workdir.mkdir()
    return Chromium(chromium, workdir)
