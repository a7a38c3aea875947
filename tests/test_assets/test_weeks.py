"""Week arithmetic, checked against ISO weeks worked out by hand (2020 has 53 ISO weeks: it
starts on a Thursday; 2021 has 52: it starts on a Friday)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from assets.weeks import (
    WeekRange,
    add_weeks,
    clamp_weeks,
    current_week,
    iso_week,
    neighbour,
    parse_iso_week,
    partition_weeks,
    previous_week,
    week_of,
)
from reports.paths import validate_week

ROOT = Path(__file__).parents[2]
D = dt.date


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (D(2020, 12, 28), "2020-W53"),  # Monday of the 53rd week
        (D(2021, 1, 3), "2020-W53"),  # its Sunday, already in the new year
        (D(2021, 1, 4), "2021-W01"),
        (D(2018, 12, 31), "2019-W01"),  # 2019 starts on a Tuesday: its week 1 starts in 2018
        (D(2024, 2, 12), "2024-W07"),
    ],
)
def test_iso_week_labels_across_year_boundaries(day: dt.date, label: str) -> None:
    assert iso_week(day) == label


@pytest.mark.parametrize(
    ("text", "monday"),
    [
        ("2020-W53", D(2020, 12, 28)),
        ("2021-W01", D(2021, 1, 4)),
        ("2019-W01", D(2018, 12, 31)),
        (" 2024-W07\n", D(2024, 2, 12)),  # typed with spaces around it
    ],
)
def test_parse_iso_week_gives_the_monday(text: str, monday: dt.date) -> None:
    assert parse_iso_week(text) == monday


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("2021-W53", "does not exist"),  # 2021 has 52 weeks
        ("2024-W00", "does not exist"),
        ("2024-W7", "is not of the form YYYY-Www"),
        ("2024W07", "is not of the form YYYY-Www"),
        ("2024-W07-1", "is not of the form YYYY-Www"),
    ],
)
def test_parse_iso_week_refuses_what_is_not_a_week(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_iso_week(text)


def test_validate_week_checks_the_form_only() -> None:
    assert validate_week("2024-W07") == "2024-W07"
    # the form is all a folder name needs; that week 99 does not exist is parse_iso_week's
    assert validate_week("2024-W99") == "2024-W99"
    for bad in (" 2024-W07", "2024-W07\n", "../2024-W07", "2024-w07", None):
        with pytest.raises(ValueError, match="YYYY-Www"):
            validate_week(bad)  # type: ignore[arg-type]


def test_week_of_previous_week_and_add_weeks() -> None:
    assert week_of(D(2021, 1, 3)) == D(2020, 12, 28)  # a Sunday: back to its Monday
    assert week_of(D(2020, 12, 28)) == D(2020, 12, 28)
    assert previous_week(D(2021, 1, 6)) == D(2020, 12, 28)  # on a Wednesday of 2021-W01
    assert previous_week(D(2021, 1, 4)) == D(2020, 12, 28)  # on its Monday too
    assert add_weeks(D(2020, 12, 28), 1) == D(2021, 1, 4)
    assert add_weeks(D(2021, 1, 4), -53) == D(2019, 12, 30)


def test_current_week_is_cut_in_the_reporting_time_zone(make_settings) -> None:
    # Sunday 2021-01-03 12:00 UTC is Monday 01:00 in Auckland (UTC+13 in January)
    now = dt.datetime(2021, 1, 3, 12, tzinfo=dt.UTC)
    assert current_week(make_settings(timezone="Pacific/Auckland"), now) == D(2021, 1, 4)
    assert current_week(make_settings(timezone="UTC"), now) == D(2020, 12, 28)


def test_week_range_lists_labels_and_cuts_its_weeks() -> None:
    weeks = WeekRange(D(2020, 12, 21), D(2021, 1, 11))
    assert weeks.weeks == [D(2020, 12, 21), D(2020, 12, 28), D(2021, 1, 4), D(2021, 1, 11)]
    assert weeks.label == "2020-W52 .. 2021-W02"
    assert weeks.chunks(3) == [
        WeekRange(D(2020, 12, 21), D(2021, 1, 4)),
        WeekRange(D(2021, 1, 11), D(2021, 1, 11)),
    ]
    assert weeks.chunks(4) == [weeks]
    assert WeekRange.of(D(2021, 1, 3)) == WeekRange(D(2020, 12, 28), D(2020, 12, 28))
    with pytest.raises(ValueError, match="Monday to Monday"):
        WeekRange(D(2020, 12, 22), D(2021, 1, 11))
    with pytest.raises(ValueError, match="empty week range"):
        WeekRange(D(2021, 1, 11), D(2020, 12, 21))


def test_clamp_weeks_keeps_the_overlap() -> None:
    window = WeekRange(D(2020, 12, 28), D(2021, 1, 4))
    assert clamp_weeks(WeekRange(D(2020, 12, 21), D(2021, 1, 11)), window) == window
    assert clamp_weeks(WeekRange(D(2021, 1, 4), D(2021, 1, 18)), window) == WeekRange(
        D(2021, 1, 4), D(2021, 1, 4)
    )
    assert clamp_weeks(WeekRange(D(2021, 1, 11), D(2021, 1, 18)), window) is None


def test_partition_weeks_end_a_week_before_the_window_does() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    start = dt.datetime(2020, 12, 28, tzinfo=berlin)
    one = partition_weeks(start, dt.datetime(2021, 1, 4, tzinfo=berlin))
    three = partition_weeks(start, dt.datetime(2021, 1, 18, tzinfo=berlin))
    assert one == WeekRange(D(2020, 12, 28), D(2020, 12, 28))
    assert three == WeekRange(D(2020, 12, 28), D(2021, 1, 11))


def test_neighbours_are_linked_only_inside_the_span() -> None:
    span = WeekRange(D(2020, 12, 21), D(2021, 1, 4))
    assert neighbour(span, D(2020, 12, 28), -1) == "2020-W52"
    assert neighbour(span, D(2020, 12, 28), +1) == "2021-W01"
    assert neighbour(span, D(2021, 1, 4), +1) is None
    assert neighbour(span, D(2020, 12, 21), -1) is None
    assert neighbour(None, D(2020, 12, 28), -1) is None


def test_the_weeks_module_and_the_command_line_import_nothing_heavy() -> None:
    """``--week`` is parsed before any verb runs: that must not cost a DuckDB, pandas or
    Dagster import."""
    code = (
        "import sys, assets.weeks, pipelines.cli;"
        "print(sorted(m for m in ('dagster', 'duckdb', 'pandas') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "[]"
