"""The mart tables' specs: one YAML file per ``marts.*`` table, beside this module.

A spec holds the table's grain, its description, and each column's name, SQL type, NOT NULL
and one-line doc. It is the one place a mart is described: the warehouse creates the table
from it (:meth:`MartSpec.create_statement`), the table's asset takes its description and
column metadata from it, and ``make docs`` writes the README's entry for it
(``assets/marts/readme.py``). The SQL that fills a mart lives beside its domain's assets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

SPEC_DIR = Path(__file__).parent
SCHEMA = "marts"
#: every mart, in the order the README lists them (by domain)
MART_TABLES = (
    "delivery_weekly",
    "delivery_summary",
    "release_windows",
    "batch_risk",
    "cadence",
    "benchmark_tiers",
    "environment_matrix",
    "drift",
    "promotion_lag",
    "freeze_violations",
    "release_plan",
)
#: the column types a spec may use, spelled as DuckDB reports them in information_schema
SQL_TYPES = frozenset(
    {"BOOLEAN", "INTEGER", "BIGINT", "DOUBLE", "VARCHAR", "DATE", "TIMESTAMP WITH TIME ZONE"}
)
_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")
_SPEC_KEYS = ("grain", "description", "columns")
_COLUMN_KEYS = ("name", "type", "not_null", "doc")


class SpecError(ValueError):
    """A spec file is not a valid mart spec; the message names the file and the fault."""


@dataclass(frozen=True)
class Column:
    """One column of a mart: its name, SQL type, whether it is NOT NULL, and what it holds."""

    name: str
    type: str
    not_null: bool
    doc: str

    @property
    def definition(self) -> str:
        """The column as it is written in ``CREATE TABLE``."""
        return f"{self.name} {self.type}" + (" NOT NULL" if self.not_null else "")


@dataclass(frozen=True)
class MartSpec:
    """One mart table: its name, grain (what one row is), description and columns."""

    table: str
    grain: str
    description: str
    columns: tuple[Column, ...]

    @property
    def qualified_name(self) -> str:
        return f"{SCHEMA}.{self.table}"

    @property
    def asset_description(self) -> str:
        """The description of the asset that writes the table."""
        return f"{self.description}\n\nOne row per {self.grain}."

    def create_statement(self) -> str:
        """``CREATE TABLE IF NOT EXISTS`` for the table, idempotent like the rest of setup."""
        body = ",\n".join(f"    {column.definition}" for column in self.columns)
        return f"CREATE TABLE IF NOT EXISTS {self.qualified_name} (\n{body}\n)"


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip() or "\n" in value.strip():
        raise SpecError(f"{where}: expected one line of text")
    return value.strip()


def _keys(entry: Any, expected: tuple[str, ...], where: str) -> dict[str, Any]:
    if not isinstance(entry, dict) or set(entry) != set(expected):
        found = sorted(entry) if isinstance(entry, dict) else type(entry).__name__
        raise SpecError(f"{where}: expected the keys {', '.join(expected)}, found {found}")
    return entry


def _column(entry: Any, where: str) -> Column:
    entry = _keys(entry, _COLUMN_KEYS, where)
    name = _text(entry["name"], f"{where}.name")
    if not _IDENTIFIER.fullmatch(name):
        raise SpecError(f"{where}.name: {name!r} is not a lower-case SQL identifier")
    if entry["type"] not in SQL_TYPES:
        raise SpecError(f"{where}.type: {entry['type']!r} is not one of {sorted(SQL_TYPES)}")
    if not isinstance(entry["not_null"], bool):
        raise SpecError(f"{where}.not_null: expected true or false")
    return Column(name, entry["type"], entry["not_null"], _text(entry["doc"], f"{where}.doc"))


def parse_spec(table: str, document: Any, where: str) -> MartSpec:
    """The spec of ``marts.<table>`` from its parsed YAML document (``where`` names it)."""
    document = _keys(document, _SPEC_KEYS, where)
    entries = document["columns"]
    if not isinstance(entries, list) or not entries:
        raise SpecError(f"{where}.columns: expected a list of columns")
    columns = tuple(_column(entry, f"{where}.columns[{i}]") for i, entry in enumerate(entries))
    names = [column.name for column in columns]
    if len(set(names)) != len(names):
        raise SpecError(f"{where}.columns: a column name appears twice")
    return MartSpec(
        table,
        _text(document["grain"], f"{where}.grain"),
        _text(document["description"], f"{where}.description"),
        columns,
    )


@cache
def mart_specs() -> tuple[MartSpec, ...]:
    """Every mart's spec, in :data:`MART_TABLES` order; the folder holds exactly those."""
    found = sorted(path.stem for path in SPEC_DIR.glob("*.yaml"))
    if found != sorted(MART_TABLES):
        raise SpecError(f"{SPEC_DIR}: spec files {found} do not match the marts {MART_TABLES}")
    specs = []
    for table in MART_TABLES:
        path = SPEC_DIR / f"{table}.yaml"
        specs.append(parse_spec(table, yaml.safe_load(path.read_text(encoding="utf-8")), path.name))
    return tuple(specs)


def mart_spec(table: str) -> MartSpec:
    """The spec of ``marts.<table>``."""
    for spec in mart_specs():
        if spec.table == table:
            return spec
    raise KeyError(f"no spec for marts.{table}")
