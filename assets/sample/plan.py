"""Planning a service's releases: when each one reaches each environment.

Planning is vectorised over the history. Weekly release counts follow the team's cadence; early
production releases ride a Saturday-night release train, later ones land in business hours;
batches shrink, and promotion lags and coding lead times fall from days to hours. Hotfixes go
straight to production; a scenario's injected releases are added as given, and its quiet
windows, prod freeze and launch date filter the plan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assets.sample.catalogue import PRODUCTION, SEMVER, V_SEMVER, Service, release_rate
from assets.sample.clock import DAY, HOUR, MINUTE, WEEK, Clock

REGULAR, HOTFIX = "regular", "hotfix"
#: weeks planned past the end, so releases in flight sit in pre-production at the end
FUTURE_WEEKS = 2
#: production releases of one service at least this far apart (a deploy, then a breather)
MIN_PROD_GAP = 2 * HOUR
#: share of production releases on the weekend train: falls to the floor by this fraction
WEEKEND_SHARE_START, WEEKEND_SHARE_END, WEEKEND_FADE = 0.75, 0.02, 0.55
#: share of weekday production releases outside business hours, start → end
OFF_HOURS_START, OFF_HOURS_END = 0.35, 0.04
#: the release train leaves Saturday 21:00 and is done by Sunday 02:00 (minutes into the week)
TRAIN_DEPARTS, TRAIN_LENGTH = (5 * 24 + 21) * 60, 5 * 60
#: medians at the start → the end of history (interpolated geometrically)
LAG_MEDIAN = (30 * HOUR, 1.5 * HOUR)  # each promotion step: dev→test→staging→prod
CODING_MEDIAN = (6 * DAY, 5 * HOUR)  # first commit → dev build
CHANGES_MEDIAN = (20.0, 2.2)  # changes per release
#: hotfixes straight to production, per semver service per week
HOTFIX_RATE = 0.025


def between(early: float, late: float, progress: float | np.ndarray) -> float | np.ndarray:
    """Geometric interpolation from the early value (progress 0) to the late one (1)."""
    return np.exp(np.log(early) * (1 - progress) + np.log(late) * progress)


@dataclass(slots=True)
class Release:
    """One planned release: the start time in each environment it reaches."""

    anchor: int  # planned production time (or last environment): the processing order
    kind: str
    times: dict[str, int]
    changes: int
    coding: int  # seconds from the first commit to the build
    forced: bool = False  # scenario releases never fail


def plan_releases(service: Service, clock: Clock, rng: np.random.Generator) -> list[Release]:
    """Regular releases, hotfixes and the scenario's releases, in processing order."""
    scenario = service.scenario
    releases = _regular_releases(service, clock, rng)
    if service.versioning in (SEMVER, V_SEMVER):
        releases += _hotfixes(service, clock, rng)
    releases += [_injected(dict(i.times), i.kind, clock) for i in scenario.injected]
    if scenario.prod_frozen_from is not None:
        for release in releases:
            if release.times.get(PRODUCTION, -1) >= scenario.prod_frozen_from:
                del release.times[PRODUCTION]
        releases = [release for release in releases if release.times]
    releases.sort(key=lambda release: (release.anchor, release.kind))
    return releases


def _regular_releases(service: Service, clock: Clock, rng: np.random.Generator) -> list[Release]:
    weeks = clock.weeks + FUTURE_WEEKS
    rates = np.array([release_rate(service.cadence, w, clock.weeks) for w in range(weeks)])
    rates *= service.rate_factor
    # teams release on a rhythm: the weekly count is the rate rounded up or down at random
    # (not Poisson), so a team in a steady state looks steady on the cadence chart
    whole = np.floor(rates)
    counts = (whole + (rng.random(weeks) < rates - whole)).astype(np.int64)
    week = np.repeat(np.arange(weeks), counts)
    n = week.size
    f = np.minimum(week / max(1, clock.weeks - 1), 1.0)
    draws = rng.random((n, 2))
    weekend_share = WEEKEND_SHARE_START * np.clip(1 - f / WEEKEND_FADE, 0, 1) + WEEKEND_SHARE_END
    on_train = draws[:, 0] < weekend_share
    off_hours = draws[:, 1] < OFF_HOURS_START * (1 - f) + OFF_HOURS_END
    business = rng.integers(9 * 60, 18 * 60, n)
    evening = (18 * 60 + rng.integers(0, 15 * 60, n)) % (24 * 60)  # 18:00 → 08:59
    train = TRAIN_DEPARTS + rng.integers(0, TRAIN_LENGTH, n)
    weekday_minute = rng.integers(0, 5, n) * 24 * 60 + np.where(off_hours, evening, business)
    minute = np.where(on_train, train, weekday_minute)
    prod = clock.first_monday_ts + week * WEEK + minute * MINUTE + rng.integers(0, 60, n)
    # lags per step, latest first: staging → prod, test → staging, dev → test
    lags = rng.lognormal(0.0, 0.6, (n, 3)) * between(*LAG_MEDIAN, f)[:, None]
    lags = np.maximum(lags, 10 * MINUTE)
    coding = (rng.lognormal(0.0, 0.7, n) * between(*CODING_MEDIAN, f)).astype(np.int64)
    changes = np.maximum(1, np.rint(rng.lognormal(0.0, 0.45, n) * between(*CHANGES_MEDIAN, f)))
    squeeze_share = rng.uniform(0.3, 0.9, n)

    scenario = service.scenario
    releases: list[Release] = []
    last_prod = -MIN_PROD_GAP
    for i in np.argsort(prod, kind="stable").tolist():
        at = int(prod[i])
        if at < last_prod + MIN_PROD_GAP or at < clock.start_ts + HOUR:
            continue
        step = lags[i]
        if at - step.sum() < clock.start_ts:  # history starts mid-flight: squeeze the lags
            step = step * (at - clock.start_ts) * squeeze_share[i] / step.sum()
        staging = at - int(step[0])
        test = staging - int(step[1])
        dev = test - int(step[2])
        if dev > clock.end_ts or (scenario.first_seen is not None and dev < scenario.first_seen):
            continue
        if any(dev < until and at >= since for since, until in scenario.quiet):
            continue
        times = {"dev": dev, "test": test, "staging": staging, PRODUCTION: at}
        releases.append(Release(at, REGULAR, times, int(changes[i]), int(coding[i])))
        last_prod = at
    return releases


def _hotfixes(service: Service, clock: Clock, rng: np.random.Generator) -> list[Release]:
    """Patches straight to production, at any hour (whoever is on call)."""
    weeks = clock.weeks
    week = np.repeat(np.arange(weeks), rng.poisson(HOTFIX_RATE, weeks))
    at = clock.first_monday_ts + week * WEEK + rng.integers(0, WEEK, week.size)
    leads = rng.integers(30 * MINUTE, 4 * HOUR, week.size)
    changes = rng.integers(1, 3, week.size)
    quiet = service.scenario.quiet
    return [
        Release(t, HOTFIX, {PRODUCTION: t}, c, lead)
        for t, lead, c in zip(at.tolist(), leads.tolist(), changes.tolist(), strict=True)
        if clock.start_ts <= t <= clock.end_ts
        and not any(since <= t < until for since, until in quiet)
    ]


def _injected(times: dict[str, int], kind: str, clock: Clock) -> Release:
    """A scenario's release: typical size for its time, and it never fails."""
    progress = clock.progress(min(times.values()))
    if kind == HOTFIX:
        changes, coding = 1, HOUR
    else:
        changes = max(1, round(float(between(*CHANGES_MEDIAN, progress))))
        coding = int(between(*CODING_MEDIAN, progress))
    anchor = times.get(PRODUCTION, max(times.values()))
    return Release(anchor, kind, times, changes, coding, forced=True)
