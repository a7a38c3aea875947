"""Incident exports (PagerDuty, Opsgenie, Jira, GitLab) and ``json_map``, through a real ingest.

The fixtures in ``tests/fixtures/native`` are hand-written, shaped field for field like the
public API documentation, each with several pages, an open incident and fields this project
does not know:

* PagerDuty REST ``GET /incidents``: page ``{incidents, limit, offset, more, total}``; each
  incident ``id``, ``type: incident``, ``incident_number``, ``title``, ``status``
  (triggered/acknowledged/resolved), ``created_at``, ``last_status_change_at``,
  ``resolved_at``, ``urgency`` (high/low), ``priority`` (``{id, type, summary}`` or null),
  ``service`` (``{id, type: service_reference, summary}``), ``escalation_policy``, ``teams``,
  ``assignments``, ``alert_counts``. The web UI's incident CSV: ``id, incident_number,
  description, service_id, service_name, escalation_policy_id, escalation_policy_name,
  created_on, resolved_on, seconds_to_first_ack, seconds_to_resolve, auto_resolved, ...,
  urgency``.
* Opsgenie Incident API ``GET /v1/incidents``: ``{data, paging {next, first}, took,
  requestId}``; each incident ``id``, ``tinyId``, ``message``, ``status`` (open/resolved/
  closed), ``tags``, ``createdAt``, ``updatedAt``, ``priority`` (P1..P5), ``ownerTeam``,
  ``responders``, ``extraProperties``, ``links``, ``impactStartDate``, ``impactEndDate``,
  ``impactedServices`` (service ids).
* Jira issue search ``GET /rest/api/2/search``: ``{expand, startAt, maxResults, total,
  issues}``; each issue ``id``, ``key``, ``self``, ``fields`` with ``issuetype.name``,
  ``status.name``, ``priority.name``, ``created``, ``resolutiondate`` (offsets ``+0200``),
  ``components[].name``, ``labels``, ``environment``, custom fields ``customfield_<n>``.
* GitLab issues API ``GET /projects/:id/issues``: ``id``, ``iid``, ``project_id``, ``state``
  (opened/closed), ``created_at``, ``closed_at``, ``labels``, ``type: INCIDENT``,
  ``issue_type: incident``, ``severity`` (UNKNOWN/LOW/MEDIUM/HIGH/CRITICAL), ``web_url``,
  ``references.full``.

Expected values were computed by hand from the fixtures.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from assets.ingest.contract import validate_batches
from assets.ingest.loader import ingest_paths
from assets.settings import ConfigError, Settings, parse_settings
from assets.warehouse import connect
from tests.test_assets.test_ingest.test_bad_inputs import assert_counts, codes, stored_file

NATIVE = Path(__file__).resolve().parents[2] / "fixtures" / "native"
UTC = dt.UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(UTC)


def ingest(
    tmp_path: Path, names: list[str], settings: Settings | None = None, kind: str = "incidents"
) -> tuple[Any, list[Any], list[Path]]:
    """Copy fixtures into an inbox folder of ``kind`` and ingest them with the real contract."""
    folder = tmp_path / "inbox" / kind
    folder.mkdir(parents=True)
    paths = [Path(shutil.copy(NATIVE / name, folder / name)) for name in names]
    conn = connect(tmp_path / "w.duckdb")
    reports = ingest_paths(
        conn, paths, settings or parse_settings({}), kind=kind, validator=validate_batches
    )
    return conn, reports, paths


def incidents(conn: Any) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT incident_id, service, environment, severity, opened_at, resolved_at, source"
        " FROM staging.incidents ORDER BY incident_id"
    ).fetchall()


# -- PagerDuty --------------------------------------------------------------------------------

PAGERDUTY_REST = [
    ("1201", "checkout-api", "prod", "p1", at("2024-04-02T08:15:00Z"), at("2024-04-02T09:05:30Z")),
    ("1202", "payments", "prod", "low", at("2024-04-03T18:00:00Z"), at("2024-04-03T20:30:00Z")),
    ("1203", "search-api", "prod", "p3", at("2024-04-29T22:10:00Z"), None),
    ("1204", "checkout-api", "prod", "high", at("2024-04-30T06:00:00Z"), None),
]


def test_pagerduty_pages_one_file_each(tmp_path: Path) -> None:
    conn, _, paths = ingest(
        tmp_path, ["pagerduty_incidents_page1.json", "pagerduty_incidents_page2.json"]
    )
    assert incidents(conn) == [(*row, "pagerduty") for row in PAGERDUTY_REST]
    assert_counts(conn, paths[0], read=2, accepted=2, rejected=0)
    assert_counts(conn, paths[1], read=2, accepted=2, rejected=0)
    (extra,) = conn.execute(
        "SELECT extra FROM staging.incidents WHERE incident_id = '1203'"
    ).fetchone()
    assert json.loads(extra)["pagerduty"]["status"] == "acknowledged"


def test_pagerduty_slurped_pages_read_as_one_response(tmp_path: Path) -> None:
    conn, _, paths = ingest(tmp_path, ["pagerduty_incidents_slurped.json"])
    assert incidents(conn) == [(*row, "pagerduty") for row in PAGERDUTY_REST]
    assert_counts(conn, paths[0], read=4, accepted=4, rejected=0)


def test_pagerduty_service_names_go_through_aliases(tmp_path: Path) -> None:
    settings = parse_settings({"services": {"aliases": {"checkout-api": "checkout"}}})
    conn, _, _ = ingest(tmp_path, ["pagerduty_incidents_page2.json"], settings)
    assert [row[:2] for row in incidents(conn)] == [("1203", "search-api"), ("1204", "checkout")]


def test_pagerduty_csv_is_recognised_by_its_header(tmp_path: Path) -> None:
    conn, _, paths = ingest(tmp_path, ["pagerduty_incidents.csv"])
    assert incidents(conn) == [
        ("1201", "checkout-api", "prod", "high", *PAGERDUTY_REST[0][4:], "pagerduty"),
        ("1202", "payments", "prod", "low", *PAGERDUTY_REST[1][4:], "pagerduty"),
        ("1204", "checkout-api", "prod", "high", *PAGERDUTY_REST[3][4:], "pagerduty"),
    ]
    assert_counts(conn, paths[0], read=3, accepted=3, rejected=0)
    (extra,) = conn.execute(
        "SELECT extra FROM staging.incidents WHERE incident_id = '1202'"
    ).fetchone()
    assert json.loads(extra)["escalation_policy_name"] == "Platform on-call"
    assert json.loads(extra)["id"] == "PT4KHLL"


def test_pagerduty_csv_under_deployments_names_both_kinds(tmp_path: Path) -> None:
    conn, _, paths = ingest(tmp_path, ["pagerduty_incidents.csv"], kind="deployments")
    error = stored_file(conn, paths[0])["error"]
    assert stored_file(conn, paths[0])["status"] == "failed"
    assert "a PagerDuty incidents CSV holds incidents, not deployments" in error
    assert "--kind incidents" in error


# -- Opsgenie ---------------------------------------------------------------------------------


def test_opsgenie_pages_with_service_names_from_config(tmp_path: Path) -> None:
    settings = parse_settings(
        {
            "opsgenie": {"services": {"b8a4f2c6-svc-checkout": "checkout-api"}},
            "services": {"aliases": {"c9b5a3d7-svc-unmapped": "payments"}},
        }
    )
    conn, _, paths = ingest(
        tmp_path, ["opsgenie_incidents_page1.json", "opsgenie_incidents_page2.json"], settings
    )
    assert incidents(conn) == [
        (
            "31",
            "checkout-api",
            "prod",
            "p2",
            at("2024-04-05T09:52:00Z"),
            at("2024-04-05T11:40:00Z"),
            "opsgenie",
        ),
        (
            "32",
            "payments",
            "prod",
            "p4",
            at("2024-04-08T03:30:00Z"),
            at("2024-04-08T04:10:00Z"),
            "opsgenie",
        ),
        ("33", "checkout-api", "prod", "p1", at("2024-04-30T20:00:00Z"), None, "opsgenie"),
    ]
    assert_counts(conn, paths[0], read=2, accepted=2, rejected=0)
    (extra,) = conn.execute(
        "SELECT extra FROM staging.incidents WHERE incident_id = '32'"
    ).fetchone()
    assert json.loads(extra)["opsgenie"]["impacted_services"] == [
        "c9b5a3d7-svc-unmapped",
        "b8a4f2c6-svc-checkout",
    ]


# -- Jira -------------------------------------------------------------------------------------

JIRA_PAGES = ["jira_search_page1.json", "jira_search_page2.json"]


def test_jira_incident_issues_by_type_and_label(tmp_path: Path) -> None:
    settings = parse_settings({"jira": {"incident_labels": ["incident"]}})
    conn, _, paths = ingest(tmp_path, JIRA_PAGES, settings)
    assert incidents(conn) == [
        (
            "OPS-101",
            "checkout-api",
            "prod",
            "highest",
            at("2024-04-10T07:15:30Z"),
            at("2024-04-10T09:00:00Z"),
            "jira",
        ),
        (
            "OPS-103",
            "search-api",
            "prod",
            "high",
            at("2024-04-21T04:30:00Z"),
            at("2024-04-21T06:00:00Z"),
            "jira",
        ),
        ("OPS-104", "payments", "prod", "high", at("2024-04-29T08:00:00Z"), None, "jira"),
    ]
    # the Task on page 1 is no incident: one record read there
    assert_counts(conn, paths[0], read=1, accepted=1, rejected=0)
    assert_counts(conn, paths[1], read=2, accepted=2, rejected=0)


def test_jira_service_from_a_custom_field(tmp_path: Path) -> None:
    settings = parse_settings(
        {
            "jira": {"service_field": "customfield_10042", "incident_labels": ["incident"]},
            "contracts": {"max_reject_ratio": 1.0},
        }
    )
    conn, _, paths = ingest(tmp_path, JIRA_PAGES, settings)
    assert [row[:2] for row in incidents(conn)] == [
        ("OPS-101", "checkout"),
        ("OPS-104", "payments-core"),
    ]
    (record, reasons) = conn.execute(
        "SELECT record ->> 'incident_id', reasons FROM quarantine.rejected_rows"
    ).fetchone()
    assert (record, codes(reasons)) == ("OPS-103", ["missing_required_field"])
    assert_counts(conn, paths[1], read=2, accepted=1, rejected=1)


# -- GitLab incidents -------------------------------------------------------------------------


def test_gitlab_incidents_labels_and_severity(tmp_path: Path) -> None:
    conn, _, paths = ingest(tmp_path, ["gitlab_incidents_slurped.json"])
    assert incidents(conn) == [
        (
            "acme/shop/checkout-api#12",
            "payments",
            "prod",
            "critical",
            at("2024-04-12T07:00:00Z"),
            at("2024-04-12T08:30:00Z"),
            "gitlab_incidents",
        ),
        (
            "acme/shop/checkout-api#13",
            "checkout-api",
            "prod",
            "s2",
            at("2024-04-15T10:00:00Z"),
            at("2024-04-15T11:00:00Z"),
            "gitlab_incidents",
        ),
        (
            "acme/shop/checkout-api#14",
            "search-api",
            "prod",
            "s3",
            at("2024-04-28T18:00:00Z"),
            None,
            "gitlab_incidents",
        ),
    ]
    # the plain issue (#15) is not an incident
    assert_counts(conn, paths[0], read=3, accepted=3, rejected=0)


# -- json_map ---------------------------------------------------------------------------------

# an export none of the adapters knows: a status-page tool's incident history
STATUS_PAGE_EXPORT = {
    "exported": "2024-05-01T00:00:00Z",
    "page": {"name": "Acme status"},
    "history": {
        "events": [
            {
                "ref": "EV-7",
                "component": {"slug": "checkout-api"},
                "began": "2024-04-03T10:00:00Z",
                "ended": "2024-04-03T10:45:00Z",
                "impact": "major",
                "region": "production",
            },
            {
                "ref": "EV-8",
                "component": {"slug": "search-api"},
                "began": "2024-04-20T08:00:00+02:00",
                "ended": None,
                "impact": "minor",
                "region": "stg",
            },
            {"ref": "EV-9", "began": "2024-04-21T08:00:00Z", "impact": 3},
        ]
    },
}
STATUS_PAGE_MAP = {
    "kind": "incidents",
    "records": "history.events",
    "fields": {
        "incident_id": "ref",
        "service": "component.slug",
        "opened_at": "began",
        "resolved_at": "ended",
        "severity": "impact",
        "environment": "region",
    },
}


def _write(tmp_path: Path, name: str, document: Any, kind: str = "incidents") -> Path:
    folder = tmp_path / "inbox" / kind
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _ingest_written(tmp_path: Path, path: Path, settings: Settings, kind: str = "incidents"):
    conn = connect(tmp_path / "w.duckdb")
    ingest_paths(conn, [path], settings, kind=kind, validator=validate_batches)
    return conn


@pytest.mark.parametrize("match", [None, "page.name == 'Acme status'"])
def test_json_map_reads_an_export_no_adapter_knows(tmp_path: Path, match: str | None) -> None:
    spec = STATUS_PAGE_MAP | ({"match": match} if match else {})
    settings = parse_settings(
        {"json_map": {"statuspage": spec}, "contracts": {"max_reject_ratio": 1.0}}
    )
    path = _write(tmp_path, "status.json", STATUS_PAGE_EXPORT)
    conn = _ingest_written(tmp_path, path, settings)
    assert incidents(conn) == [
        (
            "EV-7",
            "checkout-api",
            "prod",
            "major",
            at("2024-04-03T10:00:00Z"),
            at("2024-04-03T10:45:00Z"),
            "statuspage",
        ),
        ("EV-8", "search-api", "staging", "minor", at("2024-04-20T06:00:00Z"), None, "statuspage"),
    ]
    assert_counts(conn, path, read=3, accepted=2, rejected=1)
    (record, reasons) = conn.execute(
        "SELECT record, reasons FROM quarantine.rejected_rows"
    ).fetchone()
    # the rejected record shows what the export held; a JSON number keeps its text
    assert json.loads(record)["json_map_record"] == {
        "ref": "EV-9",
        "began": "2024-04-21T08:00:00Z",
        "impact": "3",
    }
    assert json.loads(record)["severity"] == "3"
    assert codes(reasons) == ["missing_required_field"]


def test_json_map_of_another_kind_names_both(tmp_path: Path) -> None:
    spec = STATUS_PAGE_MAP | {"match": "page.name == 'Acme status'"}
    settings = parse_settings({"json_map": {"statuspage": spec}})
    path = _write(tmp_path, "status.json", STATUS_PAGE_EXPORT, kind="deployments")
    conn = _ingest_written(tmp_path, path, settings, kind="deployments")
    row = stored_file(conn, path)
    assert row["status"] == "failed"
    assert "json_map statuspage holds incidents, not deployments" in row["error"]


def test_json_map_records_must_select_a_list(tmp_path: Path) -> None:
    spec = STATUS_PAGE_MAP | {"records": "page", "match": "page"}
    settings = parse_settings({"json_map": {"statuspage": spec}})
    path = _write(tmp_path, "status.json", STATUS_PAGE_EXPORT)
    conn = _ingest_written(tmp_path, path, settings)
    row = stored_file(conn, path)
    assert row["status"] == "failed"
    assert "json_map_records: json_map statuspage: records ('page') selects a dict" in row["error"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (STATUS_PAGE_MAP | {"records": "history.["}, "json_map.m.records: not a JMESPath"),
        (
            STATUS_PAGE_MAP | {"fields": {"opened": "began"}},
            "opened is not a field of incidents",
        ),
        (STATUS_PAGE_MAP | {"kind": "alerts"}, "json_map.m.kind"),
    ],
)
def test_json_map_config_is_checked_at_start(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.").replace("[", r"\[")):
        parse_settings({"json_map": {"m": spec}})


# -- a file no format matches -----------------------------------------------------------------


def test_unknown_export_fails_listing_what_was_tried(tmp_path: Path) -> None:
    settings = parse_settings({"json_map": {"statuspage": STATUS_PAGE_MAP}})
    path = _write(tmp_path, "alerts.json", {"alerts": [{"uid": "a1", "fired": "2024-04-01"}]})
    conn = _ingest_written(tmp_path, path, settings)
    row = stored_file(conn, path)
    assert row["status"] == "failed"
    assert row["error"].startswith("alerts.json: unknown_format: ")
    for tried in (
        "canonical incidents records",
        "a PagerDuty incidents export (GET /incidents)",
        "an Opsgenie incidents export",
        "a Jira issue search export",
        "a GitLab incidents export",
        "json_map statuspage",
    ):
        assert tried in row["error"]
