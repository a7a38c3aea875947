"""``release-health pull SOURCE``: fetch from an API what would otherwise be exported by hand.

A pull reads each scope's cursor from ``raw.collector_state``, asks the API for what is newer
(``streams``), writes every page holding new records into the inbox (``pages``), then ingests
exactly those files with ``ingest_paths`` (the same adapters, contracts and reconciliation as
any file) and only then stores the new cursors. The warehouse is opened twice, briefly, and
not held while the API is asked. The token is read from the environment variable named in the
config, sent only to the configured API, and never stored or printed.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assets.collectors.cursor import Cursor, read_cursor, save_cursor
from assets.collectors.http import ApiClient, CollectorError, RetryPolicy, TokenRefused
from assets.collectors.pages import page_file_name, write_page
from assets.collectors.streams import Stream, auth_headers, fetch, streams_for
from assets.ingest.file_report import FileReport
from assets.ingest.loader import ContractValidator, ingest_paths
from assets.settings import GitHubCollector, GitLabCollector, PagerDutyCollector, Settings
from assets.warehouse import open_warehouse

SOURCES = ("github", "gitlab", "pagerduty")
#: what each source pulls, as the config names it (for messages)
SCOPE_KEYS = {"github": "repos", "gitlab": "projects", "pagerduty": "services"}

__all__ = [
    "SOURCES",
    "CollectorError",
    "PullOutcome",
    "RetryPolicy",
    "StreamOutcome",
    "TokenRefused",
    "collector_config",
    "pull",
]


def collector_config(
    settings: Settings, source: str
) -> GitHubCollector | GitLabCollector | PagerDutyCollector:
    """The ``collectors.<source>`` section of the config."""
    return getattr(settings.collectors, source)


def scope_names(settings: Settings, source: str) -> list[str]:
    """The repositories, projects or services the config lists for ``source``."""
    return list(getattr(collector_config(settings, source), SCOPE_KEYS[source]))


@dataclass
class StreamOutcome:
    """What one stream of a pull fetched and wrote."""

    stream: Stream
    files: list[Path] = field(default_factory=list)
    records: int = 0
    cursor: dt.datetime | None = None
    error: CollectorError | None = None


@dataclass
class PullOutcome:
    """A whole pull: its streams and the reports of the files it ingested."""

    streams: list[StreamOutcome]
    reports: list[FileReport]

    @property
    def refused(self) -> TokenRefused | None:
        """The refused-token error, when the API refused the token."""
        return next((s.error for s in self.streams if isinstance(s.error, TokenRefused)), None)

    @property
    def errors(self) -> list[CollectorError]:
        return [s.error for s in self.streams if s.error is not None]


def _collect(
    client: ApiClient,
    settings: Settings,
    streams: list[Stream],
    since: dict[str, dt.datetime | None],
    now: dt.datetime,
    log: Callable[[str], None],
) -> list[StreamOutcome]:
    outcomes = []
    for stream in streams:
        outcome = StreamOutcome(stream)
        outcomes.append(outcome)
        cursor = Cursor(since=since[stream.scope], now=now)
        try:
            for number, document in enumerate(fetch(client, stream, cursor), 1):
                name = page_file_name(stream.prefix, now, number)
                path = write_page(settings.inbox_path, stream.kind, name, document)
                outcome.files.append(path)
                log(f"{stream.source} {stream.scope}: page {number} written to {path}")
        except TokenRefused as exc:
            outcome.error = exc
            break  # every other scope would be refused the same token
        except CollectorError as exc:
            outcome.error = exc
        outcome.records = cursor.records
        outcome.cursor = cursor.value()
    return outcomes


def pull(
    settings: Settings,
    source: str,
    token: str,
    *,
    since: dt.datetime | None = None,
    validator: ContractValidator | None = None,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] = lambda message: None,
    progress: Callable[[FileReport], None] | None = None,
    now: dt.datetime | None = None,
) -> PullOutcome:
    """Pull ``source`` into the inbox and the warehouse; ``since`` overrides the cursors.

    Errors of one scope (an API that keeps failing, a project not found) are reported in the
    outcome and leave that scope's cursor where it was; the pages other scopes wrote are
    ingested and their cursors move on.
    """
    now = now or dt.datetime.now(dt.UTC)
    config = collector_config(settings, source)
    streams = streams_for(source, scope_names(settings, source))
    with open_warehouse(settings) as conn:
        stored = {s.scope: read_cursor(conn, source, s.scope) for s in streams}
    asked = {scope: since or stored_since for scope, stored_since in stored.items()}
    with ApiClient(
        source,
        config.base_url,
        auth_headers(source, token),
        config.token_env,
        retry=retry,
        sleep=sleep,
        on_retry=log,
    ) as client:
        outcomes = _collect(client, settings, streams, asked, now, log)
    files_by_kind: dict[str, list[Path]] = {}
    for outcome in outcomes:
        files_by_kind.setdefault(outcome.stream.kind, []).extend(outcome.files)
    reports: list[FileReport] = []
    with open_warehouse(settings) as conn:
        for kind, files in files_by_kind.items():
            if files:
                reports += ingest_paths(
                    conn, files, settings, kind=kind, validator=validator, progress=progress
                )
        for outcome in outcomes:
            if outcome.error is None:
                save_cursor(conn, source, outcome.stream.scope, outcome.cursor, now)
    return PullOutcome(outcomes, reports)
