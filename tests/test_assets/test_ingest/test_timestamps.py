"""Timestamps: each value parsed on its own; values outside the allowed window quarantined.

Rules under test: each timestamp is parsed on its own (no zone carried from one row to the
next); values outside [``contracts.min_timestamp`` (default 2000-01-01), now +
``contracts.max_future_hours`` (default 24)] are quarantined ``timestamp_out_of_range``; and a
run after such rows finishes with the good rows' weeks.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assets.delivery.marts import data_weeks, staged_weeks
from assets.ingest.contract import contract_parameters, validate_batches
from assets.ingest.loader import ingest_file
from assets.settings import Settings
from assets.warehouse import connect, prepare
from assets.weeks import WeekRange, clamp_weeks, week_window
from data_contracts import load_suite
from data_contracts.sql import row_reasons
from data_contracts.validate import validate_frame
from pipelines.runner import run_pipeline, weeks_to_rebuild
from tests.test_assets.test_ingest.test_bad_inputs import (
    assert_counts,
    codes,
    load_one,
    quarantined,
)

UTC = dt.UTC
BETWEEN = "[expect_column_values_to_be_between]"
NOT_NULL = "[expect_column_values_to_not_be_null]"
HEADER = "deployment_id,service,environment,version,status,started_at"


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.fixture(scope="module")
def parser() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory connection with the shared macros (``rh_parse_ts``)."""
    conn = prepare(duckdb.connect())
    yield conn
    conn.close()


def parse_column(
    conn: duckdb.DuckDBPyConnection, texts: list[str | None], tz: str
) -> list[dt.datetime | None]:
    """``rh_parse_ts`` over one column holding ``texts`` in this order (one DuckDB vector)."""
    rows = conn.execute(
        "SELECT rh_parse_ts(s, $tz) FROM (SELECT unnest($texts) AS s,"
        " generate_subscripts($texts, 1) AS i) ORDER BY i",
        {"texts": texts, "tz": tz},
    ).fetchall()
    return [value for (value,) in rows]


def started_at(conn: duckdb.DuckDBPyConnection) -> dict[str, dt.datetime]:
    return dict(
        conn.execute("SELECT deployment_id, started_at FROM staging.deployments").fetchall()
    )


# -- one value at a time: no zone carried to the next row --------------------------------------


@pytest.mark.parametrize(
    "lines",
    [
        pytest.param(
            ["z1,2025-11-20 15:00:00 America/New_York", "n1,2025-11-20T15:00:00"], id="zone_first"
        ),
        pytest.param(
            ["n1,2025-11-20T15:00:00", "z1,2025-11-20 15:00:00 America/New_York"], id="naive_first"
        ),
        pytest.param(
            [
                "n0,2025-11-20T15:00:00",
                "z1,2025-11-20 15:00:00 America/New_York",
                "n1,2025-11-20T15:00:00",
                "z2,2025-11-20 15:00:00 Asia/Kolkata",
                "n2,2025-11-20 15:00:00",
            ],
            id="interleaved",
        ),
    ],
)
def test_a_zone_name_in_one_row_does_not_change_the_naive_rows_after_it(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input, lines: list[str]
) -> None:
    rows = [f"{name},api,prod,1.0,succeeded,{ts}" for name, ts in (x.split(",") for x in lines)]
    path = write_input("deployments.csv", "\n".join([HEADER, *rows]) + "\n")

    load_one(warehouse, path, settings)

    expected = {
        # naive values are read in source_timezone (UTC by default): 15:00 UTC
        "n0": utc(2025, 11, 20, 15, 0),
        "n1": utc(2025, 11, 20, 15, 0),
        "n2": utc(2025, 11, 20, 15, 0),
        # 15:00 in New York in November (EST, UTC-5) is 20:00 UTC
        "z1": utc(2025, 11, 20, 20, 0),
        # 15:00 in Kolkata (UTC+5:30) is 09:30 UTC
        "z2": utc(2025, 11, 20, 9, 30),
    }
    names = [line.split(",")[0] for line in lines]
    assert started_at(warehouse) == {name: expected[name] for name in names}
    assert_counts(warehouse, path, read=len(lines), accepted=len(lines), rejected=0)


#: (text, source time zone, the instant expected; None: not a timestamp)
SHAPES = [
    ("2026-11-20T15:00:00Z", "UTC", utc(2026, 11, 20, 15, 0)),
    ("2026-11-20T15:00:00z", "UTC", utc(2026, 11, 20, 15, 0)),
    ("2026-11-20 15:00:00Z", "UTC", utc(2026, 11, 20, 15, 0)),
    ("2026-11-20T15:00:00+02:00", "UTC", utc(2026, 11, 20, 13, 0)),
    ("2026-11-20T15:00:00+0200", "UTC", utc(2026, 11, 20, 13, 0)),
    ("2026-11-20T15:00:00-05", "UTC", utc(2026, 11, 20, 20, 0)),
    ("2026-11-20T15:00+02:00", "UTC", utc(2026, 11, 20, 13, 0)),  # no seconds
    ("2026-11-20T15:00Z", "UTC", utc(2026, 11, 20, 15, 0)),
    ("2026-11-20 15:00", "UTC", utc(2026, 11, 20, 15, 0)),
    ("2026-11-20T15:00:00.123456Z", "UTC", dt.datetime(2026, 11, 20, 15, 0, 0, 123456, UTC)),
    ("2026-11-20 15:00:00.5", "UTC", dt.datetime(2026, 11, 20, 15, 0, 0, 500000, UTC)),
    ("2026-11-20", "UTC", utc(2026, 11, 20)),
    ("2026-11-20 15:00:00 America/New_York", "UTC", utc(2026, 11, 20, 20, 0)),
    ("2026-07-20 15:00:00 America/New_York", "UTC", utc(2026, 7, 20, 19, 0)),  # EDT
    ("2026-11-20T15:00:00 Asia/Kolkata", "UTC", utc(2026, 11, 20, 9, 30)),
    ("2026-11-20 15:00 Europe/Berlin", "UTC", utc(2026, 11, 20, 14, 0)),
    ("2026-11-20 Europe/Berlin", "UTC", utc(2026, 11, 19, 23, 0)),  # date only, in a zone
    ("2026-11-20 15:00:00 America/Argentina/Buenos_Aires", "UTC", utc(2026, 11, 20, 18, 0)),
    ("2026-11-20 15:00:00 Etc/GMT+5", "UTC", utc(2026, 11, 20, 20, 0)),  # POSIX sign: UTC-5
    ("2026-11-20 15:00:00 UTC", "Europe/Berlin", utc(2026, 11, 20, 15, 0)),
    # the hour New York's clocks go back happens twice: read as the later one (EST)
    ("2026-11-01 01:30:00 America/New_York", "UTC", utc(2026, 11, 1, 6, 30)),
    # naive values in another source time zone (Chicago: CST, UTC-6, in November)
    ("2026-11-20T15:00:00", "America/Chicago", utc(2026, 11, 20, 21, 0)),
    ("2026-11-20 15:00", "America/Chicago", utc(2026, 11, 20, 21, 0)),
    ("2026-11-20", "America/Chicago", utc(2026, 11, 20, 6, 0)),
    ("2026-11-20T15:00:00Z", "America/Chicago", utc(2026, 11, 20, 15, 0)),
    ("2026-11-20T15:00:00+02:00", "America/Chicago", utc(2026, 11, 20, 13, 0)),
    ("2026-11-20 15:00:00 America/New_York", "America/Chicago", utc(2026, 11, 20, 20, 0)),
    # not timestamps
    ("2026-11-20 15:00:00 Mars/Olympus", "UTC", None),  # unknown zone name
    ("2026-11-20 15:00:00 Not/A_Zone", "America/Chicago", None),
    ("2026-11-20T15:00:00America/New_York", "UTC", None),  # a zone needs a space before it
    ("yesterday", "UTC", None),
    ("infinity", "UTC", None),
    ("2026-02-30", "UTC", None),
    ("294247-01-10", "UTC", None),  # more than four year digits
    ("294247-01-10 04:00:54.775806", "UTC", None),
    ("12026-11-20", "UTC", None),
    # offsets that carry the instant out of years 1..9999
    ("0001-01-01T00:30:00+02:00", "UTC", None),
    ("9999-12-31T23:30:00-05:00", "UTC", None),
    # far, but timestamps: the contract's window, not the parser, rejects these
    ("0001-01-01", "UTC", utc(1, 1, 1)),
    ("9999-12-31", "UTC", utc(9999, 12, 31)),
    ("1900-01-01T00:00:00Z", "UTC", utc(1900, 1, 1)),
]


@pytest.mark.parametrize(
    ("text", "tz", "expected"), SHAPES, ids=[s[0] + "@" + s[1] for s in SHAPES]
)
def test_timestamp_shapes(
    parser: duckdb.DuckDBPyConnection, text: str, tz: str, expected: dt.datetime | None
) -> None:
    assert parse_column(parser, [text], tz) == [expected]


@pytest.mark.parametrize("tz", ["UTC", "America/Chicago"])
def test_every_shape_mixed_in_one_column_in_several_orders(
    parser: duckdb.DuckDBPyConnection, tz: str
) -> None:
    cases = [(text, expected) for text, zone, expected in SHAPES if zone == tz]
    orders = [cases, cases[::-1]] + [cases[k:] + cases[:k] for k in range(1, len(cases), 3)]
    # zone names next to naive values both ways round, in every order of four
    pairs = [c for c in cases if " America/New_York" in c[0] or c[0] == "2026-11-20T15:00:00"]
    orders += [list(p) for p in itertools.permutations(pairs[:4])]
    for order in orders:
        texts = [text for text, _ in order]
        assert parse_column(parser, texts, tz) == [expected for _, expected in order], texts


def test_an_unknown_zone_name_is_an_unparseable_timestamp(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input(
        "deployments.csv",
        f"{HEADER}\n"
        "d1,api,prod,1.0,succeeded,2025-11-20 15:00:00 Mars/Olympus\n"
        "d2,api,prod,1.0,succeeded,2025-11-20 15:00:00 Europe/Berlin\n",
    )

    load_one(warehouse, path, settings)

    rejected = quarantined(warehouse, path)
    assert [(n, r) for n, _, r in rejected] == [
        (1, [f"unparseable_timestamp: started_at='2025-11-20 15:00:00 Mars/Olympus' {NOT_NULL}"])
    ]
    assert started_at(warehouse) == {"d2": utc(2025, 11, 20, 14, 0)}


# -- property: any shape, any order, against Python's datetime and zoneinfo --------------------

#: zones whose rules have not changed in years (ICU's and Python's tz data agree on them)
ZONES = (
    "America/New_York",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # a 30-minute daylight saving shift
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/St_Johns",  # -03:30 / -02:30
    "UTC",
    "Etc/GMT+5",
)
SOURCE_ZONES = ("UTC", "America/Chicago", "Asia/Kolkata", "Europe/London")
#: fixed offsets in minutes
OFFSETS = (-600, -300, -210, 0, 60, 120, 330, 345, 600, 765, 840)
PRECISIONS = {
    "minute": ("%H:%M", dt.timedelta(minutes=1)),
    "second": ("%H:%M:%S", dt.timedelta(seconds=1)),
    "milli": ("%H:%M:%S.%f", dt.timedelta(milliseconds=1)),
    "micro": ("%H:%M:%S.%f", dt.timedelta(microseconds=1)),
}


def _truncate(local: dt.datetime, step: dt.timedelta) -> dt.datetime:
    return local - (local - local.replace(hour=0, minute=0, second=0, microsecond=0)) % step


def _render(local: dt.datetime, precision: str, separator: str) -> str:
    if precision == "day":
        return local.strftime("%Y-%m-%d")
    form, _ = PRECISIONS[precision]
    text = local.strftime(f"%Y-%m-%d{separator}{form}")
    return text[:-3] if precision == "milli" else text


def _offset_text(minutes: int, style: str) -> str:
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    if style == "hours" and rest == 0:
        return f"{sign}{hours:02d}"
    return f"{sign}{hours:02d}{':' if style == 'colon' else ''}{rest:02d}"


@st.composite
def rendered(draw: st.DrawFn, source_zone: str) -> tuple[str, dt.datetime]:
    """(an instant of 2000-2100 written in one of many shapes, the instant the text names).

    The expected instant is Python's reading of the text: its local time in the zone it names
    (or in ``source_zone`` when naive); a local time that occurs twice reads as the later.
    """
    instant = draw(
        st.datetimes(min_value=dt.datetime(2000, 1, 2), max_value=dt.datetime(2099, 12, 30))
    ).replace(tzinfo=UTC)
    shape = draw(st.sampled_from(["Z", "z", "offset", "zone", "naive"]))
    separator = draw(st.sampled_from(["T", " "]))
    precision = draw(st.sampled_from(["minute", "second", "milli", "micro"]))
    suffix = ""
    if shape in ("Z", "z"):
        zone: dt.tzinfo = UTC
        suffix = shape
    elif shape == "offset":
        minutes = draw(st.sampled_from(OFFSETS))
        zone = dt.timezone(dt.timedelta(minutes=minutes))
        suffix = _offset_text(minutes, draw(st.sampled_from(["colon", "plain", "hours"])))
    elif shape == "zone":
        name = draw(st.sampled_from(ZONES))
        zone = ZoneInfo(name)
        suffix = f" {name}"
    else:
        zone = ZoneInfo(source_zone)
    if shape in ("zone", "naive") and draw(st.booleans()):
        precision = draw(st.sampled_from(["day", precision]))
    local = instant.astimezone(zone).replace(tzinfo=None)
    local = (
        local.replace(hour=0, minute=0, second=0, microsecond=0)
        if precision == "day"
        else _truncate(local, PRECISIONS[precision][1])
    )
    text = _render(local, precision, separator) + suffix
    return text, local.replace(tzinfo=zone, fold=1).astimezone(UTC)


@st.composite
def columns(draw: st.DrawFn) -> tuple[str, list[tuple[str, dt.datetime]]]:
    source_zone = draw(st.sampled_from(SOURCE_ZONES))
    return source_zone, draw(st.lists(rendered(source_zone), min_size=1, max_size=40))


@given(columns())
def test_parsing_a_mixed_column_matches_python_for_every_value(
    parser: duckdb.DuckDBPyConnection, column: tuple[str, list[tuple[str, dt.datetime]]]
) -> None:
    source_zone, values = column
    texts = [text for text, _ in values]
    assert parse_column(parser, texts, source_zone) == [expected for _, expected in values]


# -- far dates: quarantined for every timestamp field of every kind ----------------------------

FAR = {
    "0001-01-01": "timestamp_out_of_range",
    "1900-01-01": "timestamp_out_of_range",
    "9999-12-31": "timestamp_out_of_range",
    "294247-01-10": "unparseable_timestamp",  # more than four year digits
}


#: an end before its start also breaks the pair rule (the far early dates are before 2025)
BEFORE_START = {"finished_at": "finished_before_started", "resolved_at": "resolved_before_opened"}
EARLY = {"0001-01-01", "1900-01-01"}


def _reasons(field: str, value: str) -> list[str]:
    code = FAR[value]
    kind = BETWEEN if code == "timestamp_out_of_range" else NOT_NULL
    found = [f"{code}: {field}='{value}' {kind}"]
    if field in BEFORE_START and value in EARLY:
        pair = "[expect_column_pair_values_a_to_be_greater_than_b]"
        found.append(f"{BEFORE_START[field]}: {field}='{value}' {pair}")
    return sorted(found)


#: kind, header, a good row, and per timestamp field a row template with {ts} in that field
FIELDS = [
    pytest.param(
        "deployments",
        "deployment_id,service,environment,version,status,started_at,finished_at,first_commit_at",
        "g{n},api,prod,1.0,succeeded,2025-03-04T10:00:00Z,2025-03-04T10:05:00Z,",
        {
            "started_at": "b{n},api,prod,1.0,succeeded,{ts},,",
            "finished_at": "b{n},api,prod,1.0,succeeded,2025-03-04T10:00:00Z,{ts},",
            "first_commit_at": "b{n},api,prod,1.0,succeeded,2025-03-04T10:00:00Z,,{ts}",
        },
        id="deployments",
    ),
    pytest.param(
        "incidents",
        "incident_id,service,environment,opened_at,resolved_at",
        "g{n},api,prod,2025-03-04T10:00:00Z,2025-03-04T12:00:00Z",
        {
            "opened_at": "b{n},api,prod,{ts},",
            "resolved_at": "b{n},api,prod,2025-03-04T10:00:00Z,{ts}",
        },
        id="incidents",
    ),
    pytest.param(
        "inventory",
        "captured_at,environment,service,version",
        "2025-03-04T06:00:00Z,prod,g{n},1.0",
        {"captured_at": "{ts},prod,b{n},1.0"},
        id="inventory",
    ),
]


@pytest.mark.parametrize(("kind", "header", "good", "bad"), FIELDS)
def test_far_dates_are_quarantined_for_every_timestamp_field(
    warehouse: duckdb.DuckDBPyConnection,
    settings: Settings,
    write_input,
    kind: str,
    header: str,
    good: str,
    bad: dict[str, str],
) -> None:
    bad_rows = [
        (field, value, template.format(n=f"{field}{i}", ts=value))
        for field, template in bad.items()
        for i, value in enumerate(FAR)
    ]
    # more good rows than bad ones: the file stays under max_reject_ratio
    goods = [good.format(n=i) for i in range(len(bad_rows) + 1)]
    lines = [row for _, _, row in bad_rows] + goods
    path = write_input(f"{kind}.csv", "\n".join([header, *lines]) + "\n", kind=kind)

    (report,) = ingest_file(warehouse, path, settings, validator=validate_batches)

    rejected = quarantined(warehouse, path)
    assert [(number, sorted(reasons)) for number, _, reasons in rejected] == [
        (number, _reasons(field, value))
        for number, (field, value, _) in enumerate(bad_rows, start=1)
    ]
    assert_counts(warehouse, path, read=len(lines), accepted=len(goods), rejected=len(bad_rows))
    # GX, given the same suite parameters, agrees with the SQL quarantine row by row
    assert report.contract_status == "passed", report.contract_detail
    expected_codes: dict[str, int] = {}
    for field, value, _ in bad_rows:
        for code in codes(_reasons(field, value)):
            expected_codes[code] = expected_codes.get(code, 0) + 1
    assert report.reasons == expected_codes


def test_the_window_follows_the_configured_bounds(
    warehouse: duckdb.DuckDBPyConnection, make_settings, write_input
) -> None:
    settings = make_settings(contracts={"min_timestamp": "2024-01-01", "max_future_hours": 2})
    now = dt.datetime.now(tz=UTC)
    soon = (now + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    later = (now + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    path = write_input(
        "deployments.csv",
        f"{HEADER}\n"
        "d1,api,prod,1.0,succeeded,2023-12-31T23:59:59Z\n"  # one second early
        "d2,api,prod,1.0,succeeded,2024-01-01T00:00:00Z\n"  # the bound itself is allowed
        f"d3,api,prod,1.0,succeeded,{soon}\n"
        f"d4,api,prod,1.0,succeeded,{later}\n"
        "d5,api,prod,1.0,succeeded,2023-12-31T19:00:00-05:00\n",  # 00:00 UTC: allowed
    )

    load_one(warehouse, path, settings)

    rejected = quarantined(warehouse, path)
    assert [(n, codes(r)) for n, _, r in rejected] == [
        (1, ["timestamp_out_of_range"]),
        (4, ["timestamp_out_of_range"]),
    ]
    assert sorted(started_at(warehouse)) == ["d2", "d3", "d5"]


def test_contract_parameters_come_from_settings_and_the_clock_to_the_minute(make_settings) -> None:
    settings = make_settings(contracts={"min_timestamp": "2010-06-01", "max_future_hours": 1.5})
    now = dt.datetime(2025, 3, 4, 10, 17, 42, 123456, tzinfo=UTC)

    assert contract_parameters(settings, now) == {
        "min_timestamp": utc(2010, 6, 1),
        "max_timestamp": utc(2025, 3, 4, 11, 47),  # 10:17 + 1.5 h
        "max_planned_timestamp": utc(2026, 4, 8, 10, 17),  # 10:17 + 400 days (calendar)
    }


def test_a_suite_with_parameters_needs_their_values() -> None:
    suite = load_suite("deployments")
    assert suite.parameters == {"min_timestamp", "max_timestamp"}

    with pytest.raises(ValueError, match="max_timestamp, min_timestamp"):
        row_reasons(suite)
    with pytest.raises(ValueError, match="max_timestamp, min_timestamp"):
        validate_frame(suite, None, parameters={})  # type: ignore[arg-type]


# -- week ranges stay bounded ------------------------------------------------------------------


def test_week_window_runs_from_the_min_timestamp_week_to_now_plus_future_hours(
    make_settings,
) -> None:
    settings = make_settings(timezone="America/Los_Angeles")
    # 2000-01-01 00:00 UTC is Friday 1999-12-31 in Los Angeles: week of Monday 1999-12-27;
    # Sunday 2025-03-09 20:00 UTC + 24 h is Monday 2025-03-10 13:00 local: the next week
    window = week_window(settings, utc(2025, 3, 9, 20, 0))

    assert window == WeekRange(dt.date(1999, 12, 27), dt.date(2025, 3, 10))
    assert clamp_weeks(WeekRange(dt.date(1990, 1, 1), dt.date(2030, 1, 7)), window) == window
    assert clamp_weeks(WeekRange(dt.date(1990, 1, 1), dt.date(1990, 1, 8)), window) is None


def test_a_far_staged_row_does_not_make_a_run_build_every_week_up_to_it(
    tmp_path: Path, make_settings
) -> None:
    settings = make_settings(warehouse=str(tmp_path / "w.duckdb"))
    with connect(settings.warehouse_path) as conn:
        # behind the contract's back: a staged production deployment dated 9999
        conn.execute(
            "INSERT INTO staging.deployments (deployment_id, service, team, environment,"
            " version, status, started_at, change_type, row_hash, source, source_file, loaded_at)"
            " VALUES ('d1', 'api', 'core', 'prod', '1.0', 'succeeded', $a, 'regular', 1, 'csv',"
            " 'x', now()), ('d2', 'api', 'core', 'prod', '1.1', 'succeeded', $b, 'regular', 2,"
            " 'csv', 'x', now())",
            {"a": utc(2025, 3, 4, 10, 0), "b": utc(9999, 12, 31)},
        )
        conn.execute("INSERT INTO raw.pending_weeks VALUES (DATE '2025-03-03', now())")
        staged = staged_weeks(conn, settings)
        bounded = data_weeks(conn, settings)
    said: list[str] = []

    weeks, _ = weeks_to_rebuild(
        settings, week=None, backfill=False, today=dt.date(2025, 3, 12), log=said.append
    )

    window = week_window(settings)
    assert staged == WeekRange(dt.date(2025, 3, 3), dt.date(9999, 12, 27))
    assert bounded == WeekRange(dt.date(2025, 3, 3), window.last)
    assert weeks == bounded
    assert len(said) == 1
    assert said[0].startswith("production deployments span 2025-W10 .. 9999-W52; only the weeks")


# -- end to end: far rows quarantined, then `run` reports the good rows -------------------------


def test_run_after_far_dated_rows_finishes_with_the_good_rows_report(tmp_path: Path) -> None:
    from assets.settings import parse_settings

    inbox = tmp_path / "inbox"
    (inbox / "deployments").mkdir(parents=True)
    far = ["0001-01-01", "1900-01-01", "9999-12-31", "294247-01-10"]
    good = [
        f"g{i},api,prod,1.{i},succeeded,2025-03-0{3 + i}T10:00:00Z,2025-03-0{3 + i}T10:05:00Z"
        for i in range(5)
    ]
    bad = [f"b{i},api,prod,9.{i},succeeded,{value}," for i, value in enumerate(far)]
    path = inbox / "deployments" / "deployments.csv"
    path.write_text("\n".join([f"{HEADER},finished_at", *bad, *good]) + "\n")
    settings = parse_settings(
        {
            "warehouse": str(tmp_path / "warehouse.duckdb"),
            "inbox_dir": str(inbox),
            "reports_dir": str(tmp_path / "reports"),
        }
    )
    said: list[str] = []

    outcome = run_pipeline(
        settings,
        today=dt.date(2025, 3, 12),
        instance=dg.DagsterInstance.ephemeral(),
        log=said.append,
    )

    assert outcome.success, outcome.problems
    # the good rows run Monday 2025-03-03 .. Friday 2025-03-07: one week, and its report
    assert outcome.weeks == WeekRange(dt.date(2025, 3, 3), dt.date(2025, 3, 3))
    assert outcome.reports == [settings.reports_path / "2025-W10" / "index.html"]
    assert outcome.reports[0].is_file()
    assert "rebuilding 1 week(s): 2025-W10 .. 2025-W10" in said
    with connect(settings.warehouse_path) as conn:
        rejected = quarantined(conn, path)
        assert [(n, codes(r)) for n, _, r in rejected] == [
            (1, ["timestamp_out_of_range"]),
            (2, ["timestamp_out_of_range"]),
            (3, ["timestamp_out_of_range"]),
            (4, ["unparseable_timestamp"]),
        ]
        assert sorted(started_at(conn)) == [f"g{i}" for i in range(5)]
        assert_counts(conn, path, read=9, accepted=5, rejected=4)


# Chatham (a 45-minute offset), Lord Howe (a 30-minute DST shift), Troll (a 2-hour one)
ZONES = ["UTC", "Europe/Paris", "America/Los_Angeles", "Pacific/Chatham",
         "Australia/Lord_Howe", "Antarctica/Troll", "Pacific/Kiritimati"]  # fmt: skip


@given(
    zone=st.sampled_from(ZONES),
    moments=st.lists(
        st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2026, 1, 1), timezones=st.just(UTC)),
        min_size=1,
        max_size=12,
    ),
)
def test_staged_weeks_are_the_first_and_last_local_weeks_of_any_moments(
    zone: str, moments: list[dt.datetime]
) -> None:
    """The span converts only the moments near the first and last; it must equal converting
    every moment, across DST shifts and offsets that are not whole hours."""
    from assets.settings import parse_settings

    settings = parse_settings({"warehouse": ":memory:", "timezone": zone})
    conn = duckdb.connect()
    prepare(conn)
    conn.executemany(
        "INSERT INTO staging.deployments (deployment_id, service, team, environment, version,"
        " status, started_at, change_type, row_hash, source, source_file, loaded_at)"
        " VALUES ($id, 'api', 'core', 'prod', '1.0', 'succeeded', $at, 'regular', 1, 'csv',"
        " 'x', now())",
        [{"id": f"d{i}", "at": at} for i, at in enumerate(moments)],
    )
    first, last = conn.execute(
        "SELECT min(rh_week(started_at, $tz)), max(rh_week(started_at, $tz))"
        " FROM staging.deployments",
        {"tz": zone},
    ).fetchone()

    assert staged_weeks(conn, settings) == WeekRange(first, last)
