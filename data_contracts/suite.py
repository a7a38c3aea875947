"""Loading expectation suites from the JSON files beside this module."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

SUITES_DIR = Path(__file__).with_name("suites")
KEY_EXPECTATIONS = {"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"}
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
#: GX's marker for a suite parameter: a kwarg ``{"$PARAMETER": "<name>"}`` whose value is given
#: when the suite runs (a bound that depends on the clock or on settings)
PARAMETER = "$PARAMETER"


def parameter_name(value: Any) -> str | None:
    """The suite parameter a kwarg value refers to, or None for a literal value."""
    if isinstance(value, dict) and set(value) == {PARAMETER}:
        return str(value[PARAMETER])
    return None


@dataclass(frozen=True)
class Expectation:
    """One expectation as stored: GX type name, its kwargs, and our reporting metadata.

    ``meta.reason`` is the short reason code written to quarantine, ``meta.field`` the input
    field it is about, and ``meta.show`` the column whose value is quoted in the reason.
    """

    type: str
    kwargs: dict[str, Any]
    meta: dict[str, Any]

    @property
    def reason(self) -> str:
        return str(self.meta.get("reason", self.type))

    @property
    def field(self) -> str:
        return str(self.meta.get("field") or self.kwargs.get("column") or "")

    @property
    def show(self) -> str:
        return str(self.meta.get("show") or self.kwargs.get("column") or self.field)

    @property
    def columns(self) -> list[str]:
        """Every frame column this expectation reads (for identifier checks)."""
        names = [self.kwargs.get(k) for k in ("column", "column_A", "column_B")]
        names += list(self.kwargs.get("column_list") or [])
        return [name for name in names if name]

    @property
    def is_key(self) -> bool:
        """Uniqueness expectations are enforced by de-duplication, not by a row predicate."""
        return self.type in KEY_EXPECTATIONS

    @property
    def parameters(self) -> set[str]:
        """The suite parameters this expectation's kwargs refer to."""
        return {name for value in self.kwargs.values() if (name := parameter_name(value))}

    def resolved_kwargs(self, parameters: Mapping[str, Any]) -> dict[str, Any]:
        """The kwargs with every suite parameter replaced by its value in ``parameters``."""
        missing = self.parameters - set(parameters)
        if missing:
            raise ValueError(
                f"expectation {self.type} ({self.field}) needs suite parameter(s)"
                f" {', '.join(sorted(missing))}"
            )
        return {
            key: parameters[name] if (name := parameter_name(value)) else value
            for key, value in self.kwargs.items()
        }


@dataclass(frozen=True)
class Suite:
    name: str
    expectations: tuple[Expectation, ...]
    notes: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def row_expectations(self) -> tuple[Expectation, ...]:
        return tuple(e for e in self.expectations if not e.is_key)

    @property
    def parameters(self) -> set[str]:
        """The suite parameters that must be given when the suite runs."""
        return {name for e in self.expectations for name in e.parameters}

    @property
    def key_columns(self) -> list[str]:
        """The columns that identify a record (from the suite's uniqueness expectation)."""
        for expectation in self.expectations:
            if expectation.is_key:
                return list(expectation.kwargs.get("column_list") or [expectation.kwargs["column"]])
        return []

    def to_gx_dict(self) -> dict[str, Any]:
        """The suite in GX's own serialised shape."""
        return {
            "name": self.name,
            "expectations": [
                {"type": e.type, "kwargs": e.kwargs, "meta": e.meta} for e in self.expectations
            ],
            "meta": self.meta,
            "notes": self.notes,
        }


def parse_suite(document: dict[str, Any]) -> Suite:
    """Build a :class:`Suite` from its JSON document, checking column names are identifiers."""
    expectations = []
    for number, item in enumerate(document.get("expectations", []), start=1):
        expectation = Expectation(
            type=item["type"], kwargs=dict(item.get("kwargs", {})), meta=dict(item.get("meta", {}))
        )
        for column in [*expectation.columns, expectation.show]:
            if not _IDENTIFIER.match(column):
                raise ValueError(
                    f"suite {document.get('name')!r} expectation {number}: "
                    f"column {column!r} is not a plain identifier"
                )
        expectations.append(expectation)
    return Suite(
        name=document["name"],
        expectations=tuple(expectations),
        notes=document.get("notes", ""),
        meta=dict(document.get("meta", {})),
    )


@cache
def load_suite(kind: str) -> Suite:
    """The suite for an input kind (``deployments``, ``incidents``, ``inventory``)."""
    path = SUITES_DIR / f"{kind}.json"
    if not path.exists():
        raise KeyError(f"no data contract for kind {kind!r} (looked for {path.name})")
    return parse_suite(json.loads(path.read_text(encoding="utf-8")))
