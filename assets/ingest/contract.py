"""The contract check of record: Great Expectations on each file's candidate rows.

Row-level quarantine runs as SQL derived from the suite (fast); this module re-validates the
same candidate rows with GX and compares the two verdicts, file by file. Agreement means the
quarantine did exactly what the contract says; a disagreement is reported and blocks
publication. GX's cost is mostly per call, not per row, so the files of one ingest run are
validated together in one call per kind and the verdicts are split back per file.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import pyarrow as pa

from assets.ingest.kinds import Kind
from assets.settings import Settings
from data_contracts.sql import key_expectation, reason_code, reason_parts
from data_contracts.validate import validate_frame

MAX_EXAMPLES = 5


def contract_parameters(settings: Settings, now: dt.datetime) -> dict[str, Any]:
    """The suite parameters' values at ``now``: the window a timestamp must fall in.

    ``min_timestamp`` is ``contracts.min_timestamp``; ``max_timestamp`` is ``now`` plus
    ``contracts.max_future_hours``; ``max_planned_timestamp`` (release-calendar events) is
    ``now`` plus ``calendar.horizon_days``. The SQL verdict and GX bind these same values. The
    clock is read to the minute, so the files of one ingest run share their parameters and so
    one GX call per kind.
    """
    minute = now.astimezone(dt.UTC).replace(second=0, microsecond=0)
    return {
        "min_timestamp": settings.contracts.min_timestamp_utc,
        "max_timestamp": minute + dt.timedelta(hours=settings.contracts.max_future_hours),
        # the release calendar plans ahead: its events may lie up to calendar.horizon_days out
        "max_planned_timestamp": minute + dt.timedelta(days=settings.calendar.horizon_days),
    }


def _pairs(failures: dict[int, list[str]], skip: set[str]) -> set[tuple[int, str]]:
    return {
        (number, reason_code(reason))
        for number, reasons in failures.items()
        for reason in reasons
        if reason_code(reason) not in skip
    }


ROW_COLUMN = "__row"


def _failed_expectations(failures: dict[int, list[str]]) -> list[str]:
    """``reason (field)`` of every expectation that failed, from reason strings."""
    named = set()
    for reasons in failures.values():
        for reason in reasons:
            code, field, _ = reason_parts(reason)
            named.add(f"{code} ({field})")
    return sorted(named)


def _listed(kind: Kind, parts: Sequence[Part]) -> set[int]:
    """The suite positions of the expectations whose failing rows the SQL verdicts name: GX
    lists those expectations' rows at once and counts the others' (``validate_here``)."""
    position = {(e.reason, e.field, e.type): p for p, e in enumerate(kind.suite.expectations)}
    named = {
        reason_parts(reason)
        for part in parts
        for reasons in part.verdict.values()
        for reason in reasons
    }
    return {position[name] for name in named if name in position}


#: the detail key carrying the GX call's :class:`Validation` out to be stored
VALIDATION = "validation"


@dataclass(frozen=True)
class Validation:
    """One GX call's result document (several files of one kind may share it)."""

    validation_id: str
    kind: str
    suite: str
    document: dict[str, Any]


class Part(NamedTuple):
    """One file's rows for the check: the rows GX validates, the SQL verdict on them, the
    suite parameters the verdict was computed with, and the sampling stride (1: every
    candidate row; n: every record whose number is divisible by n, plus every rejected row)."""

    frame: pa.Table
    verdict: dict[int, list[str]]
    parameters: Mapping[str, Any]
    stride: int = 1


def validated_rows(stride: int) -> str:
    """How a file's rows were chosen for the check, in words (``contract_detail``)."""
    if stride == 1:
        return "every candidate row"
    return (
        f"a deterministic sample: every record whose record_number is divisible by {stride},"
        " plus every row the quarantine rejected"
    )


def validate_batches(kind: Kind, parts: Sequence[Part]) -> list[tuple[str, dict[str, Any]]]:
    """Validate several files' rows (:class:`Part` each, or a plain 3- or 4-tuple).

    Parts with equal suite parameters (those the SQL verdict was computed with) go through GX
    in one call. Returns, per part, ``("passed" | "disagreed", detail)``: whether GX's failures
    (record number, reason) equal the SQL verdict's on the rows validated, GX's statistics,
    which rows were validated, and a few examples where the two disagree.
    """
    parts = [Part(*part) for part in parts]
    groups: dict[tuple[tuple[str, Any], ...], list[int]] = {}
    for index, part in enumerate(parts):
        groups.setdefault(tuple(sorted(part.parameters.items())), []).append(index)
    by_part: dict[int, tuple[str, dict[str, Any]]] = {}
    for key, indexes in groups.items():
        found = _validate_group(kind, [parts[i] for i in indexes], dict(key))
        by_part.update(zip(indexes, found, strict=True))
    return [by_part[index] for index in range(len(parts))]


def _validate_group(
    kind: Kind, parts: Sequence[Part], parameters: Mapping[str, Any]
) -> list[tuple[str, dict[str, Any]]]:
    """Parts sharing one set of suite parameters, in one GX call."""
    frames, owners = [], []
    offset = 0
    for index, part in enumerate(parts):
        frame = part.frame
        rows = pa.array(range(offset, offset + frame.num_rows), pa.int64())
        frames.append(frame.append_column(ROW_COLUMN, rows))
        owners.append((offset, offset + frame.num_rows, index))
        offset += frame.num_rows
    combined = pa.concat_tables(frames, promote_options="permissive")
    result = validate_frame(
        kind.suite,
        combined.to_pandas(),
        index_column=ROW_COLUMN,
        parameters=parameters,
        listed=_listed(kind, parts),
    )
    numbers = combined.column("record_number").to_pylist()
    part_of = [0] * offset
    for start, end, index in owners:
        part_of[start:end] = [index] * (end - start)
    failures: list[dict[int, list[str]]] = [{} for _ in parts]
    for row, reasons in result.failures.items():
        failures[part_of[row]][numbers[row]] = reasons
    key = key_expectation(kind.suite)
    # de-duplication removed conflicting keys from the frame, so GX sees them unique
    skip = {key.reason} if key else set()
    validation = Validation(uuid.uuid4().hex, kind.name, result.suite, result.document)
    outcomes = []
    for part, found in zip(parts, failures, strict=True):
        by_gx, by_sql = _pairs(found, skip), _pairs(part.verdict, skip)
        agrees = by_gx == by_sql and not result.errors
        detail = {
            "suite": result.suite,
            "rows": part.frame.num_rows,
            "rows_validated": validated_rows(part.stride),
            "evaluated_expectations": result.evaluated_expectations,
            "failing_rows": len(found),
            "failed_expectations": _failed_expectations(found),
            "errors": result.errors,
            "agrees_with_quarantine": agrees,
            "only_in_gx": sorted(by_gx - by_sql)[:MAX_EXAMPLES],
            "only_in_sql": sorted(by_sql - by_gx)[:MAX_EXAMPLES],
            "validation_id": validation.validation_id,
            # taken out and stored once per GX call (raw.contract_validations) by the loader
            VALIDATION: validation,
        }
        outcomes.append(("passed" if agrees else "disagreed", detail))
    return outcomes


def validate_batch(
    kind: Kind, frame: pa.Table, verdict: dict[int, list[str]], parameters: Mapping[str, Any]
) -> tuple[str, dict[str, Any]]:
    """One file's candidate rows through GX (see :func:`validate_batches`)."""
    return validate_batches(kind, [(frame, verdict, parameters)])[0]
