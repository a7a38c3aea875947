"""The contract check of record: Great Expectations on each file's batch.

Row-level quarantine runs as SQL derived from the suite (fast); this module re-validates the
same candidate rows with GX and compares the two verdicts. Agreement means the quarantine did
exactly what the contract says; a disagreement is reported and blocks publication.
"""

from __future__ import annotations

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


def validate_batch(
    kind: Kind, frame: pa.Table, verdict: dict[int, list[str]]
) -> tuple[str, dict[str, Any]]:
    """Run the kind's suite through GX on ``frame``; compare with the SQL ``verdict``.

    Returns ``("passed" | "disagreed", detail)``; ``detail`` carries GX's statistics and up to
    a few example rows where the verdicts differ.
    """
    result = validate_frame(kind.suite, frame.to_pandas(), index_column="record_number")
    key = key_expectation(kind.suite)
    # de-duplication removed conflicting keys from the frame, so GX sees them unique
    skip = {key.reason} if key else set()
    by_gx, by_sql = _pairs(result.failures, skip), _pairs(verdict, skip)
    agrees = by_gx == by_sql and not result.errors
    detail = {
        **result.summary(),
        "agrees_with_quarantine": agrees,
        "only_in_gx": sorted(by_gx - by_sql)[:MAX_EXAMPLES],
        "only_in_sql": sorted(by_sql - by_gx)[:MAX_EXAMPLES],
    }
    return ("passed" if agrees else "disagreed"), detail
