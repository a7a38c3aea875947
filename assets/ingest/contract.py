"""The contract check of record: Great Expectations on each file's candidate rows.

Row-level quarantine runs as SQL derived from the suite (fast); this module re-validates the
same candidate rows with GX and compares the two verdicts, file by file. Agreement means the
quarantine did exactly what the contract says; a disagreement is reported and blocks
publication. GX's cost is mostly per call, not per row, so the files of one ingest run are
validated together in one call per kind and the verdicts are split back per file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from assets.ingest.kinds import Kind
from data_contracts.sql import key_expectation, reason_code
from data_contracts.validate import validate_frame

MAX_EXAMPLES = 5


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
            code, _, rest = reason.partition(": ")
            named.add(f"{code} ({rest.split('=', 1)[0]})")
    return sorted(named)


def validate_batches(
    kind: Kind, parts: Sequence[tuple[pa.Table, dict[int, list[str]]]]
) -> list[tuple[str, dict[str, Any]]]:
    """Validate several files' candidate rows (``(frame, sql_verdict)`` each) in one GX call.

    Returns, per part, ``("passed" | "disagreed", detail)``: whether GX's failures (record
    number, reason) equal the SQL verdict's, GX's statistics, and a few examples where not.
    """
    if not parts:
        return []
    frames, owners = [], []
    offset = 0
    for index, (frame, _) in enumerate(parts):
        rows = pa.array(range(offset, offset + frame.num_rows), pa.int64())
        frames.append(frame.append_column(ROW_COLUMN, rows))
        owners.append((offset, offset + frame.num_rows, index))
        offset += frame.num_rows
    combined = pa.concat_tables(frames, promote_options="permissive")
    result = validate_frame(kind.suite, combined.to_pandas(), index_column=ROW_COLUMN)
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
    outcomes = []
    for (frame, verdict), found in zip(parts, failures, strict=True):
        by_gx, by_sql = _pairs(found, skip), _pairs(verdict, skip)
        agrees = by_gx == by_sql and not result.errors
        detail = {
            "suite": result.suite,
            "rows": frame.num_rows,
            "evaluated_expectations": result.evaluated_expectations,
            "failing_rows": len(found),
            "failed_expectations": _failed_expectations(found),
            "errors": result.errors,
            "agrees_with_quarantine": agrees,
            "only_in_gx": sorted(by_gx - by_sql)[:MAX_EXAMPLES],
            "only_in_sql": sorted(by_sql - by_gx)[:MAX_EXAMPLES],
        }
        outcomes.append(("passed" if agrees else "disagreed", detail))
    return outcomes


def validate_batch(
    kind: Kind, frame: pa.Table, verdict: dict[int, list[str]]
) -> tuple[str, dict[str, Any]]:
    """One file's candidate rows through GX (see :func:`validate_batches`)."""
    return validate_batches(kind, [(frame, verdict)])[0]
