"""DuckDB predicates derived from an expectation suite.

Each row expectation becomes a boolean SQL expression that is true when a row passes; the
expressions are combined into one list-valued expression of reason strings per row. Values
(value sets, bounds, patterns, reason texts) are bound parameters; column names come from the
suite and are checked to be plain identifiers when the suite is loaded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from data_contracts.suite import Expectation, Suite

_NOT_NULL_CONDITION = re.compile(r"^([a-z_][a-z0-9_]*)\.notnull\(\)$")


@dataclass
class SqlReasons:
    """A SQL expression yielding ``VARCHAR[]`` reasons per row, and its bound parameters."""

    expression: str
    params: dict[str, Any] = field(default_factory=dict)


class _Params:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.values: dict[str, Any] = {}

    def bind(self, value: Any) -> str:
        name = f"{self.prefix}{len(self.values)}"
        self.values[name] = value
        return f"${name}"


def _column(name: str) -> str:
    return f'"{name}"'


def passes(
    expectation: Expectation, params: _Params, parameters: Mapping[str, Any] | None = None
) -> str:
    """The SQL condition under which a row satisfies one row-level expectation.

    Suite parameters (``{"$PARAMETER": name}`` kwargs) take their value from ``parameters`` and
    are bound like any other value, so the SQL and GX verdicts use the same bounds.
    """
    kw = expectation.resolved_kwargs(parameters or {})
    kind = expectation.type
    if kind == "expect_column_values_to_not_be_null":
        condition = f"{_column(kw['column'])} IS NOT NULL"
    elif kind == "expect_column_values_to_be_in_set":
        col = _column(kw["column"])
        condition = f"{col} IS NULL OR list_contains({params.bind(list(kw['value_set']))}, {col})"
    elif kind == "expect_column_values_to_be_between":
        col = _column(kw["column"])
        bounds = []
        if kw.get("min_value") is not None:
            op = ">" if kw.get("strict_min") else ">="
            bounds.append(f"{col} {op} {params.bind(kw['min_value'])}")
        if kw.get("max_value") is not None:
            op = "<" if kw.get("strict_max") else "<="
            bounds.append(f"{col} {op} {params.bind(kw['max_value'])}")
        condition = f"{col} IS NULL OR ({' AND '.join(bounds) or 'true'})"
    elif kind == "expect_column_values_to_match_regex":
        col = _column(kw["column"])
        condition = f"{col} IS NULL OR regexp_matches({col}, {params.bind(kw['regex'])})"
    elif kind == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = _column(kw["column_A"]), _column(kw["column_B"])
        op = ">=" if kw.get("or_equal") else ">"
        ignore = kw.get("ignore_row_if", "both_values_are_missing")
        missing = {
            "either_value_is_missing": f"{a} IS NULL OR {b} IS NULL",
            "both_values_are_missing": f"{a} IS NULL AND {b} IS NULL",
            "neither": "false",
        }[ignore]
        condition = f"{missing} OR coalesce({a} {op} {b}, false)"
    else:
        raise ValueError(f"suite expectation {kind!r} has no SQL form")
    row_condition = kw.get("row_condition")
    if row_condition:
        match = _NOT_NULL_CONDITION.match(str(row_condition).strip())
        if not match or kw.get("condition_parser") != "pandas":
            raise ValueError(f"row_condition {row_condition!r} has no SQL form")
        condition = f"{_column(match.group(1))} IS NULL OR ({condition})"
    return f"coalesce({condition}, false)"


def reason_text(expectation: Expectation, params: _Params) -> str:
    """SQL for the reason string: ``<reason>: <field>=<quoted value> [<expectation type>]``."""
    shown = _column(expectation.show)
    prefix = params.bind(f"{expectation.reason}: {expectation.field}=")
    suffix = params.bind(f" [{expectation.type}]")
    return f"{prefix} || coalesce('''' || CAST({shown} AS VARCHAR) || '''', 'null') || {suffix}"


def row_reasons(
    suite: Suite, prefix: str = "c", parameters: Mapping[str, Any] | None = None
) -> SqlReasons:
    """One SQL expression listing, per row, the reasons it breaks the suite (empty if none).

    ``parameters`` gives the value of each suite parameter the suite uses (see
    :attr:`data_contracts.suite.Suite.parameters`); a missing one is a ``ValueError``.
    """
    params = _Params(prefix)
    cases = [
        f"CASE WHEN NOT {passes(e, params, parameters)} THEN {reason_text(e, params)} END"
        for e in suite.row_expectations
    ]
    expression = f"list_filter([{', '.join(cases)}], r -> r IS NOT NULL)" if cases else "[]"
    return SqlReasons(expression=expression, params=params.values)


def format_reason(expectation: Expectation, value: Any) -> str:
    """The same reason string as the SQL form, built in Python (for the GX verdict)."""
    shown = "null" if value is None else f"'{value}'"
    return f"{expectation.reason}: {expectation.field}={shown} [{expectation.type}]"


def reason_parts(reason: str) -> tuple[str, str, str]:
    """The reason code, field and expectation type of a reason string (:func:`format_reason`)."""
    code, _, rest = reason.partition(": ")
    return code, rest.split("=", 1)[0], rest.rsplit(" [", 1)[-1].removesuffix("]")


def reason_code(reason: str) -> str:
    """The short code at the start of a reason string."""
    return reason.split(":", 1)[0]


def duplicate_state(suite: Suite, order_column: str = "record_number") -> str:
    """SQL for a per-row ``'duplicate' | 'conflict' | 'unique'`` label from the suite's key.

    An exact repeat (same key, same ``row_hash``) of an earlier row is a duplicate; a later row
    with the same key and different content conflicts with the first. Rows whose key is
    incomplete are left to the row expectations.
    """
    key = suite.key_columns
    if not key:
        return "'unique'"
    columns = ", ".join(_column(c) for c in key)
    incomplete = " OR ".join(f"{_column(c)} IS NULL" for c in key)
    return (
        f"CASE WHEN {incomplete} THEN 'unique' "
        f"WHEN row_number() OVER (PARTITION BY {columns}, row_hash ORDER BY {order_column}) > 1 "
        f"THEN 'duplicate' "
        f"WHEN row_hash <> first_value(row_hash) OVER (PARTITION BY {columns} "
        f"ORDER BY {order_column}) THEN 'conflict' ELSE 'unique' END"
    )


def key_expectation(suite: Suite) -> Expectation | None:
    """The suite's uniqueness expectation, if it has one."""
    return next((e for e in suite.expectations if e.is_key), None)
