"""``pull gitlab`` and ``pull pagerduty`` against a loopback server in the documented shapes.

GitLab REST v4:

* ``GET /projects/:id`` (``:id`` the URL-encoded path) → ``id``, ``path``,
  ``path_with_namespace``, ``web_url``.
* ``GET /projects/:id/deployments?updated_after=&order_by=updated_at&sort=asc`` → a list of
  ``id``, ``iid``, ``ref``, ``sha``, ``created_at``, ``updated_at``, ``status``, ``user``,
  ``environment{id,name}``, ``deployable{status,started_at,finished_at,pipeline{web_url}}``;
  offset pagination with ``X-Next-Page`` (``Link`` rel="next" too on gitlab.com; this server
  sends only ``X-Next-Page``, as some self-managed proxies do). Header ``PRIVATE-TOKEN``.

PagerDuty REST v2:

* ``GET /incidents?since=&until=&limit=&offset=&total=false&sort_by=created_at:asc`` →
  ``{"incidents": [...], "limit", "offset", "more", "total"}``; incidents carry ``id``,
  ``type``, ``summary``, ``incident_number``, ``title``, ``created_at``, ``updated_at``,
  ``status`` (triggered/acknowledged/resolved), ``urgency``, ``service{id,summary}``,
  ``last_status_change_at``, ``resolved_at``. Header ``Authorization: Token token=...``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import duckdb
import pytest

from assets.collectors import pull
from assets.collectors.cursor import parse_moment
from assets.settings import Settings, parse_settings
from tests.test_assets.test_collectors.conftest import FAST_RETRY, FakeApi, Request

NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
PROJECT = "acme/payments/ledger-api"
ENCODED = "acme%2Fpayments%2Fledger-api"


def gitlab_deployment(number: int) -> dict[str, Any]:
    updated = f"2025-02-2{number}T07:06:12.480Z"
    return {
        "id": 500 + number,
        "iid": 80 + number,
        "ref": f"v3.{number}.0",
        "sha": f"{number:x}" * 40,
        "created_at": f"2025-02-2{number}T07:00:00.120Z",
        "updated_at": updated,
        "status": "success",
        "user": {"id": 31, "username": "carol", "name": "Carol Ng", "state": "active"},
        "environment": {"id": 7, "name": "production", "slug": "production"},
        "deployable": {
            "id": 70500 + number,
            "status": "success",
            "tag": True,
            "started_at": f"2025-02-2{number}T07:00:05.300Z",
            "finished_at": f"2025-02-2{number}T07:06:11.900Z",
            "pipeline": {
                "id": 4800 + number,
                "web_url": f"https://gitlab.example.com/{PROJECT}/-/pipelines/{4800 + number}",
            },
        },
        "finished_at": f"2025-02-2{number}T07:06:12.400Z",
    }


def serve_gitlab(api: FakeApi, numbers: list[int]) -> None:
    api.routes[f"/api/v4/projects/{ENCODED}"] = lambda request: (
        200,
        {},
        {"id": 42, "path": "ledger-api", "path_with_namespace": PROJECT},
    )
    everything = [gitlab_deployment(n) for n in numbers]

    def deployments(request: Request) -> tuple[int, dict[str, str], Any]:
        after = parse_moment(request.param("updated_after"))
        listed = [d for d in everything if after is None or parse_moment(d["updated_at"]) > after]
        page = int(request.param("page") or 1)
        headers = {"X-Page": str(page), "X-Per-Page": "2"}
        headers["X-Next-Page"] = str(page + 1) if page * 2 < len(listed) else ""
        return 200, headers, listed[(page - 1) * 2 : page * 2]

    api.routes[f"/api/v4/projects/{ENCODED}/deployments"] = deployments


@pytest.fixture
def gitlab_settings(api: FakeApi, tmp_path) -> Settings:
    return parse_settings(
        {
            "warehouse": str(tmp_path / "w.duckdb"),
            "inbox_dir": str(tmp_path / "inbox"),
            "collectors": {"gitlab": {"base_url": f"{api.url}/api/v4", "projects": [PROJECT]}},
        }
    )


def test_gitlab_pages_by_x_next_page_and_the_next_pull_asks_updated_after(
    api: FakeApi, gitlab_settings: Settings, waits: list[float]
) -> None:
    serve_gitlab(api, [1, 2, 3])
    outcome = pull(
        gitlab_settings, "gitlab", "glpat", retry=FAST_RETRY, sleep=waits.append, now=NOW
    )

    (stream,) = outcome.streams
    assert [p.name for p in stream.files] == [
        "gitlab-acme-payments-ledger-api-20250301T120000Z-p1.json",
        "gitlab-acme-payments-ledger-api-20250301T120000Z-p2.json",
    ]
    written = json.loads(stream.files[0].read_text())
    assert written[0]["project"] == {
        "id": 42,
        "path": "ledger-api",
        "path_with_namespace": PROJECT,
    }
    asked = api.asked(f"/api/v4/projects/{ENCODED}/deployments")
    assert [(r.param("page"), r.param("order_by"), r.param("sort")) for r in asked] == [
        (None, "updated_at", "asc"),
        ("2", "updated_at", "asc"),
    ]
    assert {r.headers["private-token"] for r in api.requests} == {"glpat"}
    with duckdb.connect(str(gitlab_settings.warehouse_path), read_only=True) as conn:
        assert conn.execute(
            "SELECT deployment_id, service, environment, version, status"
            " FROM staging.deployments ORDER BY 1"
        ).fetchall() == [
            ("gitlab:501", "ledger-api", "prod", "v3.1.0", "succeeded"),
            ("gitlab:502", "ledger-api", "prod", "v3.2.0", "succeeded"),
            ("gitlab:503", "ledger-api", "prod", "v3.3.0", "succeeded"),
        ]
        assert conn.execute("SELECT cursor FROM raw.collector_state").fetchall() == [
            ("2025-02-23T07:06:12.480000Z",)
        ]

    api.requests.clear()
    again = pull(gitlab_settings, "gitlab", "glpat", retry=FAST_RETRY, sleep=waits.append, now=NOW)
    assert again.streams[0].files == []
    (asked,) = api.asked(f"/api/v4/projects/{ENCODED}/deployments")
    assert asked.param("updated_after") == "2025-02-23T07:06:12Z"


def test_gitlab_project_not_found_names_it_and_keeps_the_cursor(
    api: FakeApi, gitlab_settings: Settings, waits: list[float]
) -> None:
    outcome = pull(
        gitlab_settings, "gitlab", "glpat", retry=FAST_RETRY, sleep=waits.append, now=NOW
    )
    (error,) = outcome.errors
    assert str(error).startswith(f"gitlab: {api.url}/api/v4/projects/{ENCODED} not found (HTTP 404")
    with duckdb.connect(str(gitlab_settings.warehouse_path), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM raw.collector_state").fetchone() == (0,)


def incident(number: int, status: str = "resolved") -> dict[str, Any]:
    created = f"2025-02-2{number}T03:00:00Z"
    return {
        "id": f"PINC{number}",
        "type": "incident",
        "summary": f"[#{number}] checkout errors",
        "incident_number": number,
        "title": "checkout errors",
        "created_at": created,
        "updated_at": created,
        "status": status,
        "urgency": "high",
        "service": {"id": "PSVC1", "type": "service_reference", "summary": "checkout-api"},
        "last_status_change_at": created,
        "resolved_at": created.replace("T03", "T05") if status == "resolved" else None,
    }


def serve_pagerduty(api: FakeApi, incidents: list[dict[str, Any]], limit: int = 2) -> None:
    def listing(request: Request) -> tuple[int, dict[str, str], Any]:
        since = parse_moment(request.param("since"))
        chosen = [i for i in incidents if since is None or parse_moment(i["created_at"]) >= since]
        offset = int(request.param("offset") or 0)
        page = chosen[offset : offset + limit]
        more = offset + limit < len(chosen)
        body = {"incidents": page, "limit": limit, "offset": offset, "more": more, "total": None}
        return 200, {}, body

    api.routes["/incidents"] = listing


@pytest.fixture
def pagerduty_settings(api: FakeApi, tmp_path) -> Settings:
    return parse_settings(
        {
            "warehouse": str(tmp_path / "w.duckdb"),
            "inbox_dir": str(tmp_path / "inbox"),
            "collectors": {"pagerduty": {"base_url": api.url, "services": ["PSVC1"]}},
        }
    )


def test_pagerduty_pages_by_offset_while_more_and_writes_each_page(
    api: FakeApi, pagerduty_settings: Settings, waits: list[float]
) -> None:
    serve_pagerduty(api, [incident(1), incident(2), incident(3, "acknowledged")])
    outcome = pull(
        pagerduty_settings, "pagerduty", "pd", retry=FAST_RETRY, sleep=waits.append, now=NOW
    )

    (stream,) = outcome.streams
    assert stream.error is None
    assert stream.records == 3
    pages = [json.loads(p.read_text()) for p in stream.files]
    assert [[i["id"] for i in page["incidents"]] for page in pages] == [
        ["PINC1", "PINC2"],
        ["PINC3"],
    ]
    assert [(page["offset"], page["more"]) for page in pages] == [(0, True), (2, False)]
    assert [p.parent.name for p in stream.files] == ["incidents", "incidents"]
    asked = api.asked("/incidents")
    assert [
        (r.param("offset"), r.param("date_range"), r.param("service_ids[]")) for r in asked
    ] == [("0", "all", "PSVC1"), ("2", "all", "PSVC1")]
    assert {r.headers["authorization"] for r in asked} == {"Token token=pd"}
    # the acknowledged incident is open: the cursor waits just before it
    assert stream.cursor == parse_moment("2025-02-23T03:00:00Z") - dt.timedelta(microseconds=1)
    assert [(r.kind, r.rows_read, r.rows_accepted) for r in outcome.reports] == [
        ("incidents", 2, 2),
        ("incidents", 1, 1),
    ]
    with duckdb.connect(str(pagerduty_settings.warehouse_path), read_only=True) as conn:
        assert conn.execute(
            "SELECT incident_id, service, severity, CAST(resolved_at AS VARCHAR)"
            " FROM staging.incidents ORDER BY 1"
        ).fetchall() == [
            ("1", "checkout-api", "high", "2025-02-21 05:00:00+00"),
            ("2", "checkout-api", "high", "2025-02-22 05:00:00+00"),
            ("3", "checkout-api", "high", None),
        ]
        assert conn.execute("SELECT scope, cursor FROM raw.collector_state").fetchall() == [
            ("incidents:PSVC1", "2025-02-23T02:59:59.999999Z")
        ]


def test_pagerduty_next_pull_asks_since_the_cursor_in_windows_and_writes_nothing_new(
    api: FakeApi, pagerduty_settings: Settings, waits: list[float]
) -> None:
    serve_pagerduty(api, [incident(1), incident(2)])
    pull(pagerduty_settings, "pagerduty", "pd", retry=FAST_RETRY, sleep=waits.append, now=NOW)
    api.requests.clear()
    again = pull(
        pagerduty_settings, "pagerduty", "pd", retry=FAST_RETRY, sleep=waits.append, now=NOW
    )
    assert again.streams[0].files == []
    (asked,) = api.asked("/incidents")
    assert (asked.param("since"), asked.param("until")) == (
        "2025-02-22T03:00:00Z",
        "2025-03-01T12:00:00Z",
    )

    # a since further back than the API's six months is asked in consecutive windows
    api.requests.clear()
    since = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    pull(
        pagerduty_settings,
        "pagerduty",
        "pd",
        since=since,
        retry=FAST_RETRY,
        sleep=waits.append,
        now=NOW,
    )
    windows = [(r.param("since"), r.param("until")) for r in api.asked("/incidents")]
    assert windows[0] == ("2024-03-01T00:00:00Z", "2024-08-27T00:00:00Z")
    assert windows[-1][1] == "2025-03-01T12:00:00Z"
    assert all(a[1] == b[0] for a, b in itertools.pairwise(windows))
