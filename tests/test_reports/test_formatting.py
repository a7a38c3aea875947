"""Number, duration and change formatting, the plotly escaping helper, and sparklines."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from reports.escaping import escape_text, escape_texts
from reports.formatting import (
    format_date,
    format_datetime,
    format_delta,
    format_duration,
    format_hours,
    format_number,
    format_percent,
    format_value,
)
from reports.model import KpiCard
from reports.sparkline import sparkline_svg


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1234, "1,234"), (1234.0, "1,234"), (2.345, "2.3"), (None, "–"), (math.nan, "–"),
     (pd.NA, "–")],
)  # fmt: skip
def test_format_number(value, expected) -> None:
    assert format_number(value) == expected


def test_format_percent_reads_fractions() -> None:
    assert format_percent(0.125) == "12.5 %"
    assert format_percent(0.4, decimals=0) == "40 %"
    assert format_percent(None) == "–"


@pytest.mark.parametrize(
    ("hours", "expected"),
    [(0.5, "30 min"), (3.2, "3.2 h"), (23.94, "23.9 h"), (50.0, "2.1 d"), (-3.0, "-3 h"),
     (168.0, "7 d"), (7.0, "7 h"),
     (None, "–")],
)  # fmt: skip
def test_format_hours_switches_units(hours, expected) -> None:
    assert format_hours(hours) == expected


def test_format_value_by_unit() -> None:
    assert format_value(5, "days") == "5 days"
    assert format_value(1, "days") == "1 day"
    assert format_value(0.2, "percent") == "20.0 %"
    assert format_value(30.0, "hours") == "1.2 d"
    assert format_value(3.5, "changes") == "3.5"
    assert format_value(14, "count") == "14"


def test_dates_in_reporting_time_zone() -> None:
    moment = pd.Timestamp("2024-03-10 17:45", tz="UTC").to_pydatetime()
    assert format_datetime(moment, "Europe/Berlin") == "2024-03-10 18:45 CET"
    assert format_datetime(pd.Timestamp("2024-07-01 10:00").to_pydatetime(), "Europe/Berlin") == (
        "2024-07-01 12:00 CEST"
    )
    assert format_date(pd.Timestamp("2024-03-04").date()) == "Mon 4 Mar 2024"


def card(value, previous, better, unit="count") -> KpiCard:
    return KpiCard("k", "faster", "K", value, unit, previous, better, [])


@pytest.mark.parametrize(
    ("kpi", "arrow", "text", "tone"),
    [
        (card(14, 11, "higher"), "▲", "3", "good"),
        (card(9, 11, "higher"), "▼", "2", "bad"),
        (card(0.125, 0.10, "lower", "percent"), "▲", "2.5 pp", "bad"),
        (card(2.5, 4.0, "lower", "hours"), "▼", "1.5 h", "good"),
        (card(5, 3, "neutral"), "▲", "2", "neutral"),
        (card(5, 5, "higher"), "→", "no change", "neutral"),
        (card(5, None, "higher"), "", "–", "neutral"),
    ],
)
def test_delta_arrow_and_tone_follow_better(kpi, arrow, text, tone) -> None:
    delta = format_delta(kpi)
    assert (delta.arrow, delta.text, delta.tone) == (arrow, text, tone)


def test_escape_text_neutralises_markup() -> None:
    assert escape_text("<b>x</b> & 'y'") == "&lt;b&gt;x&lt;/b&gt; &amp; &#x27;y&#x27;"
    assert escape_texts(["a<", None, math.nan, pd.NA, 3]) == ["a&lt;", "", "", "", "3"]


def test_sparkline_is_labelled_svg_with_gaps() -> None:
    svg = str(sparkline_svg([1.0, 2.0, None, 3.0, 4.0], title="CFR <12w>", colour="#0072B2"))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert 'aria-label="CFR &lt;12w&gt;"' in svg and "<title>CFR &lt;12w&gt;</title>" in svg
    assert svg.count("<polyline") == 2  # the gap splits the line
    assert svg.count("<circle") == 1  # the latest week
    assert "<script" not in svg


def test_sparkline_without_values_is_an_empty_frame() -> None:
    svg = str(sparkline_svg([None, None], title="none", colour="#000"))
    assert "<polyline" not in svg and "<title>none</title>" in svg


@pytest.mark.parametrize(
    ("value", "previous", "text"),
    [
        # 3.4 h down from 92 h: the change reads in hours like the value, not "3.7 d"
        (3.4, 92.0, "88.6 h"),
        # 2 d up from 12 h: the change reads in days like the value
        (48.0, 12.0, "1.5 d"),
        # 30 min down from 2 h: minutes like the value
        (0.5, 2.0, "90 min"),
    ],
)
def test_duration_change_uses_the_unit_of_its_value(value, previous, text) -> None:
    card = KpiCard("lead_time", "faster", "Median lead time", value, "hours", previous, "lower", [])
    assert format_delta(card).text == text
    assert format_value(value, "hours").split()[-1] == text.split()[-1]


def test_whole_durations_drop_the_decimal() -> None:
    assert format_duration(168.0, "h") == "168 h"
    assert format_duration(167.5, "h") == "167.5 h"
    assert format_duration(24.0) == "1 d"
    assert format_duration(36.0) == "1.5 d"
