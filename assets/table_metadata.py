"""Table metadata for the assets that write tables (``dagster/column_schema``, ...).

A mart's metadata comes from its spec (``assets/marts/``), which the warehouse creates the
table from. For the other tables the columns and their types come from the warehouse itself,
so the metadata can never list a column the table does not have; a column's description comes
from its ``-- comment`` in ``assets/sql/schema.sql``, where those tables are declared.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import dagster as dg
import duckdb

from assets.marts import MartSpec, mart_spec
from assets.warehouse import SQL_DIR

_TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+)\.(\w+)\s*\(", re.IGNORECASE)
_COMMENTED_COLUMN = re.compile(r"^\s*(\w+)\s+[^-]*--\s*(.+?)\s*$")


@cache
def column_comments() -> dict[tuple[str, str], dict[str, str]]:
    """(schema, table) -> column -> the comment written beside it in ``schema.sql``."""
    comments: dict[tuple[str, str], dict[str, str]] = {}
    table: tuple[str, str] | None = None
    for line in (SQL_DIR / "schema.sql").read_text(encoding="utf-8").splitlines():
        if match := _TABLE.search(line):
            table = (match.group(1), match.group(2))
            comments.setdefault(table, {})
        elif line.strip().startswith(")"):
            table = None
        elif table and (column := _COMMENTED_COLUMN.match(line)):
            comments[table][column.group(1)] = column.group(2)
    return comments


def table_schema(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> dg.TableSchema:
    """The table's columns as the warehouse has them, with their ``schema.sql`` comments."""
    rows = conn.execute(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns"
        " WHERE table_catalog = current_database() AND table_schema = $schema"
        " AND table_name = $table ORDER BY ordinal_position",
        {"schema": schema, "table": table},
    ).fetchall()
    described = column_comments().get((schema, table), {})
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=name,
                type=data_type,
                description=described.get(name),
                constraints=dg.TableColumnConstraints(nullable=nullable == "YES"),
            )
            for name, data_type, nullable in rows
        ]
    )


def column_schema_metadata(
    conn: duckdb.DuckDBPyConnection, schema: str, table: str
) -> dict[str, dg.TableSchema]:
    """``{"dagster/column_schema": ...}`` for a materialisation's metadata."""
    return {"dagster/column_schema": table_schema(conn, schema, table)}


def spec_schema(spec: MartSpec) -> dg.TableSchema:
    """A mart's columns as its spec declares them: name, SQL type, doc and nullability."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=column.name,
                type=column.type,
                description=column.doc,
                constraints=dg.TableColumnConstraints(nullable=not column.not_null),
            )
            for column in spec.columns
        ]
    )


def mart_metadata(table: str) -> dict[str, Any]:
    """``dagster/table_name`` and ``dagster/column_schema`` of ``marts.<table>``, from its
    spec: for the asset's definition and for each materialisation."""
    spec = mart_spec(table)
    return {"dagster/table_name": spec.qualified_name, "dagster/column_schema": spec_schema(spec)}
