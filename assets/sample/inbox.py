"""Writing the sample organisation into an inbox: file layout, formats, dialects and bad rows.

* ``deployments/deployments-<YYYY>-W<ww>.csv`` per ISO week; ~10 % of the weeks as ``.jsonl``
  (same keys, empty values left out), and a few in a *legacy* dialect (``+01:00`` offsets,
  environment and status aliases) so both readers and the normalisation get exercised;
* ``incidents/incidents-<YYYY>-<MM>.jsonl`` per month of ``opened_at``; in one recent month
  (:data:`PAGERDUTY_MONTH_INDEX`) the incidents with no known cause are written instead as
  PagerDuty REST pages ``incidents/pagerduty-incidents-<YYYY>-<MM>-p<n>.json`` (same
  incidents, as ``GET /incidents`` returns them), so the demo runs that adapter too;
* ``inventory/inventory-<YYYY>-W<ww>.csv`` per ISO week of captures.

A small share of rows (:data:`BAD_ROW_SHARE`, and at least one of each kind) is added broken,
each breaking exactly one rule of the data contract, and counted by kind.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

import numpy as np

from assets.ingest.kinds import DEPLOYMENTS, INCIDENTS
from assets.sample.clock import DAY, HOUR, MINUTE, Clock
from assets.sample.history import FAILED, SUCCEEDED
from assets.sample.inventory import HEADER as INVENTORY_HEADER
from assets.weeks import iso_week

# the sample writes the canonical fields, in the canonical order
DEPLOYMENT_HEADER = DEPLOYMENTS.fields
INCIDENT_FIELDS = INCIDENTS.fields
_TIMESTAMP_COLUMNS = (5, 6, 9)  # started_at, finished_at, first_commit_at
_CHANGE_COUNT = 8
JSONL_SHARE = 0.10
LEGACY_SHARE = 0.06
LEGACY_OFFSET_HOURS = 1
LEGACY_ENVIRONMENTS = {"prod": ("production", "prd"), "staging": ("stg",)}
LEGACY_STATUSES = {"succeeded": "success", "failed": "failure", "rolled_back": "rollback"}
BAD_ROW_SHARE = 0.003
#: each defect breaks one contract rule; exact duplicates are counted as duplicates, the rest
#: are rejected (a conflicting duplicate id: the later row)
DEPLOYMENT_DEFECTS = (
    "missing_service",
    "unknown_status",
    "unparseable_timestamp",
    "finished_before_started",
    "negative_change_count",
    "conflicting_duplicate_id",
    "exact_duplicate",
)
INCIDENT_DEFECTS = (
    "missing_service",
    "unparseable_timestamp",
    "resolved_before_opened",
    "conflicting_duplicate_id",
    "exact_duplicate",
)
_REPEATS = ("conflicting_duplicate_id", "exact_duplicate")


def format_timestamps(values: Sequence[int | None], offset_hours: int = 0) -> list[str]:
    """ISO-8601 texts in UTC with ``Z``, or at a fixed ``+hh:00`` offset; None → empty."""
    seconds = np.array([0 if v is None else v for v in values], dtype=np.int64)
    seconds += offset_hours * HOUR
    texts = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s").tolist()
    suffix = "Z" if offset_hours == 0 else f"+{offset_hours:02d}:00"
    return ["" if v is None else t + suffix for t, v in zip(texts, values, strict=True)]


def _day(ts: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=ts // DAY)


@dataclass
class _WeekFile:
    rows: list[list]  # raw rows (integer timestamps)
    jsonl: bool
    legacy: bool
    cells: list[list[str]]


def _format_deployments(rows: Sequence[list], legacy: bool, rnd: random.Random) -> list[list[str]]:
    """Deployment rows as CSV cells, in the canonical or the legacy dialect."""
    offset = LEGACY_OFFSET_HOURS if legacy else 0
    stamps = [format_timestamps([row[c] for row in rows], offset) for c in _TIMESTAMP_COLUMNS]
    cells: list[list[str]] = []
    for i, row in enumerate(rows):
        env, status = row[2], row[4]
        if legacy:
            env = rnd.choice(LEGACY_ENVIRONMENTS.get(env, (env,)))
            status = LEGACY_STATUSES.get(status, status)
        changes = "" if row[_CHANGE_COUNT] is None else str(row[_CHANGE_COUNT])
        cells.append(
            [row[0], row[1], env, row[3], status, stamps[0][i], stamps[1][i], row[7], changes,
             stamps[2][i], row[10], row[11], row[12]]
        )  # fmt: skip
    return cells


def _deployment_defect(
    defect: str, raw: list, source: list[str], legacy: bool, rnd: random.Random, new_id: str
) -> list[str]:
    """A broken copy of a deployment row (a new id unless the defect is a repeated id)."""
    if defect == "exact_duplicate":
        return list(source)
    bad = list(raw)
    if defect != "conflicting_duplicate_id":
        bad[0] = new_id
    if defect == "finished_before_started":
        bad[6] = bad[5] - 7 * MINUTE
    if defect == "conflicting_duplicate_id":  # same id, a different outcome
        bad[4] = FAILED if bad[4] == SUCCEEDED else SUCCEEDED
    cells = _format_deployments([bad], legacy, rnd)[0]
    replacement = {
        "missing_service": (1, ""),
        "unknown_status": (4, "deployed"),
        "unparseable_timestamp": (5, "yesterday"),
        "negative_change_count": (_CHANGE_COUNT, "-3"),
    }.get(defect)
    if replacement:
        cells[replacement[0]] = replacement[1]
    return cells


def _inject(
    files: Sequence[list],
    originals: Sequence[Sequence],
    defects: Sequence[str],
    make: Callable[[str, int, int, int], object],
    rng: np.random.Generator,
) -> None:
    """Insert broken rows made from random original rows (row-weighted, each used once).

    ``files`` are the lists written out (grown in place); ``originals`` the clean rows they
    started with; ``make(defect, file_index, row_index, number)`` builds the broken row
    (``number`` counts the defects from 1, for new ids).
    Repeats of an id go after their original, so the original is the one accepted.
    """
    sizes = np.array([len(rows) for rows in originals])
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    picked = rng.choice(int(offsets[-1]), size=len(defects), replace=False)
    for number, (defect, flat) in enumerate(zip(defects, picked.tolist(), strict=True), start=1):
        f = int(np.searchsorted(offsets, flat, side="right")) - 1
        r = flat - int(offsets[f])
        target = files[f]
        bad = make(defect, f, r, number)
        source_at = next(i for i, row in enumerate(target) if row is originals[f][r])
        low = source_at + 1 if defect in _REPEATS else 0
        target.insert(int(rng.integers(low, len(target) + 1)), bad)


def _defect_plan(defects: tuple[str, ...], rows: int) -> list[str]:
    count = max(len(defects), round(BAD_ROW_SHARE * rows))
    return [defects[i % len(defects)] for i in range(count)]


def write_deployments(
    folder: Path, rows: list[list], clock: Clock, seed: int
) -> tuple[list[Path], list[str]]:
    """One file per ISO week of the history; returns the paths and the defects added."""
    rng = np.random.default_rng([seed, 505])
    rnd = random.Random(int(rng.integers(2**62)))
    days = (clock.start + dt.timedelta(days=d) for d in range(clock.weeks * 7))
    weeks = list(dict.fromkeys(iso_week(day) for day in days))  # every week gets a file
    by_week: dict[str, list[list]] = {week: [] for week in weeks}
    week_of_day: dict[int, str] = {}
    for row in rows:
        day = row[5] // DAY
        if day not in week_of_day:
            week_of_day[day] = iso_week(_day(row[5]))
        by_week[week_of_day[day]].append(row)
    n = len(weeks)
    jsonl = set(rng.choice(n, size=max(1, round(JSONL_SHARE * n)), replace=False).tolist())
    legacy = set(rng.choice(n, size=max(1, round(LEGACY_SHARE * n)), replace=False).tolist())
    files = []
    for i, week in enumerate(weeks):
        week_rows = by_week[week]
        cells = _format_deployments(week_rows, i in legacy, rnd)
        files.append(_WeekFile(week_rows, i in jsonl, i in legacy, cells))

    plan = _defect_plan(DEPLOYMENT_DEFECTS, len(rows))
    originals = [list(file.cells) for file in files]

    def make(defect: str, f: int, r: int, number: int) -> list[str]:
        new_id = f"dep-{len(rows) + number:08d}"
        file = files[f]
        return _deployment_defect(defect, file.rows[r], originals[f][r], file.legacy, rnd, new_id)

    _inject([file.cells for file in files], originals, plan, make, rng)

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for week, file in zip(weeks, files, strict=True):
        path = folder / f"deployments-{week}.{'jsonl' if file.jsonl else 'csv'}"
        if file.jsonl:
            _write_jsonl(path, (_deployment_object(cells) for cells in file.cells))
        else:
            _write_csv(path, DEPLOYMENT_HEADER, file.cells)
        paths.append(path)
    return paths, plan


def _deployment_object(cells: list[str]) -> dict[str, object]:
    record: dict[str, object] = {}
    for name, value in zip(DEPLOYMENT_HEADER, cells, strict=True):
        if value == "":
            continue
        record[name] = int(value) if name == "change_count" else value
    return record


def _incident_objects(rows: Sequence[list]) -> list[dict[str, object]]:
    opened = format_timestamps([row[2] for row in rows])
    resolved = format_timestamps([row[3] for row in rows])
    objects = []
    for i, row in enumerate(rows):
        record: dict[str, object] = {
            "incident_id": row[0],
            "service": row[1],
            "opened_at": opened[i],
        }
        if resolved[i]:
            record["resolved_at"] = resolved[i]
        record["severity"] = row[4]
        record["environment"] = "prod"
        if row[5] is not None:
            record["deployment_id"] = row[5][0]  # the causing deployment's row, numbered by now
        objects.append(record)
    return objects


def write_incidents(folder: Path, rows: list[list], seed: int) -> tuple[list[Path], list[str]]:
    """One JSON Lines file per month with incidents opened in it; paths and defects added."""
    rng = np.random.default_rng([seed, 606])
    by_month: dict[str, list[list]] = {}
    for row in rows:
        day = _day(row[2])
        by_month.setdefault(f"{day.year}-{day.month:02d}", []).append(row)
    months = list(by_month)
    objects = [_incident_objects(by_month[m]) for m in months]
    originals = [list(month) for month in objects]
    plan = _defect_plan(INCIDENT_DEFECTS, len(rows))

    def make(defect: str, f: int, r: int, number: int) -> dict[str, object]:
        source = originals[f][r]
        bad = dict(source)
        if defect == "exact_duplicate":
            return bad
        if defect == "conflicting_duplicate_id":
            bad["severity"] = "sev2" if source["severity"] != "sev2" else "sev3"
            return bad
        bad["incident_id"] = f"INC-{len(rows) + number:06d}"
        if defect == "missing_service":
            del bad["service"]
        elif defect == "unparseable_timestamp":
            bad["opened_at"] = "yesterday"
        elif defect == "resolved_before_opened":
            raw = by_month[months[f]][r]
            bad["resolved_at"] = format_timestamps([raw[2] - 20 * MINUTE])[0]
        return bad

    _inject(objects, originals, plan, make, rng)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    pagerduty_month = months[PAGERDUTY_MONTH_INDEX] if len(months) > 1 else None
    for month, month_objects in zip(months, objects, strict=True):
        if month == pagerduty_month:
            month_objects, pages = _write_pagerduty_pages(folder, month, month_objects)
            paths += pages
        path = folder / f"incidents-{month}.jsonl"
        _write_jsonl(path, month_objects)
        paths.append(path)
    return paths, plan


#: which month (from the end) has its incidents without a known cause written as PagerDuty
#: pages: a recent one, but not the last (the incremental tests deliver that one late)
PAGERDUTY_MONTH_INDEX = -2
PAGERDUTY_PAGE_SIZE = 25
_INCIDENT_NUMBER_PREFIX = "INC-"


def _pagerduty_incident(record: dict[str, object]) -> dict[str, object]:
    """A canonical incident as PagerDuty's ``GET /incidents`` lists it (its priority named
    like the sample's severities, as an account may name its priorities)."""
    number = str(record["incident_id"]).removeprefix(_INCIDENT_NUMBER_PREFIX).lstrip("0") or "0"
    resolved = record.get("resolved_at")
    service = str(record["service"])
    return {
        "id": f"PINC{number}",
        "type": "incident",
        "summary": f"[#{number}] {service} degraded",
        "incident_number": int(number),
        "title": f"{service} degraded",
        "created_at": record["opened_at"],
        "status": "resolved" if resolved else "triggered",
        "last_status_change_at": resolved or record["opened_at"],
        "resolved_at": resolved,
        "service": {"id": f"PSVC-{service}", "type": "service_reference", "summary": service},
        "priority": {
            "id": f"PPRI-{record['severity']}",
            "type": "priority_reference",
            "summary": record["severity"],
        },
        "urgency": "high" if record["severity"] in ("sev1", "sev2") else "low",
    }


def _write_pagerduty_pages(
    folder: Path, month: str, objects: list[dict[str, object]]
) -> tuple[list[dict[str, object]], list[Path]]:
    """Write the month's incidents with no known cause (and no defect) as PagerDuty pages;
    return the incidents left for the month's JSON Lines file and the pages written."""
    counts: dict[object, int] = {}
    for record in objects:
        counts[record.get("incident_id")] = counts.get(record.get("incident_id"), 0) + 1
    moved = [
        record
        for record in objects
        if "deployment_id" not in record
        and record.get("service")
        and str(record.get("incident_id", "")).startswith(_INCIDENT_NUMBER_PREFIX)
        and counts[record.get("incident_id")] == 1
        and record.get("opened_at") != "yesterday"
    ]
    kept = [record for record in objects if all(record is not m for m in moved)]
    pages = [
        moved[start : start + PAGERDUTY_PAGE_SIZE]
        for start in range(0, len(moved), PAGERDUTY_PAGE_SIZE)
    ]
    paths = []
    for number, page in enumerate(pages, start=1):
        path = folder / f"pagerduty-incidents-{month}-p{number}.json"
        body = {
            "incidents": [_pagerduty_incident(record) for record in page],
            "limit": PAGERDUTY_PAGE_SIZE,
            "offset": (number - 1) * PAGERDUTY_PAGE_SIZE,
            "more": number < len(pages),
            "total": None,
        }
        path.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
        paths.append(path)
    return kept, paths


def write_inventory(
    folder: Path, snapshots: Iterable[tuple[int, list[tuple[str, ...]]]]
) -> tuple[list[Path], int]:
    """One CSV per ISO week of captures; returns the paths and the number of records."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    total = 0
    for week, captures in groupby(snapshots, key=lambda snapshot: iso_week(_day(snapshot[0]))):
        path = folder / f"inventory-{week}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(INVENTORY_HEADER)
            for captured, records in captures:
                stamp = format_timestamps([captured])[0]
                writer.writerows((stamp, *record) for record in records)
                total += len(records)
        paths.append(path)
    return paths, total


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _write_jsonl(path: Path, objects: Iterable[dict[str, object]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(obj) + "\n" for obj in objects)
