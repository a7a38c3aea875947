"""The collectors' HTTP client (retries, Retry-After, closed origin) and page files."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest

from assets.collectors.http import (
    ApiClient,
    CollectorError,
    RetryPolicy,
    dumps_literal,
    loads_literal,
    retry_after_seconds,
)
from assets.collectors.pages import page_file_name, safe_name_part, write_page
from assets.settings import ConfigError, parse_settings
from tests.test_assets.test_collectors.conftest import FAST_RETRY, FakeApi


def client(api: FakeApi, waits: list[float], retry: RetryPolicy = FAST_RETRY) -> ApiClient:
    return ApiClient(
        "github", api.url, {"Authorization": "Bearer t"}, "GH", retry=retry, sleep=waits.append
    )


def test_retry_after_in_seconds_or_as_an_http_date() -> None:
    now = dt.datetime(2025, 3, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Sat, 01 Mar 2025 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("Sat, 01 Mar 2025 11:00:00 GMT", now) == 0.0  # already past
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(max_attempts=8, backoff_base=1.0, backoff_cap=5.0)
    assert [policy.backoff(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_a_server_that_keeps_failing_stops_after_max_attempts(
    api: FakeApi, waits: list[float]
) -> None:
    api.routes["/x"] = lambda request: (503, {}, {"message": "unavailable"})
    with client(api, waits) as http, pytest.raises(CollectorError) as raised:
        http.get("/x")
    assert str(raised.value) == f"github: {api.url}/x answered 503, 4 attempt(s); try again later"
    assert len(api.asked("/x")) == 4
    assert waits == [0.01, 0.02, 0.04]


def test_a_retry_after_longer_than_the_cap_fails_at_once(api: FakeApi, waits: list[float]) -> None:
    api.routes["/x"] = lambda request: (429, {"Retry-After": "3600"}, {})
    with client(api, waits) as http, pytest.raises(CollectorError) as raised:
        http.get("/x")
    assert "asks to wait 3600 s (longer than 60 s)" in str(raised.value)
    assert waits == []


def test_github_rate_limit_403_is_a_wait_not_a_refused_token(
    api: FakeApi, waits: list[float]
) -> None:
    answers = [(403, {"Retry-After": "1"}, {"message": "secondary rate limit"}), (200, {}, [])]
    api.routes["/x"] = lambda request: answers.pop(0)
    with client(api, waits) as http:
        assert http.json("/x") == []
    assert waits == [1.0]


def test_a_link_to_another_host_is_refused_and_gets_no_token(
    api: FakeApi, waits: list[float]
) -> None:
    api.routes["/x"] = lambda request: (
        200,
        {"Link": '<http://elsewhere.example/x?page=2>; rel="next"'},
        [],
    )
    with client(api, waits) as http, pytest.raises(CollectorError) as raised:
        list(http.link_pages("/x"))
    assert "pointed to http://elsewhere.example, outside" in str(raised.value)
    assert len(api.requests) == 1


def test_a_redirect_is_not_followed(api: FakeApi, waits: list[float]) -> None:
    api.routes["/x"] = lambda request: (301, {"Location": f"{api.url}/y"}, {})
    with client(api, waits) as http, pytest.raises(CollectorError) as raised:
        http.get("/x")
    assert f"has moved to {api.url}/y (HTTP 301)" in str(raised.value)
    assert api.asked("/y") == []


def test_numbers_keep_their_literal_text_through_a_page() -> None:
    text = b'{"version": 1.10, "id": 0.5E-2, "big": 12345678901234567890, "s": "1.10"}'
    document = loads_literal(text)
    assert document == {
        "version": "1.10",
        "id": "0.5E-2",
        "big": "12345678901234567890",
        "s": "1.10",
    }
    written = dumps_literal(document).decode()
    assert json.loads(written, parse_float=str, parse_int=str) == document
    assert '"version": 1.10' in written and '"s": "1.10"' in written


def test_names_are_made_safe_and_pages_never_replace_a_file(tmp_path) -> None:
    assert safe_name_part("acme/check out*api") == "acme-check-out-api"
    assert safe_name_part("../..") == "unnamed"
    assert safe_name_part(".hidden") == "hidden"
    stamp = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)
    name = page_file_name("github-acme/[x]", stamp, 3)
    assert name == "github-acme-x-20250301T120000Z-p3.json"
    first = write_page(tmp_path / "inbox", "deployments", name, {"a": 1})
    second = write_page(tmp_path / "inbox", "deployments", name, {"a": 2})
    assert (first.name, second.name) == (name, "github-acme-x-20250301T120000Z-p3-2.json")
    assert json.loads(first.read_text()) == {"a": 1}
    # no temporary file is left behind
    assert sorted(os.listdir(first.parent)) == sorted([first.name, second.name])
    with pytest.raises(CollectorError):
        write_page(tmp_path / "inbox", "deployments", "../escape.json", {})


def test_a_linked_kind_folder_is_refused(tmp_path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "deployments").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(CollectorError) as raised:
        write_page(tmp_path / "inbox", "deployments", "p.json", {})
    assert "is not a folder (a link or a file)" in str(raised.value)
    assert list((tmp_path / "elsewhere").iterdir()) == []


@pytest.mark.parametrize(
    ("collectors", "message"),
    [
        ({"github": {"repos": ["checkout"]}}, "collectors.github.repos: expected a repository"),
        ({"github": {"base_url": "ftp://x"}}, "collectors.github.base_url: expected an http(s)"),
        ({"gitlab": {"token_env": "MY TOKEN"}}, "collectors.gitlab.token_env: expected the name"),
        ({"pagerduty": {"services": ["P1", "P1"]}}, "collectors.pagerduty.services: each"),
        ({"github": {"token": "abc"}}, "collectors.github.token: unknown key"),
    ],
)
def test_collector_config_is_validated(collectors: dict, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_settings({"collectors": collectors})
    assert str(raised.value).startswith(message)


def test_collector_config_defaults_and_numeric_project_ids() -> None:
    settings = parse_settings(
        {"collectors": {"gitlab": {"base_url": "https://git.example/api/v4/", "projects": [42]}}}
    )
    assert settings.collectors.gitlab.projects == ["42"]
    assert settings.collectors.gitlab.base_url == "https://git.example/api/v4"
    assert settings.collectors.github.base_url == "https://api.github.com"
    assert settings.collectors.pagerduty.token_env == "PAGERDUTY_TOKEN"
