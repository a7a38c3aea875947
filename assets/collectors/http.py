"""The collectors' HTTP: httpx, with retries, each API's pagination and a closed origin.

* **Retries**: a 429, a 5xx or a connection failure is tried again, up to ``MAX_ATTEMPTS``
  times; the wait is the response's ``Retry-After`` (seconds or an HTTP date) when it has one,
  else an exponential backoff (``backoff_base * 2 ** (attempt - 1)``), never more than
  ``backoff_cap``. A server that asks for a longer wait than the cap fails at once, saying so.
  GitHub's rate limits answer 403 with ``Retry-After`` or ``x-ratelimit-remaining: 0``: those
  are waits too, not a refused token.
* **A refused token** (401, or a 403 that is not a rate limit) is :class:`TokenRefused`.
* **The origin is closed**: the token goes only to the configured API's scheme, host and port.
  A ``next`` link or a URL inside a response that points elsewhere is refused, and redirects
  are not followed (a custom token header would be sent on to the new host).
* The token is sent in a header and appears in no message.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpx

#: attempts per request, the first included
MAX_ATTEMPTS = 5
#: the first retry waits this long; each further retry twice as long
BACKOFF_BASE_SECONDS = 1.0
#: no single wait is longer (a longer ``Retry-After`` fails the request instead)
BACKOFF_CAP_SECONDS = 60.0
#: connect / read / write / pool timeout of one request
REQUEST_TIMEOUT_SECONDS = 30.0
#: a source that keeps saying "next" stops here: bounded work whatever a server answers
MAX_PAGES = 10_000
#: the largest response body read (bounded memory whatever a server sends)
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REFUSED_STATUSES = frozenset({401, 403})
#: how much of an error response's text a message may quote
_QUOTED_CHARS = 200
USER_AGENT = "release-health"

Params = Mapping[str, Any] | list[tuple[str, Any]]


class JsonNumber(str):
    """A JSON number kept as its literal text (``1.10`` stays ``1.10``), written back unquoted."""


#: a JSON number's literal text, as a marker inside a dumped string (NUL never occurs in
#: an API's JSON text unescaped, and the marker is replaced by the bare number)
_NUMBER_MARK = "\x00n:"
_MARKED_NUMBER = re.compile(r'"\\u0000n:(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"')


def loads_literal(data: bytes) -> Any:
    """Parse JSON keeping every number as its literal text (:class:`JsonNumber`)."""
    return json.loads(data, parse_int=JsonNumber, parse_float=JsonNumber)


def dumps_literal(document: Any) -> bytes:
    """JSON text of a document parsed by :func:`loads_literal`: numbers as they were written."""

    def mark(value: Any) -> Any:
        if isinstance(value, JsonNumber):
            return _NUMBER_MARK + value
        if isinstance(value, dict):
            return {key: mark(item) for key, item in value.items()}
        if isinstance(value, list):
            return [mark(item) for item in value]
        return value

    text = json.dumps(mark(document), ensure_ascii=False, indent=1)
    return _MARKED_NUMBER.sub(r"\1", text).encode("utf-8") + b"\n"


class CollectorError(Exception):
    """A pull that cannot go on: one line naming the source and what went wrong."""


class TokenRefused(CollectorError):
    """The API refused the token (401/403)."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry (tests pass a tiny ``backoff_base``)."""

    max_attempts: int = MAX_ATTEMPTS
    backoff_base: float = BACKOFF_BASE_SECONDS
    backoff_cap: float = BACKOFF_CAP_SECONDS

    def backoff(self, attempt: int) -> float:
        """The wait after failed attempt number ``attempt`` (1-based) without a server hint."""
        return min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for: a number of seconds or an HTTP date.

    None when absent or unreadable (the caller backs off on its own); a date in the past is 0.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # HTTP dates are GMT
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


def _rate_limit_wait(response: httpx.Response) -> float | None:
    """GitHub's primary rate limit: the seconds until ``x-ratelimit-reset`` (epoch seconds)."""
    reset = response.headers.get("x-ratelimit-reset", "")
    if response.headers.get("x-ratelimit-remaining") != "0" or not reset.isdigit():
        return None
    return max(0.0, int(reset) - time.time())


def _is_rate_limited(response: httpx.Response) -> bool:
    if response.status_code in RETRY_STATUSES:
        return True
    return response.status_code == 403 and (
        "retry-after" in response.headers or response.headers.get("x-ratelimit-remaining") == "0"
    )


def _api_message(response: httpx.Response) -> str:
    """The API's own short explanation of an error, if it gave one."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, Mapping):
        message = body.get("message") or body.get("error")
        if isinstance(message, Mapping):  # PagerDuty: {"error": {"message": ...}}
            message = message.get("message")
        if isinstance(message, str) and message.strip():
            return f": {message.strip()[:_QUOTED_CHARS]}"
    return ""


class ApiClient:
    """GET requests to one API, with retries, pagination and the origin kept closed."""

    def __init__(
        self,
        source: str,
        base_url: str,
        headers: Mapping[str, str],
        token_env: str,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        on_retry: Callable[[str], None] | None = None,
    ) -> None:
        self.source = source
        self.base_url = base_url.rstrip("/")
        self.token_env = token_env
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._on_retry = on_retry
        origin = urlsplit(self.base_url)
        self._origin = (origin.scheme, origin.hostname, origin.port)
        self._http = httpx.Client(
            headers={"User-Agent": USER_AGENT, **headers},
            timeout=REQUEST_TIMEOUT_SECONDS,
            follow_redirects=False,
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # -- URLs ------------------------------------------------------------------------------

    def url(self, path_or_url: str) -> str:
        """An absolute URL on this API: a path is joined to the base URL; an absolute URL
        (a ``next`` link, a ``statuses_url``) must have the base URL's origin."""
        if "://" not in path_or_url:
            return f"{self.base_url}/{path_or_url.lstrip('/')}"
        parts = urlsplit(path_or_url)
        if (parts.scheme, parts.hostname, parts.port) != self._origin:
            raise CollectorError(
                f"{self.source}: the API pointed to {parts.scheme}://{parts.netloc}, outside"
                f" {self.base_url}; the token is sent nowhere else"
            )
        return path_or_url

    def shown(self, url: str) -> str:
        """A URL as messages show it: without its query."""
        parts = urlsplit(url)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))

    # -- requests --------------------------------------------------------------------------

    def get(self, path_or_url: str, params: Params | None = None) -> httpx.Response:
        """One GET, retried on 429/5xx/connection failures; raises :class:`CollectorError`."""
        url = self.url(path_or_url)
        policy = self.retry
        for attempt in range(1, policy.max_attempts + 1):
            try:
                response = self._fetch(url, params)
            except httpx.TransportError as exc:
                problem = f"could not reach {self.shown(url)} ({type(exc).__name__})"
                wait = policy.backoff(attempt)
            else:
                if not _is_rate_limited(response):
                    return self._checked(response, url)
                problem = f"{self.shown(url)} answered {response.status_code}"
                hinted = retry_after_seconds(response.headers.get("retry-after"))
                if hinted is None:
                    hinted = _rate_limit_wait(response)
                wait = policy.backoff(attempt) if hinted is None else hinted
                if wait > policy.backoff_cap:
                    raise CollectorError(
                        f"{self.source}: {problem} and asks to wait {wait:.0f} s (longer than"
                        f" {policy.backoff_cap:g} s); try again later"
                    )
            if attempt == policy.max_attempts:
                raise CollectorError(
                    f"{self.source}: {problem}, {attempt} attempt(s); try again later"
                )
            if self._on_retry:
                self._on_retry(f"{self.source}: {problem}; retrying in {wait:.1f} s")
            self._sleep(wait)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def _fetch(self, url: str, params: Params | None) -> httpx.Response:
        """One GET whose body is read up to ``MAX_RESPONSE_BYTES``."""
        request = self._http.build_request("GET", url, params=params)
        streamed = self._http.send(request, stream=True)
        try:
            body = bytearray()
            for chunk in streamed.iter_bytes():
                body += chunk
                if len(body) > MAX_RESPONSE_BYTES:
                    raise CollectorError(
                        f"{self.source}: {self.shown(url)} sent more than"
                        f" {MAX_RESPONSE_BYTES} bytes in one response"
                    )
        finally:
            streamed.close()
        return httpx.Response(
            streamed.status_code, headers=streamed.headers, content=bytes(body), request=request
        )

    def _checked(self, response: httpx.Response, url: str) -> httpx.Response:
        status = response.status_code
        if status < 300:
            return response
        if status in REFUSED_STATUSES:
            raise TokenRefused(
                f"{self.source} refused the token in ${self.token_env} (HTTP {status}"
                f"{_api_message(response)}); check that it is valid and may read"
                f" {self.shown(url)}"
            )
        if 300 <= status < 400:
            moved = response.headers.get("location", "another address")
            raise CollectorError(
                f"{self.source}: {self.shown(url)} has moved to {self.shown(moved)} (HTTP"
                f" {status}); update the config to the new name"
            )
        if status == 404:
            raise CollectorError(
                f"{self.source}: {self.shown(url)} not found (HTTP 404{_api_message(response)});"
                " check the name in the config and that the token may see it"
            )
        raise CollectorError(
            f"{self.source}: {self.shown(url)} answered HTTP {status}{_api_message(response)}"
        )

    def json(self, path_or_url: str, params: Params | None = None) -> Any:
        """The JSON body of one GET."""
        return self.decoded(self.get(path_or_url, params))

    def decoded(self, response: httpx.Response) -> Any:
        """A response's JSON body; a body that is not JSON is a :class:`CollectorError`."""
        try:
            return loads_literal(response.content)
        except (ValueError, RecursionError):
            raise CollectorError(
                f"{self.source}: {self.shown(str(response.url))} did not answer with JSON"
            ) from None

    def link_pages(
        self, path_or_url: str, params: Params | None = None
    ) -> Iterator[tuple[int, Any]]:
        """``(page number, JSON body)`` of each page, following ``Link: rel="next"`` (GitHub,
        GitLab) or GitLab's ``X-Next-Page`` when there is no Link header."""
        url: str | None = self.url(path_or_url)
        query: Params | None = params
        for number in range(1, MAX_PAGES + 1):
            assert url is not None
            response = self.get(url, query)
            yield number, self.decoded(response)
            url, query = self._next(response), None
            if url is None:
                return
        raise CollectorError(f"{self.source}: more than {MAX_PAGES} pages; narrow it with --since")

    def _next(self, response: httpx.Response) -> str | None:
        following = response.links.get("next", {}).get("url")
        if following:
            return self.url(urljoin(str(response.url), following))
        next_page = response.headers.get("x-next-page", "").strip()
        if next_page.isdigit():
            parts = urlsplit(str(response.url))
            query = [(k, v) for k, v in parse_qsl(parts.query) if k != "page"]
            query.append(("page", next_page))
            return urlunsplit(parts._replace(query=urlencode(query)))
        return None
