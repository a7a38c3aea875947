"""Every colour, font and size of the report, in one frozen object.

Colours come from the Okabe–Ito palette, which stays distinguishable for the common forms of
colour blindness; where a hue is used for text it is darkened so it keeps a 4.5:1 contrast on
white, which also survives black-and-white printing better than the pure palette.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

import plotly.graph_objects as go

if TYPE_CHECKING:
    from collections.abc import Mapping

# Okabe & Ito (2008), "Color Universal Design".
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
BLACK = "#000000"
GREY = "#999999"


def _frozen(mapping: dict[str, str]) -> Mapping[str, str]:
    return MappingProxyType(mapping)


@dataclass(frozen=True)
class Theme:
    """Colours, fonts and sizes shared by the charts (plotly template) and the page (CSS)."""

    font_family: str = (
        'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
    )
    mono_family: str = 'ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace'
    font_size: int = 12
    title_size: int = 14
    text: str = "#1F2933"
    muted: str = "#5F6B7A"
    background: str = "#FFFFFF"
    surface: str = "#F6F8FA"
    border: str = "#D8DEE4"
    grid: str = "#E6EAEE"
    accent: str = BLUE
    # Categorical series (teams, ...): Okabe–Ito without black and yellow first, because
    # yellow lines vanish on white and black reads as an annotation rather than a series.
    series: tuple[str, ...] = (
        BLUE,
        ORANGE,
        BLUISH_GREEN,
        VERMILLION,
        SKY_BLUE,
        REDDISH_PURPLE,
        "#6B4C9A",
        "#8C6D31",
        GREY,
        YELLOW,
    )
    mean_line: str = BLACK
    failure: str = VERMILLION
    # Release calendar: change freezes as cool bands, planned releases as warm diamonds.
    freeze: str = SKY_BLUE
    freeze_band_opacity: float = 0.22
    planned_release: str = ORANGE
    tiers: Mapping[str, str] = field(
        default_factory=lambda: _frozen(
            {"elite": BLUISH_GREEN, "high": SKY_BLUE, "medium": ORANGE, "low": VERMILLION}
        )
    )
    # Drift kinds (drift list, aging chart) and matrix relations share hues on purpose: the
    # same problem has the same colour wherever it appears on the page.
    drift_kinds: Mapping[str, str] = field(
        default_factory=lambda: _frozen(
            {
                "behind": ORANGE,
                "ahead": VERMILLION,
                "missing_in_production": REDDISH_PURPLE,
                "missing_in_baseline": BLUE,
                "config": SKY_BLUE,
                "dependency": BLUISH_GREEN,
                "unordered": GREY,
                "mutable_tag": YELLOW,
            }
        )
    )
    relations: Mapping[str, str] = field(
        default_factory=lambda: _frozen(
            {
                "in_sync": "#DCEFE6",
                "behind": ORANGE,
                "ahead": VERMILLION,
                "missing": REDDISH_PURPLE,
                "config": SKY_BLUE,
                "dependency": BLUISH_GREEN,
                "unordered": GREY,
                "mutable_tag": YELLOW,
                "not_compared": "#F1F3F5",
            }
        )
    )
    lag_states: Mapping[str, str] = field(
        default_factory=lambda: _frozen(
            {
                "promoted": BLUE,
                "in_flight": ORANGE,
                "skipped": GREY,
                "bypassed_baseline": VERMILLION,
            }
        )
    )
    # Delta colours for text: darkened Okabe–Ito green/vermillion (contrast >= 4.5 on white).
    good: str = "#00775A"
    bad: str = "#B34700"
    neutral: str = "#5F6B7A"
    tier_band_opacity: float = 0.12
    chart_height: int = 360
    small_multiple_height: int = 150
    png_width: int = 1100
    page_width: int = 1180
    table_rows: int = 15

    def series_colour(self, index: int) -> str:
        """The colour of the index-th categorical series (cycles when there are more)."""
        return self.series[index % len(self.series)]

    def tier_colour(self, tier: str | None) -> str:
        """The colour of a benchmark tier (neutral for unknown tiers)."""
        return self.tiers.get((tier or "").lower(), GREY)

    def plotly_template(self) -> go.layout.Template:
        """A plotly template carrying the theme: fonts, colourway, axes, hover and legend."""
        axis = {
            "gridcolor": self.grid,
            "linecolor": self.border,
            "zerolinecolor": self.border,
            "ticks": "outside",
            "tickcolor": self.border,
            "automargin": True,
            "title": {"standoff": 8},
        }
        return go.layout.Template(
            layout={
                "font": {"family": self.font_family, "size": self.font_size, "color": self.text},
                "title": {
                    "font": {"size": self.title_size},
                    "x": 0,
                    "xanchor": "left",
                    "pad": {"l": 4},
                },
                "colorway": list(self.series),
                "paper_bgcolor": self.background,
                "plot_bgcolor": self.background,
                "margin": {"l": 56, "r": 24, "t": 36, "b": 40},
                "xaxis": axis,
                "yaxis": axis,
                "legend": {"orientation": "h", "y": -0.18, "x": 0, "font": {"size": 11}},
                "hoverlabel": {"font": {"family": self.font_family, "size": 12}},
                "hovermode": "closest",
                "bargap": 0.2,
            }
        )

    def css_variables(self) -> str:
        """CSS custom properties so the stylesheet takes its colours from this object."""
        values = {
            "font": self.font_family,
            "mono": self.mono_family,
            "text": self.text,
            "muted": self.muted,
            "bg": self.background,
            "surface": self.surface,
            "border": self.border,
            "accent": self.accent,
            "good": self.good,
            "bad": self.bad,
            "neutral": self.neutral,
            "failure": self.failure,
            "chart-height": f"{self.chart_height}px",
            "page-width": f"{self.page_width}px",
        }
        values.update({f"tier-{name}": colour for name, colour in self.tiers.items()})
        values.update({f"kind-{name}": colour for name, colour in self.drift_kinds.items()})
        body = "".join(f"--rh-{name}:{value};" for name, value in values.items())
        return f":root{{{body}}}"


THEME = Theme()
