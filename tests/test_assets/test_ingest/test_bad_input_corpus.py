"""The bad-input corpus: every file under ``tests/fixtures/bad_inputs`` through the real ingest.

Each case is a small hand-written file (binary where it has to be) and an entry in
``cases.yaml`` saying what the loader must make of it: the file's status, the reason codes of
each quarantined record, the keys that reach staging and the values that must survive as
written. Every case also reconciles: ``rows_read = rows_accepted + rows_rejected +
rows_duplicate``, the independent record count (when the reader has one) equals
``rows_read``, and the quarantine holds exactly ``rows_rejected`` rows of the file.

Cases run with default settings and the Great Expectations check of record, one warehouse
per case so that no case sees another's rows.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from assets.ingest.contract import validate_batches
from assets.ingest.loader import FileReport, ingest_paths
from assets.ingest.readers import EXTENSIONS
from assets.settings import Settings
from tests.test_assets.test_ingest.test_bad_inputs import codes, quarantined, stored_file

CORPUS = Path(__file__).parents[2] / "fixtures" / "bad_inputs"
MANIFEST = CORPUS / "cases.yaml"
#: the corpus is meant to be broad: at least this many distinct files
MIN_CASES = 60
STATUSES = frozenset({"loaded", "held", "failed", "empty"})
#: columns stored as JSON, compared as parsed values
JSON_COLUMNS = frozenset({"config", "dependencies", "extra"})
#: how a staged row is named in the manifest, per kind
STAGED_KEY = {
    "deployments": "deployment_id",
    "incidents": "incident_id",
    "inventory": "environment || '/' || service",
}


@dataclass(frozen=True)
class Case:
    """One corpus file and what the loader must make of it."""

    file: str
    exercises: str
    status: str
    read: int
    rejected: dict[int, list[str]] = field(default_factory=dict)
    duplicate: int = 0
    staged: list[str] = field(default_factory=list)
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None
    #: a known bug: why the case, which states the intended behaviour, fails today
    xfail: str | None = None

    @property
    def kind(self) -> str:
        return self.file.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.file.split("/", 1)[1]

    @property
    def fmt(self) -> str:
        """The format the file's extension names (``.tsv`` is CSV)."""
        return EXTENSIONS[Path(self.file).suffix.lower()]


def load_cases() -> list[Case]:
    """The manifest's cases, in its order."""
    entries = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return [
        Case(**{**entry, "rejected": {int(n): c for n, c in entry.get("rejected", {}).items()}})
        for entry in entries
    ]


CASES = load_cases()


def params(cases: list[Case]) -> list[Any]:
    """The cases as pytest parameters named by file; a known bug's case is a strict xfail."""
    return [
        pytest.param(
            case,
            id=case.file,
            marks=[pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else [],
        )
        for case in cases
    ]


def staged_rows(conn: duckdb.DuckDBPyConnection, kind: str) -> dict[str, dict[str, Any]]:
    """Every staged row of the kind by its manifest key, values as text (JSON parsed)."""
    cursor = conn.execute(f"SELECT {STAGED_KEY[kind]} AS case_key, * FROM staging.{kind}")
    names = [column[0] for column in cursor.description]
    rows = {}
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        rows[row.pop("case_key")] = {
            name: json.loads(value) if name in JSON_COLUMNS and value is not None else value
            for name, value in row.items()
        }
    return rows


def as_text(value: Any) -> Any:
    """A staged value as the manifest writes it: text, except JSON maps and nulls."""
    return value if value is None or isinstance(value, dict) else str(value)


def ingest_case(
    conn: duckdb.DuckDBPyConnection, case: Case, settings: Settings, tmp_path: Path
) -> tuple[Path, FileReport]:
    """Copy the case's file into the inbox folder of its kind and ingest it alone."""
    path = tmp_path / "inbox" / case.kind / case.name
    path.parent.mkdir(parents=True, exist_ok=True)
    # a plain copy: the file's time is now (helm and kubectl exports are dated by it)
    shutil.copyfile(CORPUS / case.file, path)
    (report,) = ingest_paths(conn, [path], settings, validator=validate_batches)
    return path, report


@pytest.mark.parametrize("case", params(CASES))
def test_corpus_case(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, tmp_path: Path, case: Case
) -> None:
    path, report = ingest_case(warehouse, case, settings, tmp_path)

    assert report.kind == case.kind
    assert report.status == case.status, report.error
    if case.error is not None:
        # an error names the file first (by its name, or by its path for a refused one)
        assert report.error is not None
        assert report.error.startswith((f"{case.name}: {case.error}", case.error)), report.error

    rejected = {number: codes(reasons) for number, _, reasons in quarantined(warehouse, path)}
    assert rejected == {number: sorted(found) for number, found in case.rejected.items()}

    rows = staged_rows(warehouse, case.kind)
    assert sorted(rows) == sorted(case.staged)
    for key, expected in case.fields.items():
        assert {name: as_text(rows[key][name]) for name in expected} == expected

    # reconciliation: every record is counted once, by the reader and independently
    stored = stored_file(warehouse, path)
    assert stored["status"] == case.status
    read, rejects = case.read, len(case.rejected)
    assert (
        stored["rows_read"],
        stored["rows_accepted"],
        stored["rows_rejected"],
        stored["rows_duplicate"],
    ) == (read, read - rejects - case.duplicate, rejects, case.duplicate)
    assert report.records_counted in (None, report.rows_read)
    assert report.reconciles()
    (counted,) = warehouse.execute(
        "SELECT records_counted FROM raw.ingested_files WHERE path = $path", {"path": str(path)}
    ).fetchone()
    assert counted in (None, stored["rows_read"])


#: whole-file errors that say what is wrong in prose, without a leading reason code
UNCODED_ERRORS: set[str] = set()
FAILED = [case for case in CASES if case.status == "failed" and not case.xfail]
#: a reason code: lower-case words joined by underscores
REASON_CODE = r"[a-z]+(?:_[a-z]+)*"


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            case,
            id=case.file,
            marks=[
                pytest.mark.xfail(
                    strict=True, reason="the error names the file but gives no reason code"
                )
            ]
            if case.file in UNCODED_ERRORS
            else [],
        )
        for case in FAILED
    ],
)
def test_failed_file_error_is_file_then_reason_code(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, tmp_path: Path, case: Case
) -> None:
    """A failed file's error reads ``<file name>: <reason_code>: <what>``."""
    _, report = ingest_case(warehouse, case, settings, tmp_path)

    assert report.error is not None
    assert re.fullmatch(rf"{re.escape(case.name)}: {REASON_CODE}: \S.*", report.error, re.DOTALL), (
        report.error
    )


def test_corpus_is_broad_and_every_file_has_a_case() -> None:
    files = sorted(
        str(path.relative_to(CORPUS))
        for path in CORPUS.glob("*/*")
        if path.suffix.lower() in EXTENSIONS
    )
    listed = [case.file for case in CASES]

    assert len(set(listed)) == len(listed), "a file is listed twice"
    assert sorted(listed) == files, "every corpus file has exactly one case"
    assert len(listed) >= MIN_CASES
    assert {case.file for case in FAILED} >= UNCODED_ERRORS
    covered = {(case.kind, case.fmt) for case in CASES}
    # the three logs in each of their four formats (the release calendar, ICS or YAML, has
    # its own bad-input tests beside its reader)
    logs = ("deployments", "incidents", "inventory")
    assert covered >= {(kind, fmt) for kind in logs for fmt in ("csv", "jsonl", "json", "yaml")}
    assert {case.status for case in CASES} == STATUSES
    for case in CASES:
        assert case.status in STATUSES, case.file
        assert (case.error is not None) == (case.status in {"failed", "empty"}), case.file
        assert case.exercises.strip(), case.file
