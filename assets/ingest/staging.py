"""Staging one batch: judge its rows against the contract, then quarantine and upsert them.

``stage_batch`` reads a batch into temp tables and judges it (nothing persistent changes);
``write_batch`` then writes quarantine and staging inside the file's transaction. The temp
tables: ``raw_batch`` and ``parse_rejects`` (from the batch) and ``judged`` (typed
candidates, their reasons, their duplicate state); the rows bound for staging are read from
``judged`` as they are written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pyarrow as pa

from assets.ingest.batches import RecordBatch, UnreadableFile
from assets.ingest.file_report import FileReport
from assets.ingest.kinds import STATUS_ALIASES
from assets.settings import Settings
from assets.warehouse import bound, read_sql, sql_file
from data_contracts.sql import duplicate_state, key_expectation, row_reasons

STAGE_TABLES = ("raw_batch", "parse_rejects", "judged")


def _alias_params(settings: Settings) -> dict[str, Any]:
    def pair(name: str, mapping: dict[str, str]) -> dict[str, Any]:
        keys = list(mapping)
        return {f"{name}_keys": keys, f"{name}_values": [mapping[k] for k in keys]}

    environment_aliases = {k.lower(): v for k, v in settings.environments.aliases.items()}
    return {
        **pair("service_alias", settings.services.aliases),
        **pair("environment_alias", environment_aliases),
        **pair("status_alias", STATUS_ALIASES),
        **pair("team", settings.services.teams),
        "source_timezone": settings.source_timezone,
        "production_environment": settings.environments.production,
        "freeze_categories": settings.calendar.freeze_categories,
        "release_categories": settings.calendar.release_categories,
    }


def _columns_of(conn: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    """Column names of a table we own (the name is ours, never from input)."""
    return [column[0] for column in conn.execute(f"SELECT * FROM {relation} LIMIT 0").description]


def _judge(
    conn: duckdb.DuckDBPyConnection,
    batch: RecordBatch,
    settings: Settings,
    parameters: dict[str, Any],
) -> None:
    """Build temp table ``judged``: typed candidates, their reasons and duplicate state."""
    kind = batch.kind
    reasons = row_reasons(kind.suite, parameters=parameters)
    candidates = read_sql(sql_file(__file__, kind.name))
    query = (
        f"CREATE OR REPLACE TEMP TABLE judged AS SELECT *, {reasons.expression} AS reasons,"
        f" 'unique' AS dedupe FROM ({candidates})"
    )
    params = {**_alias_params(settings), **reasons.params}
    conn.execute(query, bound(query, params))
    key = key_expectation(kind.suite)
    if key is None:
        return
    # only records whose key repeats within the file need ordering: usually there are none
    columns = ", ".join(f'"{c}"' for c in kind.suite.key_columns)
    conn.execute(
        f"UPDATE judged SET dedupe = repeated.state FROM ("
        f" SELECT record_number, {duplicate_state(kind.suite)} AS state FROM judged"
        f" JOIN (SELECT {columns} FROM judged GROUP BY ALL HAVING count(*) > 1) USING ({columns})"
        f") repeated WHERE judged.record_number = repeated.record_number"
    )
    shown = key.field if key.field in kind.fields else kind.suite.key_columns[0]
    conn.execute(
        "UPDATE judged SET reasons = list_append(reasons, $prefix"
        f" || coalesce('''' || CAST(\"{shown}\" AS VARCHAR) || '''', 'null') || $suffix)"
        " WHERE dedupe = 'conflict'",
        {
            "prefix": f"{key.reason}: {key.field}=",
            "suffix": f" [{key.type}] (differs from an earlier record with the same key)",
        },
    )


def _quarantine(
    conn: duckdb.DuckDBPyConnection, batch: RecordBatch, report: FileReport, now: dt.datetime
) -> None:
    where = {"sha": report.file_sha256, "path": report.path, "kind": report.kind, "now": now}
    conn.execute(
        "INSERT INTO quarantine.rejected_rows"
        f" SELECT $sha, $path, $kind, j.record_number, {batch.record_sql}, j.reasons, $now"
        " FROM judged j JOIN raw_batch r USING (record_number)"
        " WHERE j.dedupe <> 'duplicate' AND len(j.reasons) > 0 ORDER BY j.record_number",
        {**where, **batch.record_params},
    )
    conn.execute(
        "INSERT INTO quarantine.rejected_rows SELECT $sha, $path, $kind, record_number, record,"
        " reasons, $now FROM parse_rejects ORDER BY record_number",
        where,
    )


#: the judged rows bound for staging: neither duplicate nor rejected
ACCEPTED = "dedupe = 'unique' AND len(reasons) = 0"


def _accepted(conn: duckdb.DuckDBPyConnection, table: str) -> str:
    """The rows of the staged batch bound for ``table`` (a subquery of temp table ``judged``),
    with the table's columns."""
    judged = set(_columns_of(conn, "judged"))
    columns = ", ".join(f'"{c}"' for c in _columns_of(conn, table) if c in judged)
    return f"(SELECT {columns} FROM judged WHERE {ACCEPTED})"


def _same_key(key: list[str], left: str, right: str) -> str:
    """SQL: the rows ``left`` and ``right`` (aliases) have the same key."""
    return " AND ".join(f'{left}."{c}" = {right}."{c}"' for c in key)


def _upsert(
    conn: duckdb.DuckDBPyConnection,
    batch: RecordBatch,
    report: FileReport,
    settings: Settings,
    now: dt.datetime,
) -> None:
    """Insert new records, replace changed ones, leave identical ones; queue touched weeks."""
    kind = batch.kind
    table = kind.table
    key = kind.suite.key_columns
    event = kind.event_column
    accepted = _accepted(conn, table)
    # the kept records with an incoming key, and their hash and moment: one pass over the table
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE upsert_matched AS SELECT "
        + ", ".join(f'a."{c}"' for c in key)
        + f', a.row_hash, s.row_hash AS kept_hash, s."{event}" AS kept_event FROM {accepted} a'
        + f" JOIN {table} s ON {_same_key(key, 's', 'a')}"
    )
    matched, updated = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE kept_hash <> row_hash) FROM upsert_matched"
    ).fetchone()
    # new or changed records: every accepted one but those kept as they are
    fresh = f"FROM {accepted} a"
    if matched > updated:
        fresh += (
            " WHERE NOT EXISTS (SELECT 1 FROM upsert_matched m"
            f" WHERE {_same_key(key, 'm', 'a')} AND m.kept_hash = m.row_hash)"
        )
    if kind.name != "inventory":
        conn.execute(
            f'INSERT INTO raw.pending_weeks SELECT DISTINCT rh_week(a."{event}", $tz), $now {fresh}'
            " UNION SELECT DISTINCT rh_week(kept_event, $tz), $now FROM upsert_matched"
            " WHERE kept_hash <> row_hash",
            {"tz": settings.timezone, "now": now},
        )
    if updated:
        conn.execute(
            f"DELETE FROM {table} s USING upsert_matched m"
            f" WHERE {_same_key(key, 's', 'm')} AND m.kept_hash <> m.row_hash"
        )
    conn.execute(
        f"INSERT INTO {table} BY NAME SELECT a.*, $source AS source, $sha AS source_file,"
        f" $now AS loaded_at {fresh}",
        {"source": batch.source, "sha": report.file_sha256, "now": now},
    )
    conn.execute("DROP TABLE upsert_matched")
    report.rows_inserted = report.rows_accepted - int(matched)
    report.rows_updated = int(updated)


def _count(conn: duckdb.DuckDBPyConnection, batch: RecordBatch, report: FileReport) -> None:
    accepted, rejected, duplicate = conn.execute(
        f"SELECT count(*) FILTER (WHERE {ACCEPTED}),"
        " count(*) FILTER (WHERE dedupe <> 'duplicate' AND len(reasons) > 0),"
        " count(*) FILTER (WHERE dedupe = 'duplicate') FROM judged"
    ).fetchone()
    (unparsed,) = conn.execute("SELECT count(*) FROM parse_rejects").fetchone()
    report.rows_read = batch.records_read
    report.records_counted = batch.records_counted
    report.records_skipped = dict(batch.records_skipped)
    report.rows_accepted = int(accepted)
    report.rows_rejected = int(rejected) + int(unparsed)
    report.rows_duplicate = int(duplicate)
    codes = conn.execute(
        "SELECT split_part(r, ':', 1) AS code, count(*) FROM ("
        " SELECT reasons FROM judged WHERE dedupe <> 'duplicate'"
        " UNION ALL SELECT reasons FROM parse_rejects), unnest(reasons) AS u(r)"
        " GROUP BY code ORDER BY count(*) DESC, code"
    ).fetchall()
    report.reasons = {code: int(n) for code, n in codes}


def contract_frame(
    conn: duckdb.DuckDBPyConnection, sample_rows: int
) -> tuple[pa.Table, dict[int, list[str]], int]:
    """The rows GX validates, the SQL verdict on them, and the sampling stride.

    A file of up to ``sample_rows`` candidate rows (non-duplicates) is validated whole
    (stride 1). A larger one is validated on a deterministic sample: every record whose
    record number is divisible by the stride (about ``sample_rows`` of them), plus every row
    the SQL verdict rejected, so each rejection is still confirmed by GX.
    """
    (candidates,) = conn.execute("SELECT count(*) FROM judged WHERE dedupe = 'unique'").fetchone()
    stride = max(1, -(-candidates // sample_rows))
    frame = conn.execute(
        "SELECT * EXCLUDE (reasons, dedupe, row_hash, extra) FROM judged"
        " WHERE dedupe = 'unique' AND (record_number % $stride = 0 OR len(reasons) > 0)",
        {"stride": stride},
    ).to_arrow_table()
    verdict = {
        int(number): list(reasons)
        for number, reasons in conn.execute(
            "SELECT record_number, reasons FROM judged WHERE dedupe = 'unique' AND len(reasons) > 0"
        ).fetchall()
    }
    return frame, verdict, stride


def apply_reject_ratio(report: FileReport, settings: Settings) -> None:
    """The feed-level rule: more than ``max_reject_ratio`` of a file rejected fails it."""
    ratio = report.rows_rejected / report.rows_read if report.rows_read else 0.0
    if ratio > settings.contracts.max_reject_ratio:
        report.contract_status = "failed"
        report.contract_detail = {
            **(report.contract_detail or {}),
            "reject_ratio": round(ratio, 4),
            "max_reject_ratio": settings.contracts.max_reject_ratio,
        }


def stage_batch(
    conn: duckdb.DuckDBPyConnection,
    batch: RecordBatch,
    report: FileReport,
    settings: Settings,
    *,
    checked: bool,
    parameters: dict[str, Any],
) -> None:
    """Read and judge a batch into temp tables; nothing persistent changes here.

    ``checked``: the contract check of record will run on the batch (its status is
    ``pending`` until then). ``parameters``: the suite parameters to judge with
    (:func:`assets.ingest.contract.contract_parameters`).
    """
    batch.materialize(conn)
    _judge(conn, batch, settings, parameters)
    _count(conn, batch, report)
    if report.records_counted is not None and report.records_counted != report.rows_read:
        raise UnreadableFile(
            f"{report.path}: record_count_mismatch: the reader returned {report.rows_read}"
            f" record(s) but the file holds {report.records_counted}; nothing of it was loaded"
        )
    if not report.reconciles():
        raise AssertionError(
            f"{report.path}: rows_read {report.rows_read} != accepted {report.rows_accepted}"
            f" + rejected {report.rows_rejected} + duplicate {report.rows_duplicate}"
        )
    if report.rows_read == 0:
        report.status, report.error = "empty", "no records (header only or empty list)"
    report.contract_status = "pending" if checked and report.rows_read else "not_run"
    if report.contract_status == "not_run":  # else the check of record applies it
        apply_reject_ratio(report, settings)
    event = batch.kind.event_column
    report.first_event_at, report.last_event_at = conn.execute(
        f'SELECT min("{event}"), max("{event}") FROM judged WHERE {ACCEPTED}'
    ).fetchone()


def write_batch(
    conn: duckdb.DuckDBPyConnection,
    batch: RecordBatch,
    report: FileReport,
    settings: Settings,
    now: dt.datetime,
    *,
    rows_count: bool,
) -> None:
    """Quarantine a staged batch and, when its rows count (not held), upsert them.

    Runs inside the file's transaction, which also records the file's verdict.
    """
    _quarantine(conn, batch, report, now)
    if rows_count:
        _upsert(conn, batch, report, settings, now)


def park_stage(conn: duckdb.DuckDBPyConnection, tag: int) -> None:
    """Set a staged batch aside (its temp tables renamed) while others are staged."""
    for table in STAGE_TABLES:
        conn.execute(f"ALTER TABLE temp.{table} RENAME TO {table}_{int(tag)}")


def unpark_stage(conn: duckdb.DuckDBPyConnection, tag: int) -> None:
    """Bring a parked batch back under the names :func:`write_batch` reads."""
    drop_stage(conn)
    for table in STAGE_TABLES:
        conn.execute(f"ALTER TABLE temp.{table}_{int(tag)} RENAME TO {table}")


def drop_stage(conn: duckdb.DuckDBPyConnection, tag: int | None = None) -> None:
    suffix = "" if tag is None else f"_{int(tag)}"
    for table in STAGE_TABLES:
        conn.execute(f"DROP TABLE IF EXISTS temp.{table}{suffix}")
