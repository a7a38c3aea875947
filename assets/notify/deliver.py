"""Sending notifications through apprise (its URL notation: Slack, Microsoft Teams, e-mail,
generic JSON webhooks and more) and recording each delivery in ``raw.notifications``.

A destination that fails is logged and recorded with its error; it never raises, so a report
or a run is never failed by a notification.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

import duckdb

from assets.notify.message import Message, report_link, weekly_message
from assets.settings import Settings
from assets.warehouse import read_sql, sql_file
from assets.weeks import add_weeks, iso_week

LOG = logging.getLogger("release_health.notify")
#: characters of a delivery error kept in the warehouse
ERROR_CHARS = 500


@dataclass(frozen=True)
class Delivery:
    destination: str
    ok: bool
    error: str | None = None


def redact(url: str) -> str:
    """The URL with its secrets (passwords, tokens) masked, as apprise prints it."""
    import apprise

    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        return url.split("://", 1)[0] + "://…"
    return str(plugin.url(privacy=True))


def send(message: Message, urls: list[str], timeout_seconds: float) -> list[Delivery]:
    """Send ``message`` to each URL on its own, so one failure names its destination."""
    import apprise

    deliveries = []
    for url in urls:
        destination = redact(url)
        notifier = apprise.Apprise(asset=apprise.AppriseAsset(async_mode=False))
        if not notifier.add(url):
            deliveries.append(Delivery(destination, False, "not a notification URL apprise knows"))
            continue
        for plugin in notifier:  # one URL, one plugin: bound how long it may take
            plugin.socket_connect_timeout = timeout_seconds
            plugin.socket_read_timeout = timeout_seconds
        with apprise.LogCapture(level=logging.WARNING) as captured:
            ok = bool(notifier.notify(body=message.body, title=message.title))
            text = captured.getvalue().strip()
        error = None if ok else (text.splitlines()[-1] if text else "delivery failed")[:ERROR_CHARS]
        if not ok:
            LOG.warning("notification to %s failed: %s", destination, error)
        deliveries.append(Delivery(destination, ok, error))
    return deliveries


def record(
    conn: duckdb.DuckDBPyConnection,
    deliveries: list[Delivery],
    event: str,
    week: str | None,
    now: dt.datetime | None = None,
) -> None:
    """One ``raw.notifications`` row per delivery."""
    sent_at = now or dt.datetime.now(tz=dt.UTC)
    conn.executemany(
        "INSERT INTO raw.notifications (sent_at, event, week, destination, ok, error)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [[sent_at, event, week, d.destination, d.ok, d.error] for d in deliveries],
    )


def compose(
    conn: duckdb.DuckDBPyConnection, settings: Settings, week: dt.date, event: str = "weekly"
) -> Message:
    """The message for ``week`` from the marts (headline, what to act on, link)."""
    here = Path(__file__)
    rows = conn.execute(read_sql(sql_file(here, "headline")), {"week": week})
    names = [c[0] for c in rows.description]
    by_week = {row[0]: dict(zip(names, row, strict=True)) for row in rows.fetchall()}
    items = conn.execute(
        read_sql(sql_file(here, "act_on")),
        {"week": week, "sla_hours": settings.drift.promotion_sla_hours},
    ).fetchall()
    link = report_link(settings.notify.report_base_url, week)
    return weekly_message(
        week,
        by_week.get(week),
        by_week.get(add_weeks(week, -1)),
        [tuple(item) for item in items],
        link,
        event,
    )


def notify_week(
    conn: duckdb.DuckDBPyConnection, settings: Settings, week: dt.date, event: str = "weekly"
) -> list[Delivery]:
    """Compose and send the week's message to ``notify.urls``; record every delivery.

    Sends nothing (and records nothing) when no URL is configured, or when ``event`` is not
    in ``notify.on`` (``manual`` always sends).
    """
    config = settings.notify
    if not config.urls or (event != "manual" and event not in config.on):
        return []
    message = compose(conn, settings, week, event)
    deliveries = send(message, list(config.urls), config.timeout_seconds)
    record(conn, deliveries, event, iso_week(week))
    return deliveries


def drift_past_sla(conn: duckdb.DuckDBPyConnection, settings: Settings, week: dt.date) -> int:
    """How many services drift unexpectedly past their SLA as of ``week``."""
    items = conn.execute(
        read_sql(sql_file(Path(__file__), "act_on")),
        {"week": week, "sla_hours": settings.drift.promotion_sla_hours},
    ).fetchall()
    return sum(topic == "drift_past_sla" for topic, _, _ in items)


def notify_after_run(
    conn: duckdb.DuckDBPyConnection, settings: Settings, week: dt.date
) -> list[Delivery]:
    """After a weekly run: the weekly message, else (``weekly`` not in ``notify.on``) a drift
    message when unexpected drift is past its SLA."""
    if "weekly" in settings.notify.on:
        return notify_week(conn, settings, week, "weekly")
    if drift_past_sla(conn, settings, week):
        return notify_week(conn, settings, week, "drift_past_sla")
    return []
