"""``pull github`` against a loopback server answering in GitHub's documented REST shapes.

Documented fields served (REST API 2022-11-28):

* ``GET /repos/{owner}/{repo}/deployments`` → a list, newest first, of deployments: ``url``,
  ``id``, ``node_id``, ``sha``, ``ref``, ``task``, ``payload``, ``original_environment``,
  ``environment``, ``description``, ``creator.login``, ``created_at``, ``updated_at``,
  ``statuses_url``, ``repository_url``, ``transient_environment``, ``production_environment``;
  paginated by ``Link: <...>; rel="next"``.
* ``GET .../deployments/{id}/statuses`` → a list of statuses: ``url``, ``id``, ``node_id``,
  ``state``, ``creator``, ``description``, ``environment``, ``target_url``, ``created_at``,
  ``updated_at``, ``deployment_url``, ``repository_url``, ``environment_url``, ``log_url``.
* ``GET /repos/{owner}/{repo}/actions/runs`` → ``{"total_count", "workflow_runs": [...]}`` with
  ``id``, ``name``, ``head_branch``, ``head_sha``, ``path``, ``run_number``, ``event``,
  ``status``, ``conclusion``, ``workflow_id``, ``created_at``, ``updated_at``,
  ``run_started_at``; filtered by ``created=>=YYYY-MM-DDTHH:MM:SSZ``.
* Rate limits answer 429 (or 403) with ``Retry-After``; a bad token answers 401
  ``{"message": "Bad credentials"}``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import duckdb
import pytest

from assets.collectors import pull
from assets.collectors.cursor import parse_moment
from assets.settings import Settings, parse_settings
from pipelines.cli import main
from tests.test_assets.test_collectors.conftest import FAST_RETRY, FakeApi, Request

REPO = "acme/checkout-api"
NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
#: five deployments, one a minute from 2025-02-20T10:00Z, every second one failing
CREATED = [f"2025-02-20T10:0{i}:00Z" for i in range(5)]
PAGE_SIZE = 2


def deployment(api: FakeApi, number: int) -> dict[str, Any]:
    base = f"{api.url}/repos/{REPO}"
    deployment_id = 1000 + number
    return {
        "url": f"{base}/deployments/{deployment_id}",
        "id": deployment_id,
        "node_id": f"DE_{deployment_id}",
        "sha": f"{number:x}" * 40,
        "ref": f"v1.{number}.0",
        "task": "deploy",
        "payload": {},
        "original_environment": "production",
        "environment": "production",
        "description": None,
        "creator": {"login": "octocat", "id": 1, "type": "User"},
        "created_at": CREATED[number],
        "updated_at": CREATED[number],
        "statuses_url": f"{base}/deployments/{deployment_id}/statuses",
        "repository_url": base,
        "transient_environment": False,
        "production_environment": True,
        "an_unknown_field": {"kept": True},
    }


def status(api: FakeApi, number: int) -> dict[str, Any]:
    base = f"{api.url}/repos/{REPO}"
    deployment_id = 1000 + number
    finished = CREATED[number].replace(":00Z", ":30Z")
    return {
        "url": f"{base}/deployments/{deployment_id}/statuses/{5000 + number}",
        "id": 5000 + number,
        "node_id": f"DES_{5000 + number}",
        "state": "failure" if number % 2 else "success",
        "creator": {"login": "github-actions[bot]"},
        "description": "",
        "environment": "production",
        "target_url": "",
        "created_at": finished,
        "updated_at": finished,
        "deployment_url": f"{base}/deployments/{deployment_id}",
        "repository_url": base,
        "environment_url": "",
        "log_url": "",
    }


def serve_github(api: FakeApi, count: int = len(CREATED)) -> None:
    """Deployments newest first in pages of two, their statuses, and no workflow runs."""
    newest_first = [deployment(api, n) for n in reversed(range(count))]

    def deployments(request: Request) -> tuple[int, dict[str, str], Any]:
        page = int(request.param("page") or 1)
        chunk = newest_first[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        headers = {}
        if page * PAGE_SIZE < len(newest_first):
            following = f"{api.url}/repos/{REPO}/deployments?per_page=2&page={page + 1}"
            headers["Link"] = f'<{following}>; rel="next", <{following}>; rel="last"'
        return 200, headers, chunk

    api.routes[f"/repos/{REPO}/deployments"] = deployments
    for number in range(count):
        api.routes[f"/repos/{REPO}/deployments/{1000 + number}/statuses"] = (
            lambda request, n=number: (200, {}, [status(api, n)])
        )
    api.routes[f"/repos/{REPO}/actions/runs"] = lambda request: (
        200,
        {},
        {"total_count": 0, "workflow_runs": []},
    )


@pytest.fixture
def github_settings(api: FakeApi, tmp_path) -> Settings:
    return parse_settings(
        {
            "warehouse": str(tmp_path / "w.duckdb"),
            "inbox_dir": str(tmp_path / "inbox"),
            "collectors": {"github": {"base_url": api.url, "repos": [REPO]}},
        }
    )


def staged_ids(settings: Settings) -> list[tuple[str, str, str]]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        return conn.execute(
            "SELECT deployment_id, version, status FROM staging.deployments ORDER BY 1"
        ).fetchall()


def collector_state(settings: Settings) -> list[tuple[str, str, str]]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        return conn.execute(
            "SELECT source, scope, cursor FROM raw.collector_state ORDER BY ALL"
        ).fetchall()


def test_pages_written_ingested_once_and_cursor_stored_through_a_429_and_a_502(
    api: FakeApi, github_settings: Settings, waits: list[float]
) -> None:
    serve_github(api)
    plain = api.routes[f"/repos/{REPO}/deployments"]
    faults = [
        (429, {"Retry-After": "2"}, {"message": "API rate limit exceeded"}),
        (502, {}, b"<html>Bad Gateway</html>"),
    ]

    def flaky(request: Request) -> tuple[int, dict[str, str], Any]:
        if request.param("page") == "2" and faults:
            return faults.pop(0)  # the middle page fails twice before it answers
        return plain(request)

    api.routes[f"/repos/{REPO}/deployments"] = flaky
    outcome = pull(
        github_settings, "github", "t0ken", retry=FAST_RETRY, sleep=waits.append, now=NOW
    )

    assert outcome.errors == []
    # Retry-After honoured (2 s), then the exponential backoff of the second attempt
    assert waits == [2.0, 0.02]
    assert [r.param("page") for r in api.asked(f"/repos/{REPO}/deployments")] == [
        None,
        "2",
        "2",
        "2",
        "3",
    ]
    files = sorted(p.name for p in (github_settings.inbox_path / "deployments").iterdir())
    assert files == [
        "github-acme-checkout-api-20250301T120000Z-p1.json",
        "github-acme-checkout-api-20250301T120000Z-p2.json",
        "github-acme-checkout-api-20250301T120000Z-p3.json",
    ]
    page1 = json.loads((github_settings.inbox_path / "deployments" / files[0]).read_text())
    assert [d["id"] for d in page1["deployments"]] == [1004, 1003]
    assert [s["id"] for s in page1["statuses"]] == [5004, 5003]
    assert [(r.rows_read, r.rows_accepted, r.status) for r in outcome.reports] == [
        (2, 2, "loaded"),
        (2, 2, "loaded"),
        (1, 1, "loaded"),
    ]
    assert staged_ids(github_settings) == [
        ("github:1000", "v1.0.0", "succeeded"),
        ("github:1001", "v1.1.0", "failed"),
        ("github:1002", "v1.2.0", "succeeded"),
        ("github:1003", "v1.3.0", "failed"),
        ("github:1004", "v1.4.0", "succeeded"),
    ]
    assert collector_state(github_settings) == [
        ("github", f"deployments:{REPO}", "2025-02-20T10:04:00Z"),
        ("github", f"workflow_runs:{REPO}", None),
    ]
    # every request carried the token the documented way
    assert {r.headers["authorization"] for r in api.requests} == {"Bearer t0ken"}


def test_a_second_pull_asks_from_the_cursor_and_writes_nothing_new(
    api: FakeApi, github_settings: Settings, waits: list[float]
) -> None:
    serve_github(api)
    pull(github_settings, "github", "t", retry=FAST_RETRY, sleep=waits.append, now=NOW)
    api.requests.clear()
    later = NOW + dt.timedelta(hours=1)
    outcome = pull(github_settings, "github", "t", retry=FAST_RETRY, sleep=waits.append, now=later)

    assert [s.files for s in outcome.streams] == [[], []]
    assert outcome.reports == []
    # deployments have no time filter: the first page already reaches the cursor, so it stops
    assert [r.param("page") for r in api.asked(f"/repos/{REPO}/deployments")] == [None]
    assert api.asked(f"/repos/{REPO}/deployments/1004/statuses") == []
    assert len(list((github_settings.inbox_path / "deployments").iterdir())) == 3
    assert len(staged_ids(github_settings)) == 5


def test_a_new_deployment_is_the_only_one_pulled_next_time(
    api: FakeApi, github_settings: Settings, waits: list[float]
) -> None:
    serve_github(api, count=4)
    pull(github_settings, "github", "t", retry=FAST_RETRY, sleep=waits.append, now=NOW)
    serve_github(api, count=5)
    later = NOW + dt.timedelta(hours=1)
    outcome = pull(github_settings, "github", "t", retry=FAST_RETRY, sleep=waits.append, now=later)

    (written,) = outcome.streams[0].files
    assert [d["id"] for d in json.loads(written.read_text())["deployments"]] == [1004]
    assert [(r.rows_read, r.rows_inserted) for r in outcome.reports] == [(1, 1)]
    assert collector_state(github_settings)[0][2] == "2025-02-20T10:04:00Z"


def test_an_unfinished_deployment_holds_the_cursor_until_it_finishes(
    api: FakeApi, github_settings: Settings, waits: list[float]
) -> None:
    serve_github(api, count=3)
    # the newest deployment has only a pending status: not final yet
    api.routes[f"/repos/{REPO}/deployments/1002/statuses"] = lambda request: (
        200,
        {},
        [{**status(api, 2), "state": "pending"}],
    )
    outcome = pull(github_settings, "github", "t", retry=FAST_RETRY, sleep=waits.append, now=NOW)

    assert sum(r.rows_rejected for r in outcome.reports) == 1  # quarantined as not final
    cursor = collector_state(github_settings)[0][2]
    assert parse_moment(cursor) == parse_moment(CREATED[2]) - dt.timedelta(microseconds=1)

    serve_github(api, count=3)  # now it has finished
    outcome = pull(github_settings, "github", "t", retry=FAST_RETRY, sleep=waits.append, now=NOW)
    (written,) = outcome.streams[0].files
    assert [d["id"] for d in json.loads(written.read_text())["deployments"]] == [1002]
    assert staged_ids(github_settings)[-1] == ("github:1002", "v1.2.0", "succeeded")
    assert collector_state(github_settings)[0][2] == CREATED[2]


def test_since_overrides_the_cursor(
    api: FakeApi, github_settings: Settings, waits: list[float]
) -> None:
    serve_github(api)
    since = parse_moment("2025-02-20T10:02:30Z")
    outcome = pull(
        github_settings, "github", "t", since=since, retry=FAST_RETRY, sleep=waits.append, now=NOW
    )
    assert [(r.rows_read) for r in outcome.reports] == [2]
    (runs,) = api.asked(f"/repos/{REPO}/actions/runs")
    assert runs.param("created") == ">=2025-02-20T10:02:30Z"


def workflow_run(number: int, status: str = "completed") -> dict[str, Any]:
    created = f"2025-02-21T09:0{number}:00Z"
    return {
        "id": 700 + number,
        "name": "Deploy",
        "head_branch": "main",
        "head_sha": f"{number:x}" * 40,
        "path": ".github/workflows/deploy.yml",
        "run_number": number,
        "event": "push",
        "status": status,
        "conclusion": "success" if status == "completed" else None,
        "workflow_id": 42,
        "created_at": created,
        "updated_at": created,
        "run_started_at": created,
    }


def test_workflow_runs_are_paged_and_filtered_by_created(
    api: FakeApi, github_settings: Settings, waits: list[float]
) -> None:
    serve_github(api, count=0)
    pages = {
        None: [workflow_run(3, "in_progress"), workflow_run(2)],
        "2": [workflow_run(1)],
    }

    def runs(request: Request) -> tuple[int, dict[str, str], Any]:
        page = request.param("page")
        headers = {}
        if page is None:
            following = f"{api.url}/repos/{REPO}/actions/runs?per_page=100&page=2"
            headers["Link"] = f'<{following}>; rel="next"'
        return 200, headers, {"total_count": 3, "workflow_runs": pages[page]}

    api.routes[f"/repos/{REPO}/actions/runs"] = runs
    outcome = pull(github_settings, "github", "t", retry=FAST_RETRY, sleep=waits.append, now=NOW)

    runs_stream = outcome.streams[1]
    assert [p.name for p in runs_stream.files] == [
        "github-actions-acme-checkout-api-20250301T120000Z-p1.json",
        "github-actions-acme-checkout-api-20250301T120000Z-p2.json",
    ]
    first = json.loads(runs_stream.files[0].read_text())
    assert first["total_count"] == 3
    assert [r["id"] for r in first["workflow_runs"]] == [703, 702]
    assert runs_stream.records == 3
    # the running run holds the cursor just before it
    assert runs_stream.cursor == parse_moment("2025-02-21T09:03:00Z") - dt.timedelta(microseconds=1)


def test_a_refused_token_is_one_line_naming_the_source_and_the_variable(
    api: FakeApi, tmp_path, monkeypatch, capsys
) -> None:
    api.routes[f"/repos/{REPO}/deployments"] = lambda request: (
        401,
        {},
        {"message": "Bad credentials", "documentation_url": "https://docs.example/rest"},
    )
    (tmp_path / "release-health.yaml").write_text(
        "warehouse: w.duckdb\ninbox_dir: inbox\n"
        f"collectors:\n  github:\n    base_url: {api.url}\n    token_env: ACME_GH_TOKEN\n"
        f"    repos: [{REPO}]\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ACME_GH_TOKEN", "s3cret-value")

    assert main(["pull", "github"]) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert lines[-1].startswith(
        "release-health: github refused the token in $ACME_GH_TOKEN (HTTP 401: Bad credentials)"
    )
    assert "s3cret-value" not in captured.err + captured.out
    assert "Traceback" not in captured.err
    assert not (tmp_path / "inbox" / "deployments").exists()
    # one request only: no retry of a refused token, no other scope tried
    assert len(api.requests) == 1


def test_the_command_pulls_and_prints_a_summary(
    api: FakeApi, tmp_path, monkeypatch, capsys
) -> None:
    serve_github(api)
    (tmp_path / "release-health.yaml").write_text(
        "warehouse: w.duckdb\ninbox_dir: inbox\n"
        f"collectors:\n  github:\n    base_url: {api.url}\n    repos: [{REPO}]\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_TOKEN", "t")

    assert main(["pull", "github"]) == 0
    out = capsys.readouterr().out
    assert f"github deployments:{REPO}: 5 new record(s) in 3 page file(s)" in out
    assert out.count("read 2, accepted 2, rejected 0, duplicate 0") == 2
    assert main(["pull", "github"]) == 0
    assert f"github deployments:{REPO}: 0 new record(s) in 0 page file(s)" in (
        capsys.readouterr().out
    )


def test_usage_problems_exit_2_before_the_warehouse_is_touched(
    tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    (tmp_path / "release-health.yaml").write_text(
        "warehouse: w.duckdb\ncollectors:\n  github:\n    repos: [acme/api]\n"
    )
    assert main(["pull", "github"]) == 2
    assert "set the environment variable GITHUB_TOKEN" in capsys.readouterr().err
    assert main(["pull", "gitlab"]) == 2
    assert "collectors.gitlab.projects is empty" in capsys.readouterr().err
    assert main(["pull", "github", "--since", "yesterday"]) == 2
    assert "'yesterday' is not an ISO-8601 time" in capsys.readouterr().err
    monkeypatch.setenv("GITHUB_TOKEN", "t")
    assert main(["pull", "github", "--since", "1999-12-31"]) == 2
    assert "--since: 1999-12-31 is outside 2000-01-01 .. now" in capsys.readouterr().err
    assert not (tmp_path / "w.duckdb").exists()
