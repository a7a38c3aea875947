"""The notification message: headline numbers with their week-over-week change, what to act
on, and the link to the week's report. Pure: it takes rows, returns text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assets.weeks import iso_week

#: items of one topic listed before "and N more"
MAX_ITEMS = 5
TOPIC_TITLES = {
    "held_file": "Held files",
    "drift_past_sla": "Unexpected drift past its SLA",
    "freeze_violation": "Freeze violations",
}
#: the headline numbers: (column, label, unit, digits, lower is better)
HEADLINES = (
    ("deployments", "Production deployments", "", 0, False),
    ("deploy_days", "Deploy days", "", 0, False),
    ("change_failure_rate", "Change failure rate", "%", 1, True),
    ("median_lead_time_hours", "Median lead time", " h", 1, True),
    ("median_recovery_hours", "Median recovery", " h", 1, True),
)


@dataclass(frozen=True)
class Message:
    title: str
    body: str


def _number(value: float | None, unit: str, digits: int) -> str:
    if value is None:
        return "n/a"
    shown = value * 100 if unit == "%" else value
    return f"{shown:,.{digits}f}{unit}"


def _change(now: float | None, before: float | None, unit: str, digits: int) -> str:
    if now is None or before is None:
        return "no earlier week"
    delta = (now - before) * (100 if unit == "%" else 1)
    if round(delta, digits) == 0:
        return "unchanged"
    sign = "+" if delta > 0 else "−"
    suffix = " pts" if unit == "%" else unit
    return f"{sign}{abs(delta):,.{digits}f}{suffix} vs last week"


def headline_lines(week: Mapping[str, Any] | None, before: Mapping[str, Any] | None) -> list[str]:
    """One line per headline number: this week's value and its week-over-week change."""
    if week is None:
        return ["No production deployments in the marts for this week."]
    return [
        f"{label}: {_number(week.get(column), unit, digits)}"
        f" ({_change(week.get(column), (before or {}).get(column), unit, digits)})"
        for column, label, unit, digits, _ in HEADLINES
    ]


def act_on_lines(items: Sequence[tuple[str, str, str]]) -> list[str]:
    """What to act on, grouped by topic; "Nothing to act on." when there is nothing."""
    if not items:
        return ["Nothing to act on."]
    lines = []
    for topic, title in TOPIC_TITLES.items():
        found = [(subject, why) for t, subject, why in items if t == topic]
        if not found:
            continue
        lines.append(f"{title} ({len(found)}):")
        lines += [f"  - {subject}: {why}" for subject, why in found[:MAX_ITEMS]]
        if len(found) > MAX_ITEMS:
            lines.append(f"  … and {len(found) - MAX_ITEMS} more")
    return lines


def report_link(base_url: str | None, week: dt.date) -> str | None:
    """The week's report under ``notify.report_base_url`` (None when not configured)."""
    if not base_url:
        return None
    return f"{base_url.rstrip('/')}/{iso_week(week)}/index.html"


def weekly_message(
    week: dt.date,
    headline: Mapping[str, Any] | None,
    before: Mapping[str, Any] | None,
    items: Sequence[tuple[str, str, str]],
    link: str | None,
    event: str = "weekly",
) -> Message:
    """The message for ``event`` about ``week``."""
    label = iso_week(week)
    titles = {
        "weekly": f"Release health {label}",
        "held_file": f"Release health: a file is held ({label})",
        "drift_past_sla": f"Release health: drift past its SLA ({label})",
    }
    lines = [*headline_lines(headline, before), "", "Act on this:", *act_on_lines(items)]
    if link:
        lines += ["", f"Report: {link}"]
    return Message(title=titles.get(event, titles["weekly"]), body="\n".join(lines))
