"""Reading release calendars in iCalendar form (RFC 5545, as Outlook and Google export them).

One record is one occurrence of an event: a plain VEVENT is one record, a recurring one
(RRULE/RDATE, with its RECURRENCE-ID overrides) expands to its occurrences from
``contracts.min_timestamp`` to ``calendar.horizon_days`` ahead, through
``recurring-ical-events``. Occurrence ids are ``<UID>/<start in UTC>`` so a re-sent calendar
updates the same rows.

Accounting: the VEVENT blocks are counted from the bytes (``BEGIN:VEVENT`` lines),
independently of the parser; a parser that saw a different number fails the file
``record_count_mismatch``. Every VEVENT then yields at least one record or one quarantined
record (a series with no occurrence in the window, a recurrence rule that cannot be read), and
the batch's ``records_counted`` is that verified VEVENT count plus the extra occurrences the
series expanded to, so each quarantine row names its VEVENT (``vevent``: its position in the
file) and UID.

Values are text as written: categories, services and versions are passed on as the file
holds them; an all-day date starts at local midnight (``source_timezone``), a time with a
TZID keeps its offset, a floating time is read in ``source_timezone`` by the staging SQL.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import icalendar
import recurring_ical_events

from assets.ingest.batches import ParseReject, RecordBatch, UnreadableFile
from assets.ingest.kinds import Kind
from assets.settings import Limits, Settings

_BEGIN_EVENT = re.compile(rb"^BEGIN:VEVENT[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
_BEGIN_OR_END = re.compile(rb"^(BEGIN|END):", re.IGNORECASE | re.MULTILINE)
#: ``services:`` / ``versions:`` lines in an event's description
_DESCRIPTION_FIELD = re.compile(r"^\s*(services|versions)\s*:\s*(.+?)\s*$", re.I | re.M)
#: properties that carry services and versions explicitly (they win over the description)
SERVICE_PROPERTIES = ("X-SERVICES", "X-RELEASE-SERVICES")
VERSION_PROPERTIES = ("X-VERSIONS", "X-RELEASE-VERSIONS")
KIND_PROPERTY = "X-EVENT-KIND"
#: recurrence frequencies finer than a day: a release calendar has no use for them, and their
#: expansion is costly, so such a series is quarantined ``recurrence_too_frequent``
TOO_FREQUENT = frozenset({"SECONDLY", "MINUTELY", "HOURLY"})
#: a series starting earlier is quarantined: its rule would be walked from there
EARLIEST_SERIES_START = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
#: how much of a broken value a quarantined record keeps
PREVIEW_CHARS = 200


def count_vevents(data: bytes, limits: Limits) -> int:
    """VEVENT blocks in the file, counted from its lines (independent of the parser).

    Fails the file on a line longer than ``limits.max_line_bytes`` or components nested
    deeper than ``limits.max_depth``.
    """
    for number, line in enumerate(data.splitlines(), start=1):
        if len(line) > limits.max_line_bytes:
            raise UnreadableFile(
                f"line_too_long: line {number}: {len(line):,} bytes, longer than"
                f" limits.max_line_bytes ({limits.max_line_bytes:,})"
            )
    depth = 0
    for match in _BEGIN_OR_END.finditer(data):
        depth += 1 if match.group(1).upper() == b"BEGIN" else -1
        if depth > limits.max_depth:
            raise UnreadableFile(
                f"too_deep: components nested deeper than limits.max_depth ({limits.max_depth})"
            )
    return len(_BEGIN_EVENT.findall(data))


def _time_text(value: Any) -> str | None:
    """An iCalendar date or time as ISO text: a date is its local midnight (no offset)."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time()).isoformat()
    return None


def _property_time(event: icalendar.Component, name: str) -> str | None:
    """A DTSTART/DTEND as ISO text; a value the parser could not read is kept as written."""
    prop = event.get(name)
    if prop is None:
        return None
    decoded = getattr(prop, "dt", None) if not isinstance(prop, str) else None
    return _time_text(decoded) if decoded is not None else str(prop)[:PREVIEW_CHARS]


def _end_text(event: icalendar.Component) -> str | None:
    """The end: DTEND, else DTSTART plus DURATION, else the end of an all-day start."""
    if event.get("DTEND") is not None:
        return _property_time(event, "DTEND")
    try:
        return _time_text(event.end)
    except (icalendar.InvalidCalendar, ValueError, TypeError, AttributeError):
        return None


def _text(event: icalendar.Component, name: str) -> str | None:
    value = event.get(name)
    if value is None:
        return None
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    return str(value).strip() or None


def _categories(event: icalendar.Component) -> str | None:
    try:
        names = [str(name) for name in event.categories]
    except (ValueError, TypeError, AttributeError):
        names = []
    return ",".join(names) or None


def _described(event: icalendar.Component) -> dict[str, str]:
    """``services:`` and ``versions:`` lines of the description."""
    description = _text(event, "DESCRIPTION") or ""
    return {m.group(1).lower(): m.group(2) for m in _DESCRIPTION_FIELD.finditer(description)}


def _first(event: icalendar.Component, names: tuple[str, ...]) -> str | None:
    return next((text for name in names if (text := _text(event, name))), None)


def _record(event: icalendar.Component, event_id: str | None) -> dict[str, Any]:
    described = _described(event)
    return {
        "event_id": event_id,
        "kind": _text(event, KIND_PROPERTY),
        "summary": _text(event, "SUMMARY"),
        "categories": _categories(event),
        "starts_at": _property_time(event, "DTSTART"),
        "ends_at": _end_text(event),
        "services": _first(event, SERVICE_PROPERTIES) or described.get("services"),
        "versions": _first(event, VERSION_PROPERTIES) or described.get("versions"),
    }


def _is_recurring(event: icalendar.Component) -> bool:
    return any(event.get(name) is not None for name in ("RRULE", "RDATE", "RECURRENCE-ID"))


def _occurrence_id(uid: str, occurrence: icalendar.Component) -> str:
    """``<UID>/<original start in UTC>``: stable when one occurrence is moved."""
    recurrence = occurrence.get("RECURRENCE-ID")
    start = getattr(recurrence, "dt", None) if recurrence is not None else None
    if start is None:
        start = occurrence.start
    if isinstance(start, dt.datetime) and start.tzinfo is not None:
        start = start.astimezone(dt.UTC).replace(tzinfo=None)
        return f"{uid}/{start.isoformat()}Z"
    return f"{uid}/{start.isoformat()}"


def _instant(value: dt.date) -> dt.datetime:
    """A date or time as an aware instant (dates and floating times read as UTC here: only
    to bound the expansion window, never stored)."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


class _Expansion:
    """The window recurring events expand in, and the file's occurrence budget."""

    def __init__(self, settings: Settings, now: dt.datetime) -> None:
        self.first = settings.contracts.min_timestamp_utc
        self.last = now + dt.timedelta(days=settings.calendar.horizon_days)
        self.budget = settings.calendar.max_occurrences

    def occurrences(self, events: list[icalendar.Component]) -> Iterator[icalendar.Component]:
        """The occurrences of one series (its master and overrides) inside the window.

        Raises ``ValueError`` (the series is quarantined) for a rule finer than daily or a
        series starting before 1900; :class:`UnreadableFile` past the occurrence budget.
        """
        series = icalendar.Calendar()
        for event in events:
            series.add_component(event)
            rule = event.get("RRULE")
            frequencies = {str(f).upper() for f in (rule.get("FREQ", []) if rule else [])}
            if frequencies & TOO_FREQUENT:
                raise ValueError(
                    f"recurrence_too_frequent: FREQ={'/'.join(sorted(frequencies))};"
                    " a release calendar recurs daily at most"
                )
        earliest = min(_instant(event.start) for event in events)
        if earliest < EARLIEST_SERIES_START:
            raise ValueError("timestamp_out_of_range: the series starts before 1900")
        for occurrence in recurring_ical_events.of(series).after(max(earliest, self.first)):
            start = _instant(occurrence.start)
            if start > self.last:
                return
            self.budget -= 1
            if self.budget < 0:
                raise UnreadableFile(
                    "too_many_occurrences: recurring events expand to more than"
                    " calendar.max_occurrences occurrences within the calendar horizon"
                )
            yield occurrence


def _original(number: int, uid: str | None, event: icalendar.Component) -> dict[str, Any]:
    """What quarantine keeps of a VEVENT: its position, UID and main properties as written."""
    kept = {"vevent": number, "uid": uid}
    for name in ("SUMMARY", "DTSTART", "DTEND", "RRULE", "CATEGORIES"):
        value = event.get(name)
        if value is not None:
            text = value.to_ical() if hasattr(value, "to_ical") else str(value)
            kept[name.lower()] = (text.decode() if isinstance(text, bytes) else str(text))[
                :PREVIEW_CHARS
            ]
    return kept


def read_ics(
    path: Path, data: bytes, kind: Kind, settings: Settings, now: dt.datetime | None = None
) -> RecordBatch:
    """An iCalendar file as a batch of event occurrences (see the module docstring)."""
    from assets.ingest.readers import batch_from_records

    if kind.name != "calendar":
        raise UnreadableFile(
            f"{path.name}: an iCalendar file holds calendar events, not {kind.name};"
            " move it to a calendar/ folder or pass --kind calendar"
        )
    try:
        counted = count_vevents(data, settings.limits)
    except UnreadableFile as exc:
        raise UnreadableFile(f"{path.name}: {exc}") from None
    try:
        # several calendars back to back (exports merged by hand) read as one
        calendars = icalendar.Calendar.from_ical(data.decode("utf-8-sig"), multiple=True)
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"{path.name}: invalid_encoding: byte {exc.start + 1} is not UTF-8"
        ) from None
    except (ValueError, KeyError, IndexError) as exc:
        raise UnreadableFile(f"{path.name}: invalid_ical: {exc}") from None
    events = [event for calendar in calendars for event in calendar.walk("VEVENT")]
    if len(events) != counted:
        raise UnreadableFile(
            f"{path.name}: record_count_mismatch: the iCalendar parser found {len(events)}"
            f" VEVENT(s) but the file holds {counted}; nothing of it was loaded"
        )
    expansion = _Expansion(settings, now or dt.datetime.now(tz=dt.UTC))
    records: list[tuple[int, dict[str, Any]]] = []
    texts: dict[int, str] = {}
    rejects: list[ParseReject] = []
    series: dict[str, list[tuple[int, icalendar.Component]]] = {}
    numbered = list(enumerate(events, start=1))
    for number, event in numbered:
        uid = _text(event, "UID")
        if uid and _is_recurring(event):
            series.setdefault(uid, []).append((number, event))

    def add(record: dict[str, Any], original: dict[str, Any]) -> None:
        position = len(records) + len(rejects) + 1
        records.append((position, record))
        texts[position] = json.dumps({**original, **record}, sort_keys=True)

    def reject(original: dict[str, Any], reason: str) -> None:
        rejects.append(ParseReject(len(records) + len(rejects) + 1, original, [reason]))

    recurring = set(series)
    for number, event in numbered:
        uid = _text(event, "UID")
        original = _original(number, uid, event)
        if uid not in recurring:
            # no UID: the contract quarantines it (missing event_id)
            add(_record(event, uid), original)
            continue
        members = series.pop(uid, None)
        if members is None:  # an override, expanded with its series
            continue
        where = f"vevent {members[0][0]} (UID {uid})"
        try:
            occurrences = list(expansion.occurrences([event for _, event in members]))
        except UnreadableFile as exc:
            raise UnreadableFile(f"{path.name}: {exc}") from None
        except (ValueError, TypeError, KeyError, recurring_ical_events.InvalidCalendar) as exc:
            message = str(exc)[:PREVIEW_CHARS]
            code, _, detail = message.partition(": ")
            if code not in {"recurrence_too_frequent", "timestamp_out_of_range"}:
                code, detail = "invalid_recurrence", message
            for member_number, member in members:
                reject(_original(member_number, uid, member), f"{code}: {where}: {detail}")
            continue
        if not occurrences:
            for member_number, member in members:
                reject(
                    _original(member_number, uid, member),
                    f"no_occurrence_in_window: {where}: no occurrence between"
                    f" contracts.min_timestamp and calendar.horizon_days ahead",
                )
            continue
        extra = len(members) - 1  # overrides are occurrences of the series, not extra records
        for occurrence in occurrences:
            add(_record(occurrence, _occurrence_id(uid, occurrence)), original)
        counted += len(occurrences) - 1 - extra
    batch = batch_from_records(kind, records, "ics", "ical", {}, rejects, texts)
    batch.records_counted = counted
    return batch
