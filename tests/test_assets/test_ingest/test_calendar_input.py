"""Release-calendar input: iCalendar (recurring events too) and YAML into staging."""

from __future__ import annotations

import json

import duckdb

from assets.ingest.contract import validate_batches
from assets.ingest.loader import ingest_file
from tests.test_assets.test_ingest.test_bad_inputs import (
    assert_counts,
    codes,
    quarantined,
    stored_file,
)

# A year-end freeze recurring every year (moved once, in 2023), a planned release with
# services and versions in the description, one with X- properties, and maintenance.
CALENDAR_ICS = "\r\n".join(
    [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Example//Release calendar//EN",
        "BEGIN:VEVENT",
        "UID:year-end-freeze",
        "SUMMARY:Year-end change freeze",
        "CATEGORIES:FREEZE",
        "DTSTART;VALUE=DATE:20211220",
        "DTEND;VALUE=DATE:20220103",
        "RRULE:FREQ=YEARLY;COUNT=3",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:year-end-freeze",
        "RECURRENCE-ID;VALUE=DATE:20231220",
        "SUMMARY:Year-end change freeze (late start)",
        "CATEGORIES:FREEZE",
        "DTSTART;VALUE=DATE:20231222",
        "DTEND;VALUE=DATE:20240102",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:release-1-4",
        "SUMMARY:Release train 1.4",
        "CATEGORIES:RELEASE",
        "DTSTART;TZID=Europe/Paris:20240110T100000",
        "DTEND;TZID=Europe/Paris:20240110T120000",
        "DESCRIPTION:Payments and web.\\nservices: payments@1.4.0\\, web\\nversions: web=2.10",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:release-search",
        "SUMMARY:Search RELEASE",
        "DTSTART:20240115T090000Z",
        "X-SERVICES:search",
        "X-VERSIONS:search=010",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:db-maintenance",
        "SUMMARY:Database maintenance",
        "DTSTART:20240120T220000",
        "DURATION:PT4H",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
)


#: settings that never hold a file for its share of rejected rows
LENIENT = {"contracts": {"max_reject_ratio": 1.0}}


def events(conn: duckdb.DuckDBPyConnection) -> list[tuple]:
    return conn.execute(
        "SELECT event_id, kind, strftime(starts_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M'),"
        " strftime(ends_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M'), services, versions"
        " FROM staging.calendar_events ORDER BY starts_at, event_id"
    ).fetchall()


def test_ics_events_and_recurrences_are_staged_one_row_per_occurrence(
    warehouse, settings, write_input
):
    path = write_input("releases.ics", CALENDAR_ICS, kind="calendar")
    (report,) = ingest_file(warehouse, path, settings)
    # 5 VEVENTs: the freeze series (master + override) expands to 3 occurrences
    assert report.kind == "calendar" and report.format == "ics"
    assert_counts(warehouse, path, read=6, accepted=6, rejected=0)
    assert report.records_counted == 6
    rows = events(warehouse)
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        ("year-end-freeze/2021-12-20", "freeze", "2021-12-20 00:00", "2022-01-03 00:00"),
        ("year-end-freeze/2022-12-20", "freeze", "2022-12-20 00:00", "2023-01-03 00:00"),
        # the moved occurrence keeps the id of the one it replaces
        ("year-end-freeze/2023-12-20", "freeze", "2023-12-22 00:00", "2024-01-02 00:00"),
        ("release-1-4", "release", "2024-01-10 09:00", "2024-01-10 11:00"),
        ("release-search", "release", "2024-01-15 09:00", "2024-01-15 09:00"),
        ("db-maintenance", "maintenance", "2024-01-20 22:00", "2024-01-21 02:00"),
    ]
    by_id = {r[0]: r for r in rows}
    assert by_id["release-1-4"][4] == ["payments", "web"]
    # versions are text as written: 2.10 stays 2.10, 010 stays 010
    assert json.loads(by_id["release-1-4"][5]) == {"payments": "1.4.0", "web": "2.10"}
    assert by_id["release-search"][4] == ["search"]
    assert json.loads(by_id["release-search"][5]) == {"search": "010"}
    assert by_id["year-end-freeze/2021-12-20"][4] == []


def test_ics_is_read_the_same_twice_and_a_resent_calendar_updates_rows(
    warehouse, settings, write_input, tmp_path
):
    path = write_input("releases.ics", CALENDAR_ICS, kind="calendar")
    ingest_file(warehouse, path, settings)
    moved = write_input(
        "releases-v2.ics",
        CALENDAR_ICS.replace("20240115T090000Z", "20240116T090000Z"),
        kind="calendar",
    )
    (report,) = ingest_file(warehouse, moved, settings)
    assert (report.rows_inserted, report.rows_updated) == (0, 1)
    (count,) = warehouse.execute("SELECT count(*) FROM staging.calendar_events").fetchone()
    assert count == 6


def test_broken_events_are_quarantined_with_their_vevent_and_the_rest_loads(
    warehouse, make_settings, write_input
):
    text = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "BEGIN:VEVENT",
            "UID:ok",
            "SUMMARY:FREEZE",
            "DTSTART:20240101T000000Z",
            "DTEND:20240102T000000Z",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:bad-start",
            "SUMMARY:RELEASE",
            "DTSTART:2024011",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "SUMMARY:no uid",
            "DTSTART:20240103T000000Z",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:backwards",
            "SUMMARY:FREEZE",
            "DTSTART:20240105T000000Z",
            "DTEND:20240104T000000Z",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:long-gone",
            "SUMMARY:FREEZE",
            "DTSTART:19900101T000000Z",
            "RRULE:FREQ=YEARLY;COUNT=2",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )
    path = write_input("broken.ics", text, kind="calendar")
    ingest_file(warehouse, path, make_settings(**LENIENT))
    assert_counts(warehouse, path, read=5, accepted=1, rejected=4)
    rejected = {
        number: (record, codes(reasons)) for number, record, reasons in quarantined(warehouse, path)
    }
    assert rejected[2][1] == ["unparseable_timestamp"] and rejected[2][0]["vevent"] == 2
    assert rejected[3][1] == ["missing_required_field"] and rejected[3][0]["vevent"] == 3
    assert rejected[4][1] == ["ends_before_start"] and rejected[4][0]["uid"] == "backwards"
    assert rejected[5][1] == ["no_occurrence_in_window"] and rejected[5][0]["vevent"] == 5


def test_a_vevent_the_parser_misses_fails_the_file(warehouse, settings, write_input):
    # "BEGIN:VEVENT " with a trailing blank: the parser skips that event, the lines count it
    text = (
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240101T000000Z\r\n"
        "END:VEVENT\r\nBEGIN:VEVENT \r\nUID:b\r\nDTSTART:20240102T000000Z\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    path = write_input("nested.ics", text, kind="calendar")
    ingest_file(warehouse, path, settings)
    row = stored_file(warehouse, path)
    assert row["status"] == "failed"
    assert row["error"].startswith("nested.ics: record_count_mismatch:")
    (staged,) = warehouse.execute("SELECT count(*) FROM staging.calendar_events").fetchone()
    assert staged == 0


def test_truncated_calendar_fails_the_file_naming_it(warehouse, settings, write_input):
    text = CALENDAR_ICS[: CALENDAR_ICS.index("UID:db-maintenance") + 10]
    path = write_input("cut.ics", text, kind="calendar")
    ingest_file(warehouse, path, settings)
    row = stored_file(warehouse, path)
    assert row["status"] == "failed"
    # the parser gives up on the unclosed tail silently; the independent count does not
    assert row["error"].startswith("cut.ics: record_count_mismatch:")
    assert "holds 5" in row["error"]


def test_sub_daily_recurrence_is_quarantined_without_expanding(
    warehouse, make_settings, write_input
):
    text = (
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:every-second\r\nSUMMARY:FREEZE\r\n"
        "DTSTART:19900101T000000Z\r\nRRULE:FREQ=SECONDLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    path = write_input("seconds.ics", text, kind="calendar")
    ingest_file(warehouse, path, make_settings(**LENIENT))
    assert_counts(warehouse, path, read=1, accepted=0, rejected=1)
    ((number, record, reasons),) = quarantined(warehouse, path)
    assert (number, record["uid"], codes(reasons)) == (
        1,
        "every-second",
        ["recurrence_too_frequent"],
    )


def test_unbounded_recurrence_fails_the_file_past_the_occurrence_budget(
    warehouse, make_settings, write_input
):
    settings = make_settings(calendar={"max_occurrences": 100})
    text = (
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:every-day\r\nSUMMARY:FREEZE\r\n"
        "DTSTART:20200101T000000Z\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    path = write_input("storm.ics", text, kind="calendar")
    ingest_file(warehouse, path, settings)
    row = stored_file(warehouse, path)
    assert row["status"] == "failed"
    assert row["error"].startswith("storm.ics: too_many_occurrences:")


def test_yaml_calendar_keeps_values_as_written_and_classifies_by_category(
    warehouse, make_settings, write_input
):
    settings = make_settings(calendar={"freeze_categories": ["Code-Freeze"]})
    text = """events:
  - event_id: q1-freeze
    summary: Quarter close
    categories: [code-freeze]
    starts_at: 2024-03-25
    ends_at: 2024-04-01
  - event_id: rel-7
    summary: Release 7
    categories: RELEASE
    starts_at: 2024-03-12T10:00:00+01:00
    services: [api, web]
    versions: {api: 1.10, web: no}
  - event_id: patch
    kind: maintenance
    starts_at: 2024-03-13T10:00:00Z
    ends_at: 2024-03-13T11:00:00Z
  - event_id: odd
    kind: holiday
    starts_at: 2024-03-14T10:00:00Z
"""
    path = write_input("plan.yaml", text, kind="calendar")
    ingest_file(warehouse, path, settings)
    assert_counts(warehouse, path, read=4, accepted=3, rejected=1, status="loaded")
    rows = {r[0]: r for r in events(warehouse)}
    assert rows["q1-freeze"][1] == "freeze"
    assert rows["q1-freeze"][2:4] == ("2024-03-25 00:00", "2024-04-01 00:00")
    assert rows["rel-7"][1] == "release" and rows["rel-7"][2] == "2024-03-12 09:00"
    assert json.loads(rows["rel-7"][5]) == {"api": "1.10", "web": "no"}
    assert rows["patch"][1] == "maintenance"
    ((_, _, reasons),) = quarantined(warehouse, path)
    assert codes(reasons) == ["unknown_event_kind"]


def test_contract_check_of_record_agrees_with_the_calendar_quarantine(
    warehouse, make_settings, write_input
):
    text = CALENDAR_ICS.replace("DTSTART:20240115T090000Z", "DTSTART:19990115T090000Z")
    path = write_input("checked.ics", text, kind="calendar")
    (report,) = ingest_file(warehouse, path, make_settings(**LENIENT), validator=validate_batches)
    assert report.contract_status == "passed", report.contract_detail
    assert report.rows_rejected == 1
    ((_, _, reasons),) = quarantined(warehouse, path)
    # an event without an end ends when it starts: both fields are out of range
    assert codes(reasons) == ["timestamp_out_of_range", "timestamp_out_of_range"]
