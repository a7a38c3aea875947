"""The mart specs: the warehouse's mart tables are exactly what they declare."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml

from assets.marts import MART_TABLES, SPEC_DIR, SpecError, mart_spec, mart_specs, parse_spec
from assets.warehouse import connect
from tests.conftest import mart_columns, spec_columns


def test_a_fresh_warehouse_has_every_mart_as_its_spec_declares(tmp_path: Path) -> None:
    with connect(tmp_path / "warehouse.duckdb") as conn:
        tables = mart_columns(conn)
    assert tables == spec_columns()
    assert sorted(tables) == sorted(MART_TABLES)


def test_setting_up_again_keeps_the_marts_and_their_rows(tmp_path: Path) -> None:
    with connect(tmp_path / "warehouse.duckdb") as conn:
        conn.execute("INSERT INTO marts.batch_risk VALUES (DATE '2024-01-01', '1', 3, 1, 1 / 3)")
    with connect(tmp_path / "warehouse.duckdb") as conn:
        rows = conn.execute("SELECT bucket, deployments FROM marts.batch_risk").fetchall()
        assert mart_columns(conn) == spec_columns()
    assert rows == [("1", 3)]


def test_every_spec_file_is_loaded_in_readme_order() -> None:
    assert [spec.table for spec in mart_specs()] == list(MART_TABLES)
    assert sorted(path.stem for path in SPEC_DIR.glob("*.yaml")) == sorted(MART_TABLES)
    assert mart_spec("drift").qualified_name == "marts.drift"
    with pytest.raises(KeyError):
        mart_spec("deployments")


def _document(table: str) -> dict[str, Any]:
    return yaml.safe_load((SPEC_DIR / f"{table}.yaml").read_text(encoding="utf-8"))


def _unknown_key(document: dict[str, Any]) -> None:
    document["owner"] = "someone"


def _bad_type(document: dict[str, Any]) -> None:
    document["columns"][0]["type"] = "TIMESTAMP"


def _same_name_twice(document: dict[str, Any]) -> None:
    document["columns"].append(copy.deepcopy(document["columns"][0]))


def _not_a_flag(document: dict[str, Any]) -> None:
    document["columns"][1]["not_null"] = "yes"


def _name_not_an_identifier(document: dict[str, Any]) -> None:
    document["columns"][2]["name"] = "week start; DROP TABLE x"


def _no_doc(document: dict[str, Any]) -> None:
    del document["columns"][3]["doc"]


def _empty_columns(document: dict[str, Any]) -> None:
    document["columns"] = []


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (_unknown_key, "cadence.yaml: expected the keys grain, description, columns"),
        (_bad_type, "cadence.yaml.columns[0].type: 'TIMESTAMP' is not one of"),
        (_same_name_twice, "cadence.yaml.columns: a column name appears twice"),
        (_not_a_flag, "cadence.yaml.columns[1].not_null: expected true or false"),
        (_name_not_an_identifier, "is not a lower-case SQL identifier"),
        (_no_doc, "cadence.yaml.columns[3]: expected the keys name, type, not_null, doc"),
        (_empty_columns, "cadence.yaml.columns: expected a list of columns"),
    ],
)
def test_a_broken_spec_is_refused_with_its_fault(spoil, message: str) -> None:
    document = _document("cadence")
    assert parse_spec("cadence", document, "cadence.yaml") == mart_spec("cadence")
    spoil(document)
    with pytest.raises(SpecError, match=re.escape(message)):
        parse_spec("cadence", document, "cadence.yaml")


def test_each_mart_asset_takes_its_description_and_columns_from_its_spec(make_settings, tmp_path):
    from pipelines.definitions import build_definitions

    settings = make_settings(warehouse=str(tmp_path / "warehouse.duckdb"))
    graph = build_definitions(settings).resolve_asset_graph()
    for spec in mart_specs():
        node = graph.get(dg.AssetKey(["marts", spec.table]))
        assert node.description == spec.asset_description
        assert node.metadata["dagster/table_name"] == spec.qualified_name
        columns = node.metadata["dagster/column_schema"].columns
        assert [(c.name, c.type, not c.constraints.nullable) for c in columns] == [
            (c.name, c.type, c.not_null) for c in spec.columns
        ]
        assert [c.description for c in columns] == [c.doc for c in spec.columns]
