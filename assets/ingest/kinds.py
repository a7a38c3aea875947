"""The input kinds and their canonical fields (README: Inputs).

What a field must satisfy lives in the kind's data contract (``data_contracts/suites``); this
module only names the fields, so readers know which columns are canonical and which are
extra, and which are required (read from the suite, so the two cannot disagree).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from data_contracts import Suite, load_suite


@dataclass(frozen=True)
class Kind:
    name: str
    fields: tuple[str, ...]
    #: the column that dates a record (freshness, and the week it belongs to)
    event_column: str
    #: fields that hold maps (inventory ``config`` and ``dependencies``): flat CSV columns
    #: ``<prefix><key>`` are gathered into them
    map_fields: tuple[tuple[str, str], ...] = ()
    #: the staging table's name where it differs from the kind's
    table_name: str = ""

    @property
    def table(self) -> str:
        """The staging table this kind's records land in (schema-qualified)."""
        return f"staging.{self.table_name or self.name}"

    @cached_property
    def suite(self) -> Suite:
        return load_suite(self.name)

    @cached_property
    def required(self) -> tuple[str, ...]:
        """Fields whose absence rejects a row (the suite's missing-field expectations)."""
        return tuple(
            e.field
            for e in self.suite.expectations
            if e.reason == "missing_required_field" and e.field in self.fields
        )


DEPLOYMENTS = Kind(
    name="deployments",
    event_column="started_at",
    fields=(
        "deployment_id",
        "service",
        "environment",
        "version",
        "status",
        "started_at",
        "finished_at",
        "team",
        "change_count",
        "first_commit_at",
        "commit_sha",
        "change_type",
        "triggered_by",
    ),
)
INCIDENTS = Kind(
    name="incidents",
    event_column="opened_at",
    fields=(
        "incident_id",
        "service",
        "opened_at",
        "resolved_at",
        "severity",
        "environment",
        "deployment_id",
    ),
)
INVENTORY = Kind(
    name="inventory",
    event_column="captured_at",
    fields=(
        "captured_at",
        "environment",
        "service",
        "version",
        "image",
        "config_hash",
        "config",
        "dependencies",
    ),
    map_fields=(("config", "config."), ("dependencies", "dep.")),
)
CALENDAR = Kind(
    name="calendar",
    event_column="starts_at",
    table_name="calendar_events",
    fields=(
        "event_id",
        "kind",
        "summary",
        "categories",
        "starts_at",
        "ends_at",
        "services",
        "versions",
    ),
)
KINDS = {kind.name: kind for kind in (DEPLOYMENTS, INCIDENTS, INVENTORY, CALENDAR)}

#: Deployment status aliases (README: Deployment log); fixed vocabulary, not configuration.
STATUS_ALIASES = {
    "success": "succeeded",
    "successful": "succeeded",
    "succeed": "succeeded",
    "ok": "succeeded",
    "done": "succeeded",
    "failure": "failed",
    "fail": "failed",
    "error": "failed",
    "errored": "failed",
    "rollback": "rolled_back",
    "rolledback": "rolled_back",
    "rolled-back": "rolled_back",
    "aborted": "cancelled",
    "canceled": "cancelled",
    "cancel": "cancelled",
}


def kind_named(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown kind {name!r}; expected one of {', '.join(KINDS)}") from None
