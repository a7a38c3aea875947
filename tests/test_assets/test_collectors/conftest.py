"""A real HTTP server on loopback that answers like the APIs, for the collector tests.

Each route is a function of the request returning ``(status, headers, body)``; a body that is
not bytes is sent as JSON. Every request is recorded (path, query, headers) so a test can check
what was asked.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from assets.collectors import RetryPolicy


@dataclass
class Request:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


Answer = tuple[int, dict[str, str], Any]
Route = Callable[[Request], Answer]


@dataclass
class FakeApi:
    """Routes by path; ``url`` is the server's base URL (``http://127.0.0.1:<port>``)."""

    url: str = ""
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)

    def asked(self, path: str) -> list[Request]:
        return [request for request in self.requests if request.path == path]


def _handler(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            request = Request(
                parts.path, parse_qs(parts.query), {k.lower(): v for k, v in self.headers.items()}
            )
            api.requests.append(request)
            route = api.routes.get(parts.path)
            status, headers, body = route(request) if route else (404, {}, {"message": "Not Found"})
            data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

    return Handler


@pytest.fixture
def api() -> Iterator[FakeApi]:
    """A running loopback server; shut down after the test."""
    fake = FakeApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()
    thread.join()


#: retries without real waiting: the waits asked for are recorded instead
FAST_RETRY = RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_cap=60.0)


@pytest.fixture
def waits() -> list[float]:
    """The waits a client asked for; pass ``waits.append`` as its ``sleep``."""
    return []
