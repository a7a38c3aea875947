"""Notifications through apprise to real servers on loopback: a JSON webhook, an SMTP server,
and destinations that fail (HTTP 500, connection refused)."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from assets.notify.deliver import notify_week
from assets.notify.message import act_on_lines, headline_lines, report_link

WEEK = dt.date(2024, 3, 11)


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        self.server.received.append(json.loads(self.rfile.read(length)))
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[ThreadingHTTPServer]:
    """A JSON webhook on loopback answering 200; ``.status`` changes its answer."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    server.received, server.status = [], 200
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            (envelope.mail_from, envelope.rcpt_tos, envelope.content.decode("utf-8", "replace"))
        )
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, _Inbox]]:
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=closed_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed_marts(conn) -> None:
    """Two weeks of org headline numbers, a held file and a freeze violation."""
    for week, deployments, days, cfr, lead in (
        (WEEK - dt.timedelta(weeks=1), 10, 4, 0.1, 30.0),
        (WEEK, 14, 5, 0.05, 24.5),
    ):
        conn.execute(
            "INSERT INTO marts.delivery_summary (week_start, scope, deployments,"
            " deployment_frequency, deploy_days, change_failures, change_failure_rate,"
            " median_lead_time_hours, incidents, off_hours_deployments, weekend_deployments,"
            " lead_time_excluded, trailing_weeks, benchmark)"
            " VALUES (?, 'org', ?, ?, ?, 0, ?, ?, 0, 0, 0, 0, 12, 'dora_2023')",
            [week, deployments, deployments, days, cfr, lead],
        )
    conn.execute(
        "INSERT INTO raw.ingested_files (file_sha256, path, kind, ingested_at, status, error)"
        " VALUES ('abc', 'inbox/deployments/bad.csv', 'deployments', now(), 'held',"
        " 'reject_ratio: 80% of its rows were rejected')"
    )
    conn.execute(
        "INSERT INTO marts.freeze_violations VALUES (?, 'd7', 'web', 'web-team', '2.2',"
        " 'succeeded', '2024-03-11 10:00:00+00', 'regular', false, 'web-freeze', 'Web FREEZE',"
        " '2024-03-11 00:00:00+00', '2024-03-12 00:00:00+00')",
        [WEEK],
    )


def notifications(conn) -> list[tuple]:
    return conn.execute(
        "SELECT event, week, destination, ok, error IS NOT NULL FROM raw.notifications"
        " ORDER BY destination"
    ).fetchall()


def test_message_lines_are_hand_computed():
    week = {
        "deployments": 14,
        "deploy_days": 5,
        "change_failure_rate": 0.05,
        "median_lead_time_hours": 24.5,
        "median_recovery_hours": None,
    }
    before = {
        "deployments": 10,
        "deploy_days": 5,
        "change_failure_rate": 0.1,
        "median_lead_time_hours": 30.0,
        "median_recovery_hours": 2.0,
    }
    assert headline_lines(week, before) == [
        "Production deployments: 14 (+4 vs last week)",
        "Deploy days: 5 (unchanged)",
        "Change failure rate: 5.0% (−5.0 pts vs last week)",
        "Median lead time: 24.5 h (−5.5 h vs last week)",
        "Median recovery: n/a (no earlier week)",
    ]
    assert act_on_lines([]) == ["Nothing to act on."]
    assert report_link("https://reports.example/rh/", WEEK) == (
        "https://reports.example/rh/2024-W11/index.html"
    )


def test_weekly_message_reaches_a_webhook_and_an_smtp_server(
    warehouse, make_settings, webhook, smtp
):
    controller, inbox = smtp
    hook = f"json://127.0.0.1:{webhook.server_port}/hook"
    mail = (
        f"mailto://127.0.0.1:{controller.port}?from=rh@example.com&to=review@example.com"
        "&mode=insecure"
    )
    settings = make_settings(
        notify={"urls": [hook, mail], "report_base_url": "https://reports.example/rh"}
    )
    seed_marts(warehouse)
    deliveries = notify_week(warehouse, settings, WEEK)
    assert [d.ok for d in deliveries] == [True, True], deliveries
    ((posted,),) = [webhook.received]
    assert posted["title"] == "Release health 2024-W11"
    body = posted["message"]
    assert "Production deployments: 14 (+4 vs last week)" in body
    assert "Held files (1):\n  - inbox/deployments/bad.csv: reject_ratio" in body
    assert "Freeze violations (1):\n  - web: deployment d7 (2.2) during Web FREEZE" in body
    assert body.endswith("Report: https://reports.example/rh/2024-W11/index.html")
    ((sender, recipients, content),) = inbox.messages
    assert (sender, recipients) == ("rh@example.com", ["review@example.com"])
    assert "Release health 2024-W11" in content
    assert [(e, w, ok) for e, w, _, ok, _ in notifications(warehouse)] == [
        ("weekly", "2024-W11", True),
        ("weekly", "2024-W11", True),
    ]


def test_failing_destinations_are_recorded_and_never_raise(warehouse, make_settings, webhook):
    webhook.status = 500
    refused = closed_port()
    settings = make_settings(
        notify={
            "urls": [
                f"json://127.0.0.1:{webhook.server_port}/hook",
                f"json://user:s3cret@127.0.0.1:{refused}/hook",
            ],
            "timeout_seconds": 5,
        }
    )
    seed_marts(warehouse)
    deliveries = notify_week(warehouse, settings, WEEK)
    assert [d.ok for d in deliveries] == [False, False]
    assert len(webhook.received) == 1  # it was reached, and answered 500
    rows = notifications(warehouse)
    assert [(ok, has_error) for _, _, _, ok, has_error in rows] == [(False, True), (False, True)]
    # the password never reaches the warehouse
    assert all("s3cret" not in destination for _, _, destination, _, _ in rows)


def test_nothing_is_sent_for_an_event_not_asked_for(warehouse, make_settings, webhook):
    settings = make_settings(
        notify={"urls": [f"json://127.0.0.1:{webhook.server_port}/hook"], "on": ["weekly"]}
    )
    assert notify_week(warehouse, settings, WEEK, event="held_file") == []
    assert webhook.received == [] and notifications(warehouse) == []


def test_notify_verb_reports_a_failed_delivery_and_status_shows_it(tmp_path, webhook, capsys):
    from assets.warehouse import connect
    from pipelines.cli import main

    webhook.status = 500
    config = tmp_path / "release-health.yaml"
    config.write_text(
        f"warehouse: {tmp_path / 'w.duckdb'}\n"
        f"notify: {{urls: ['json://127.0.0.1:{webhook.server_port}/hook']}}\n",
        encoding="utf-8",
    )
    conn = connect(tmp_path / "w.duckdb")
    seed_marts(conn)
    conn.close()
    assert main(["--config", str(config), "notify", "--week", "2024-W11"]) == 1
    assert "failed" in capsys.readouterr().out
    assert len(webhook.received) == 1
    assert main(["--config", str(config), "status"]) == 0
    shown = capsys.readouterr().out
    assert "notification" in shown and "manual 2024-W11" in shown and "FAILED" in shown
