"""Great Expectations' Data Docs: one page per check of record, an index, links from the week."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from assets.ingest.contract import validate_batches
from assets.ingest.loader import ingest_paths
from assets.reporting.build import build_weekly_report
from assets.reporting.data_docs import publish_validations
from assets.settings import Settings
from reports.publish import publish_weekly
from tests.conftest import build_marts

HEADER = "deployment_id,service,environment,version,status,started_at"
HOSTILE = "<script>alert(1)</script>"


def _ingest(conn: duckdb.DuckDBPyConnection, settings: Settings, write_input) -> list[Path]:
    good = write_input("good.csv", f"{HEADER}\nd1,api,prod,1.0,succeeded,2024-03-05T10:00:00Z\n")
    mixed = write_input(
        "mixed.csv",
        f"{HEADER}\n"
        "d2,api,prod,1.1,succeeded,2024-03-06T10:00:00Z\n"
        "d3,api,prod,1.2,succeeded,2024-03-06T11:00:00Z\n"
        f"d4,api,prod,1.3,{HOSTILE},2024-03-06T12:00:00Z\n",
    )
    ingest_paths(conn, [good, mixed], settings, validator=validate_batches)
    return [good, mixed]


def test_each_check_gets_gx_page_and_the_index_lists_its_files(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input, tmp_path: Path
) -> None:
    good, mixed = _ingest(warehouse, settings, write_input)
    reports = tmp_path / "reports"

    index = publish_validations(warehouse, reports)

    # both files went through one GX call: one validation, named in both files' details
    ids = warehouse.execute(
        "SELECT DISTINCT contract_detail->>'validation_id' FROM raw.ingested_files"
    ).fetchall()
    assert len(ids) == 1
    (validation_id,) = ids[0]
    (stored,) = warehouse.execute(
        "SELECT count(*) FROM raw.contract_validations WHERE validation_id = $id",
        {"id": validation_id},
    ).fetchone()
    assert stored == 1
    page = reports / "data-docs" / "validations" / f"{validation_id}.html"
    text = page.read_text(encoding="utf-8")
    # GX's own validation page: its suite, its statistics, the failing value, escaped
    assert "deployments" in text and "Evaluated Expectations" in text
    assert HOSTILE not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert index == reports.resolve() / "data-docs" / "index.html"
    listing = index.read_text(encoding="utf-8")
    assert f'href="validations/{validation_id}.html"' in listing
    assert str(good) in listing and str(mixed) in listing
    assert "rows rejected" in listing  # one row broke the suite


def test_a_page_is_rendered_once_and_the_index_keeps_every_check(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input, tmp_path: Path
) -> None:
    _ingest(warehouse, settings, write_input)
    reports = tmp_path / "reports"
    publish_validations(warehouse, reports)
    (first,) = (reports / "data-docs" / "validations").iterdir()
    first.write_text("kept", encoding="utf-8")  # a validation never changes: not rendered again
    later = write_input("later.csv", f"{HEADER}\nd9,api,prod,2.0,succeeded,2024-03-07T10:00:00Z\n")
    ingest_paths(warehouse, [later], settings, validator=validate_batches)

    publish_validations(warehouse, reports)

    pages = sorted((reports / "data-docs" / "validations").iterdir())
    assert len(pages) == 2
    assert first.read_text(encoding="utf-8") == "kept"
    listing = (reports / "data-docs" / "index.html").read_text(encoding="utf-8")
    assert all(f"validations/{p.name}" in listing for p in pages)


def test_no_check_no_data_docs(warehouse: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    assert publish_validations(warehouse, tmp_path / "reports") is None
    assert not (tmp_path / "reports").exists()


def test_the_week_links_each_checked_file_to_its_page(
    warehouse: duckdb.DuckDBPyConnection, settings: Settings, write_input, tmp_path: Path
) -> None:
    _ingest(warehouse, settings, write_input)
    build_marts(warehouse, settings)
    (validation_id,) = warehouse.execute(
        "SELECT any_value(contract_detail->>'validation_id') FROM raw.ingested_files"
    ).fetchone()

    report = build_weekly_report(warehouse, settings, dt.date(2024, 3, 4))
    page = publish_weekly(report, tmp_path / "reports").path.read_text(encoding="utf-8")

    assert page.count(f'href="../data-docs/validations/{validation_id}.html"') == 2
    assert 'href="../data-docs/index.html"' in page
