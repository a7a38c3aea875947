"""File states and the contract hold: held files count nowhere until forgotten or accepted.

A file whose contract breaks (here: more than ``max_reject_ratio`` of its rows rejected) is
``held``: its rejected rows are in quarantine, its good rows are in no staging table, and
every later ingest or run says so. Only ``forget`` (rows out, send it again) or ``accept``
(with a reason) ends the hold.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from assets.ingest.contract import validate_batches
from assets.ingest.file_states import FileNotKnown, accept_file, forget_file, held_files
from assets.ingest.loader import ingest_paths
from assets.settings import Settings

PEER_INVENTORIES = Path(__file__).parents[2] / "fixtures" / "peer_fixtures" / "inventories"
HEADER = "deployment_id,service,environment,version,status,started_at"
# one good row, two with a status outside the contract's set: 2 / 3 rejected > 0.5
BROKEN = (
    f"{HEADER}\n"
    "h1,api,prod,1.0,succeeded,2024-03-04T10:00:00Z\n"
    "h2,api,prod,1.1,exploded,2024-03-05T10:00:00Z\n"
    "h3,api,prod,1.2,exploded,2024-03-06T10:00:00Z\n"
)
GOOD = f"{HEADER}\ng1,web,prod,2.0,succeeded,2024-03-04T11:00:00Z\n"


def states(conn: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str | None]]:
    rows = conn.execute("SELECT path, status, error FROM raw.ingested_files").fetchall()
    return {Path(path).name: (status, error) for path, status, error in rows}


def staged_ids(conn: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in conn.execute("SELECT deployment_id FROM staging.deployments ORDER BY 1").fetchall()
    ]


def quarantined_numbers(conn: duckdb.DuckDBPyConnection) -> list[int]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT record_number FROM quarantine.rejected_rows ORDER BY 1"
        ).fetchall()
    ]


@pytest.fixture
def inbox(write_input) -> tuple[Path, Path]:
    return write_input("broken.csv", BROKEN), write_input("good.csv", GOOD)


@pytest.mark.parametrize("validator", [None, validate_batches], ids=["sql-only", "with-gx"])
def test_broken_file_is_held_and_its_rows_count_nowhere(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, inbox, validator
) -> None:
    broken, _ = inbox
    reports = ingest_paths(warehouse, [broken.parent], settings, validator=validator)

    assert [(Path(r.path).name, r.status) for r in reports] == [
        ("broken.csv", "held"),
        ("good.csv", "loaded"),
    ]
    held = reports[0]
    assert (held.rows_read, held.rows_accepted, held.rows_rejected) == (3, 1, 2)
    assert held.error.startswith("reject_ratio: 67% of its rows were rejected")
    # the good file loads; of the held file only the rejected rows are anywhere (quarantine)
    assert staged_ids(warehouse) == ["g1"]
    assert quarantined_numbers(warehouse) == [2, 3]
    assert states(warehouse)["broken.csv"][0] == "held"
    assert [Path(f.path).name for f in held_files(warehouse)] == ["broken.csv"]


def test_hold_persists_when_the_same_bytes_come_again(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, inbox
) -> None:
    broken, _ = inbox
    ingest_paths(warehouse, [broken], settings)
    for _ in range(2):
        (again,) = ingest_paths(warehouse, [broken], settings)
        assert again.status == "held"
        assert again.error.startswith("reject_ratio:")
    assert staged_ids(warehouse) == []
    assert states(warehouse)["broken.csv"][0] == "held"


def test_accept_lets_the_good_rows_count_and_records_who_why_when(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, inbox
) -> None:
    broken, _ = inbox
    ingest_paths(warehouse, [broken.parent], settings)

    (report,) = accept_file(warehouse, settings, str(broken), "statuses fixed upstream")

    assert report.status == "accepted"
    assert staged_ids(warehouse) == ["g1", "h1"]
    assert quarantined_numbers(warehouse) == [2, 3]  # rejected rows stay rejected
    status, reason, when = warehouse.execute(
        "SELECT status, accept_reason, accepted_at FROM raw.ingested_files WHERE path = $path",
        {"path": str(broken)},
    ).fetchone()
    assert (status, reason) == ("accepted", "statuses fixed upstream")
    assert when is not None
    assert held_files(warehouse) == []
    # accepted is final: the same bytes again change nothing
    (again,) = ingest_paths(warehouse, [broken], settings)
    assert again.status == "unchanged"


def test_accept_needs_the_unchanged_bytes_and_a_held_file(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, inbox
) -> None:
    broken, good = inbox
    ingest_paths(warehouse, [broken.parent], settings)
    with pytest.raises(FileNotKnown, match="no held file"):
        accept_file(warehouse, settings, str(good), "it is fine")
    broken.write_text(BROKEN + "h4,api,prod,1.3,succeeded,2024-03-07T10:00:00Z\n")
    with pytest.raises(FileNotKnown, match="gone or changed"):
        accept_file(warehouse, settings, str(broken), "it is fine")
    assert states(warehouse)["broken.csv"][0] == "held"


def test_forget_takes_rows_out_and_the_corrected_file_loads(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, inbox
) -> None:
    broken, good = inbox
    ingest_paths(warehouse, [broken.parent], settings)
    warehouse.execute("DELETE FROM raw.pending_weeks")

    forgotten = forget_file(warehouse, settings, str(good))

    assert [(f.kind, f.status) for f in forgotten] == [("deployments", "loaded")]
    assert staged_ids(warehouse) == []
    assert states(warehouse)["good.csv"][0] == "forgotten"
    # the week g1 was in (Monday 2024-03-04) is queued to be rebuilt without it
    weeks = warehouse.execute("SELECT DISTINCT CAST(week_start AS VARCHAR) FROM raw.pending_weeks")
    assert weeks.fetchall() == [("2024-03-04",)]
    # the same bytes may be sent again and load again
    (again,) = ingest_paths(warehouse, [good], settings)
    assert (again.status, staged_ids(warehouse)) == ("loaded", ["g1"])

    # a held file forgotten, corrected and sent again
    forget_file(warehouse, settings, "broken.csv")  # by file name
    assert quarantined_numbers(warehouse) == []
    broken.write_text(BROKEN.replace("exploded", "succeeded"))
    (fixed,) = ingest_paths(warehouse, [broken], settings)
    assert fixed.status == "loaded"
    assert staged_ids(warehouse) == ["g1", "h1", "h2", "h3"]
    assert held_files(warehouse) == []


def test_forget_of_an_unknown_file_names_it(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    with pytest.raises(FileNotKnown, match=r"nothing\.csv: no "):
        forget_file(warehouse, settings, "nothing.csv")


def test_same_bytes_with_other_read_options_are_refused_not_unchanged(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    helm = PEER_INVENTORIES / "helm_list__helm_testdata.json"
    snapshot = write_input("helm.json", helm.read_bytes(), kind="inventory")
    (first,) = ingest_paths(
        warehouse, [snapshot], settings, environment="staging", captured_at="2024-03-04T06:00:00Z"
    )
    assert first.status == "loaded"

    (other,) = ingest_paths(
        warehouse, [snapshot], settings, environment="prod", captured_at="2024-03-04T06:00:00Z"
    )

    assert other.status == "failed"
    assert "already_loaded" in other.error and "environment=prod" in other.error
    assert "release-health forget" in other.error
    stored = warehouse.execute(
        "SELECT status, read_options FROM raw.ingested_files WHERE path = $path",
        {"path": str(snapshot)},
    ).fetchall()
    assert [(status, json.loads(options)["environment"]) for status, options in stored] == [
        ("loaded", "staging")
    ]


def test_folder_ingested_again_without_kind_after_a_kind_flag(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, tmp_path: Path
) -> None:
    """A file loaded with --kind from a folder that names no kind: the folder again is fine."""
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "week.csv").write_text(GOOD)
    (first,) = ingest_paths(warehouse, [folder], settings, kind="deployments")
    (second,) = ingest_paths(warehouse, [folder], settings)
    assert (first.status, second.status) == ("loaded", "unchanged")


def test_a_disagreeing_check_holds_a_file_whose_rows_were_already_written(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input
) -> None:
    """The rows are written while GX runs, expecting it to agree; when it disagrees (here the
    quarantine's verdict handed to it has lost a rejection, as a quarantine bug would), that
    transaction is rolled back and the file is held with none of its rows counted. The suspect
    file is committed first, while the check is still running."""
    suspect = write_input(
        "1-suspect.csv",
        f"{HEADER}\n"
        "s1,api,prod,1.0,succeeded,2024-03-04T10:00:00Z\n"
        "s2,api,prod,1.1,exploded,2024-03-05T10:00:00Z\n"
        "s3,api,prod,1.2,succeeded,2024-03-06T10:00:00Z\n",
    )
    write_input("2-good.csv", GOOD)

    def quarantine_missed_one(kind, parts):
        # the suspect file's verdict without its rejection: GX still finds record 2
        return validate_batches(kind, [(p.frame, {}, p.parameters) for p in parts])

    reports = ingest_paths(warehouse, [suspect.parent], settings, validator=quarantine_missed_one)

    assert [(Path(r.path).name, r.status) for r in reports] == [
        ("1-suspect.csv", "held"),
        ("2-good.csv", "loaded"),
    ]
    held = reports[0]
    assert held.contract_status == "disagreed"
    assert held.error.startswith("contract_disagreed: the Great Expectations check")
    assert held.contract_detail["only_in_gx"] == [(2, "unknown_status")]
    # none of the held file's rows count; the good file of the same check loaded
    assert staged_ids(warehouse) == ["g1"]
    assert states(warehouse) == {
        "1-suspect.csv": ("held", held.error),
        "2-good.csv": ("loaded", None),
    }
    # one GX call for both files, its result stored once
    assert warehouse.execute("SELECT count(*) FROM raw.contract_validations").fetchone() == (1,)
