"""The same bytes twice change nothing; a re-sent id updates its row only when it changed."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import duckdb
import pytest

from assets.ingest import loader
from assets.ingest.loader import FileReport, file_sha256, ingest_file, ingest_paths
from assets.settings import Settings

HEADER = "deployment_id,service,environment,version,status,started_at"
D1_V1 = "d1,api,prod,1.0,succeeded,2024-03-04T10:00:00Z"
D1_V2 = "d1,api,prod,1.1,failed,2024-03-04T10:00:00Z"
D2 = "d2,web,prod,7.0,succeeded,2024-03-05T09:00:00Z"
D3 = "d3,web,staging,7.1,succeeded,2024-03-06T09:00:00Z"


def csv(*lines: str) -> str:
    return "\n".join([HEADER, *lines]) + "\n"


def load_one(conn: duckdb.DuckDBPyConnection, path: Path, settings: Settings) -> FileReport:
    (report,) = ingest_file(conn, path, settings)
    return report


def snapshot(conn: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    """Full contents of every table in raw, staging and quarantine, in a stable order."""
    tables = conn.execute(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables"
        " WHERE table_schema IN ('raw', 'staging', 'quarantine') ORDER BY 1"
    ).fetchall()
    return {
        name: conn.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall() for (name,) in tables
    }


def deployment(conn: duckdb.DuckDBPyConnection, deployment_id: str) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT version, status, source_file, loaded_at FROM staging.deployments"
        " WHERE deployment_id = $id",
        {"id": deployment_id},
    ).fetchall()


def test_same_folder_twice_changes_nothing(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    write_input("a_good.csv", csv(D1_V1, D2))
    # a bad row, an exact repeat and a conflicting repeat
    write_input(
        "b_mixed.csv",
        csv(
            D3,
            D3,
            "d4,api,prod,1.0,deployed,2024-03-06T10:00:00Z",
            "d3,web,staging,9.9,succeeded,2024-03-06T09:00:00Z",
        ),
    )
    write_input("c_lines.jsonl", '{"deployment_id": "d5"}\n[1]\n')
    write_input("d_empty.csv", b"")
    write_input("e_header.csv", HEADER + "\n")
    write_input(
        "i1.csv", "incident_id,service,opened_at\ni1,api,2024-03-04T11:00:00Z\n", "incidents"
    )
    inbox = settings.inbox_path

    first = ingest_paths(warehouse, [inbox], settings)
    before = snapshot(warehouse)
    second = ingest_paths(warehouse, [inbox], settings)

    assert [(Path(r.path).name, r.status) for r in first] == [
        ("a_good.csv", "loaded"),
        ("b_mixed.csv", "loaded"),
        ("c_lines.jsonl", "held"),  # both its records rejected: over max_reject_ratio
        ("d_empty.csv", "empty"),
        ("e_header.csv", "empty"),
        ("i1.csv", "loaded"),
    ]
    assert [(Path(r.path).name, r.status) for r in second] == [
        ("a_good.csv", "unchanged"),
        ("b_mixed.csv", "unchanged"),
        ("c_lines.jsonl", "held"),  # still held: sending it again does not lift the hold
        ("d_empty.csv", "unchanged"),
        ("e_header.csv", "unchanged"),
        ("i1.csv", "unchanged"),
    ]
    assert [r.file_sha256 for r in second] == [r.file_sha256 for r in first]
    assert all(r.rows_inserted == r.rows_updated == 0 for r in second)
    assert all(r.rows_read == 0 for r in second if r.status == "unchanged")
    assert snapshot(warehouse) == before
    # the snapshot is not trivially equal: the first run did write
    assert len(before["staging.deployments"]) == 3  # d1, d2, d3
    assert len(before["quarantine.rejected_rows"]) == 4  # d4, conflicting d3, d5, [1]
    assert len(before["raw.ingested_files"]) == 6
    assert len(before["staging.incidents"]) == 1


def test_same_bytes_under_another_name_are_unchanged(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    original = write_input("week10.csv", csv(D1_V1))
    copy = write_input("week10_copy.csv", csv(D1_V1))
    load_one(warehouse, original, settings)
    before = snapshot(warehouse)

    report = load_one(warehouse, copy, settings)

    assert report.status == "unchanged"
    assert snapshot(warehouse) == before
    assert deployment(warehouse, "d1")[0][2] == file_sha256(original.read_bytes())


def test_resent_id_with_new_content_updates_the_row(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    older = write_input("week10.csv", csv(D1_V1, D2))
    newer = write_input("week11.csv", csv(D1_V2))
    load_one(warehouse, older, settings)
    (d2_before,) = deployment(warehouse, "d2")

    report = load_one(warehouse, newer, settings)

    assert (report.rows_accepted, report.rows_inserted, report.rows_updated) == (1, 0, 1)
    ((version, status, source_file, _),) = deployment(warehouse, "d1")
    assert (version, status, source_file) == ("1.1", "failed", file_sha256(newer.read_bytes()))
    assert deployment(warehouse, "d2") == [d2_before]  # not in the newer file: untouched
    (count,) = warehouse.execute("SELECT count(*) FROM staging.deployments").fetchone()
    assert count == 2


def test_resent_identical_content_leaves_the_row_untouched(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    older = write_input("week10.csv", csv(D1_V1))
    # different bytes (another row added), same d1
    newer = write_input("week11.csv", csv(D1_V1, D3))
    load_one(warehouse, older, settings)
    (d1_before,) = deployment(warehouse, "d1")

    report = load_one(warehouse, newer, settings)

    assert (report.rows_accepted, report.rows_inserted, report.rows_updated) == (2, 1, 0)
    assert deployment(warehouse, "d1") == [d1_before]
    assert d1_before[2] == file_sha256(older.read_bytes())  # the original source_file is kept


def test_resent_id_with_only_whitespace_and_alias_differences_is_identical(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    older = write_input("week10.csv", csv(D1_V1))
    # the same deployment after normalisation: PRD -> prod, success -> succeeded, +00:00 = Z
    newer = write_input("week11.csv", csv(" d1 ,api,PRD,1.0,success,2024-03-04T10:00:00+00:00"))
    load_one(warehouse, older, settings)

    report = load_one(warehouse, newer, settings)

    assert (report.rows_inserted, report.rows_updated) == (0, 0)
    assert deployment(warehouse, "d1")[0][2] == file_sha256(older.read_bytes())


def test_newer_file_wins_and_replaying_the_older_one_does_not_roll_back(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    older = write_input("week10.csv", csv(D1_V1))
    newer = write_input("week11.csv", csv(D1_V2))
    load_one(warehouse, older, settings)
    load_one(warehouse, newer, settings)

    replay = load_one(warehouse, older, settings)

    assert replay.status == "unchanged"
    ((version, status, source_file, _),) = deployment(warehouse, "d1")
    assert (version, status, source_file) == ("1.1", "failed", file_sha256(newer.read_bytes()))


def test_rejected_update_keeps_the_earlier_row(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    older = write_input("week10.csv", csv(D1_V1))
    newer = write_input("week11.csv", csv("d1,api,prod,1.1,deployed,2024-03-04T10:00:00Z"))
    load_one(warehouse, older, settings)

    report = load_one(warehouse, newer, settings)

    assert (report.rows_rejected, report.rows_updated) == (1, 0)
    ((version, status, source_file, _),) = deployment(warehouse, "d1")
    assert (version, status, source_file) == ("1.0", "succeeded", file_sha256(older.read_bytes()))
    (reasons,) = warehouse.execute("SELECT reasons FROM quarantine.rejected_rows").fetchone()
    assert reasons == ["unknown_status: status='deployed' [expect_column_values_to_be_in_set]"]


def test_failed_file_is_retried_and_recorded_once(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    path = write_input("no_status.csv", "deployment_id,service\nd1,api\n")

    first = load_one(warehouse, path, settings)
    second = load_one(warehouse, path, settings)

    assert (first.status, second.status) == ("failed", "failed")
    rows = warehouse.execute(
        "SELECT status FROM raw.ingested_files WHERE file_sha256 = $sha",
        {"sha": file_sha256(path.read_bytes())},
    ).fetchall()
    assert rows == [("failed",)]


def test_incident_resent_with_new_content_updates_the_row(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    header = "incident_id,service,opened_at,resolved_at,severity\n"
    older = write_input("a.csv", header + "i1,api,2024-03-04T11:00:00Z,,sev2\n", "incidents")
    newer = write_input(
        "b.csv", header + "i1,api,2024-03-04T11:00:00Z,2024-03-04T12:00:00Z,SEV1\n", "incidents"
    )
    load_one(warehouse, older, settings)

    report = load_one(warehouse, newer, settings)

    assert (report.rows_inserted, report.rows_updated) == (0, 1)
    rows = warehouse.execute(
        "SELECT incident_id, resolved_at IS NOT NULL, severity, source_file FROM staging.incidents"
    ).fetchall()
    assert rows == [("i1", True, "sev1", file_sha256(newer.read_bytes()))]


def test_identical_record_resent_in_another_format_is_untouched(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    older = write_input("week10.csv", f"{HEADER},region,pipeline\n{D1_V1},eu,ci-7\n")
    record = dict(zip(HEADER.split(","), D1_V1.split(","), strict=True))
    newer = write_input(
        "week10.jsonl", json.dumps({**record, "region": "eu", "pipeline": "ci-7"}) + "\n"
    )
    load_one(warehouse, older, settings)

    report = load_one(warehouse, newer, settings)

    assert (report.rows_inserted, report.rows_updated) == (0, 0)
    assert deployment(warehouse, "d1")[0][2] == file_sha256(older.read_bytes())


def _stamp_of(conn: duckdb.DuckDBPyConnection, path: Path) -> tuple[Any, ...] | None:
    return conn.execute(
        "SELECT file_size, file_mtime_ns, file_ctime_ns FROM raw.ingested_files WHERE path = $path",
        {"path": str(path)},
    ).fetchone()


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files the loader reads in full to hash them, in order (the real reading runs)."""
    paths: list[Path] = []
    read = loader.hash_file
    monkeypatch.setattr(loader, "hash_file", lambda path: paths.append(path) or read(path))
    return paths


def test_an_unchanged_file_is_known_by_its_stamp_without_being_read(
    warehouse: duckdb.DuckDBPyConnection,
    settings: Settings,
    write_input,
    hashed: list[Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A file at the same path with the same size, modification and change times is the file
    that was read: it is not read again. An edit moves the change time, even where the
    modification time is put back, so the file is read again and its new content loads."""
    monkeypatch.setattr(loader, "SETTLED_NS", 0)  # no waiting for the file to settle
    path = write_input("weekly.csv", csv(D1_V1))
    assert load_one(warehouse, path, settings).status == "loaded"
    info = path.stat()
    assert _stamp_of(warehouse, path) == (info.st_size, info.st_mtime_ns, info.st_ctime_ns)

    assert load_one(warehouse, path, settings).status == "unchanged"
    assert hashed == [path]  # read once, when it loaded

    # other bytes of the same size, under the modification time it had
    path.write_text(csv(D1_V1.replace("succeeded", "cancelled")))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (info.st_size, info.st_mtime_ns)
    report = load_one(warehouse, path, settings)
    assert (report.status, report.rows_updated) == ("loaded", 1)
    assert hashed == [path, path]
    assert deployment(warehouse, "d1")[0][:2] == ("1.0", "cancelled")


def test_a_file_changed_a_moment_ago_keeps_no_stamp_until_found_unchanged(
    warehouse: duckdb.DuckDBPyConnection,
    settings: Settings,
    write_input,
    hashed: list[Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Written within the file system's clock tick of being read, it could change again
    without its times moving: no stamp is kept, so it is read in full next time. Once it has
    been left alone and is found unchanged by its bytes, its stamp is kept."""
    path = write_input("fresh.csv", csv(D2))
    assert load_one(warehouse, path, settings).status == "loaded"
    assert _stamp_of(warehouse, path) == (None, None, None)
    assert load_one(warehouse, path, settings).status == "unchanged"  # by its bytes
    assert hashed == [path, path]

    monkeypatch.setattr(loader, "SETTLED_NS", 0)  # as though two seconds had passed
    assert load_one(warehouse, path, settings).status == "unchanged"
    info = path.stat()
    assert _stamp_of(warehouse, path) == (info.st_size, info.st_mtime_ns, info.st_ctime_ns)
    assert load_one(warehouse, path, settings).status == "unchanged"
    assert hashed == [path, path, path]  # not read the fourth time
