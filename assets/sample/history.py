"""Simulating every service's releases through dev → test → staging → prod, and the incidents.

Each service gets its own random streams (seeded from the organisation seed and its index), so
one service's story never reshuffles another's. The walk over a service's planned releases is
sequential, because each outcome depends on the state before it: a failed deploy is retried or
abandoned, a bad release is reverted by redeploying the version production ran before, a
hotfix patches whatever production runs.

Deployment rows are lists in the header order of the deployment log, with integer timestamps;
the inbox writer formats them. Ids are filled in once all services are merged and sorted.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np

from assets.sample.catalogue import CHAIN, PRODUCTION, UNPINNED, Service
from assets.sample.clock import DAY, HOUR, MINUTE, WEEK, Clock, is_off_hours
from assets.sample.plan import HOTFIX, MIN_PROD_GAP, REGULAR, Release, between, plan_releases
from assets.sample.versions import Versions

SUCCEEDED, FAILED, ROLLED_BACK = "succeeded", "failed", "rolled_back"
ROLLBACK = "rollback"
CI_BOT = "ci-bot"
#: a deploy to the next environment starts at least this long after the previous one finished
ENV_GAP = 5 * MINUTE
PROD_DURATION_MEDIAN = (20 * MINUTE, 5 * MINUTE)
PREPRODUCTION_FAILURE = 0.05
HOTFIX_FAILURE = 0.1
MAJOR_BUMP = 0.03
#: how a failed production release fails: status failed, status rolled_back, or a successful
#: deploy reverted by a later deploy of the previous version
OUTCOMES = ("failed", "rolled_back", "reverted")
OUTCOME_WEIGHTS = (0.45, 0.30, 0.25)
RETRY_AFTER_FAILURE = 0.6
#: reverts marked change_type=rollback; the rest are found only from the version history
ROLLBACK_TYPE_SHARE = 2 / 3
INCIDENT_PROBABILITY = {
    "succeeded": 0.035,
    "failed": 0.2,
    "rolled_back": 0.45,
    "reverted": 0.6,
    "hotfix": 0.02,
}
#: share of deployment-caused incidents whose record names the deployment
KNOWN_CAUSE = 0.72
#: incidents with no deployment behind them, per service per week
BACKGROUND_INCIDENTS = 0.012
#: the latest incidents are still open at the end of history
OPEN_AT_END = 3
SEVERITIES = ("sev1", "sev2", "sev3", "sev4")
SEVERITY_WEIGHTS = (0.05, 0.20, 0.45, 0.30)
RESTORE_MEDIAN = {"sev1": 0.75 * HOUR, "sev2": 2 * HOUR, "sev3": 4 * HOUR, "sev4": 10 * HOUR}
RESTORE_LIMITS = (6 * MINUTE, 60 * HOUR)


def failure_probability(changes: int, off_hours: bool) -> float:
    """Bigger batches fail more: ~4 % for one change, ~36 % from 21; off-hours ×1.5."""
    p = 0.04 + 0.32 * min(1.0, max(0.0, (changes - 1) / 20))
    return min(0.6, p * (1.5 if off_hours else 1.0))


def restore_seconds(rnd: random.Random, severity: str) -> int:
    """Time to restore service: minutes to a couple of days, faster for worse severities."""
    low, high = RESTORE_LIMITS
    return int(min(high, max(low, rnd.lognormvariate(0, 0.9) * RESTORE_MEDIAN[severity])))


@dataclass
class ServiceHistory:
    """What one service went through; inventory snapshots are derived from ``timelines``."""

    service: Service
    deployments: list[list] = field(default_factory=list)
    incidents: list[list] = field(default_factory=list)
    #: environment → successful deploys in order: (finished_at, version, build)
    timelines: dict[str, list[tuple[int, str, int]]] = field(default_factory=dict)
    #: build → when it was built (its base image follows the era)
    built_at: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Shipment:
    """What every deployment of one build within one release has in common."""

    build: int
    changes: int | None
    first_commit: int | None
    change_type: str


class _Simulation:
    """The sequential walk over one service's releases."""

    def __init__(self, service: Service, clock: Clock, seed: int) -> None:
        self.service = service
        self.clock = clock
        self.rng = np.random.default_rng([seed, 303, service.index])
        self.rnd = random.Random(int(self.rng.integers(2**62)))
        self.versions = Versions(service, self.rng, seed)
        self.history = ServiceHistory(service, timelines={env: [] for env in CHAIN})
        self.version_of: dict[int, str] = {}
        self.last_finish = dict.fromkeys(CHAIN, clock.start_ts - DAY)
        self.current_prod: int | None = None
        #: the build running everywhere before the history (none for a service launched in it)
        self.initial: int | None = None
        if service.scenario.first_seen is None:
            self.initial = self._build(clock.start_ts - 30 * DAY)
            for env in CHAIN:
                self.history.timelines[env].append((0, self.version_of[self.initial], self.initial))
            self.current_prod = self.initial

    def run(self) -> ServiceHistory:
        for release in plan_releases(self.service, self.clock, self.rng):
            if release.kind == HOTFIX:
                self._hotfix(release)
            else:
                self._regular(release)
        return self.history

    # -- building blocks ---------------------------------------------------------------------

    def _build(self, built_at: int, hotfix_of: int | None = None) -> int:
        build = len(self.history.built_at)
        self.history.built_at[build] = built_at
        if hotfix_of is None:
            bump_major = self.rnd.random() < MAJOR_BUMP
            self.version_of[build] = self.versions.regular(build, built_at, bump_major)
        else:
            self.version_of[build] = self.versions.hotfix(self.version_of[hotfix_of])
        return build

    def _person(self) -> str:
        return self.rnd.choice(self.service.people)

    def _pipeline_or_person(self, env: str, ts: int) -> str:
        """Early releases are pushed by hand; automation takes over with the years."""
        progress = self.clock.progress(ts)
        bot_share = 0.15 + 0.8 * progress if env == PRODUCTION else 0.7 + 0.3 * progress
        return CI_BOT if self.rnd.random() < bot_share else self._person()

    def _deploy(
        self,
        env: str,
        shipment: _Shipment,
        status: str,
        start: int,
        duration: int,
        who: str | None = None,
    ) -> list | None:
        """Record one deployment; past the end of history it changes state but is not written."""
        finish = start + max(30, duration)
        self.last_finish[env] = finish
        if status == SUCCEEDED and env == PRODUCTION:
            self.current_prod = shipment.build
        if start > self.clock.end_ts:
            return None
        version = self.version_of[shipment.build]
        row = [
            None,
            self.service.name,
            env,
            version,
            status,
            start,
            finish,
            self.service.team,
            shipment.changes,
            shipment.first_commit,
            self.versions.commit_sha(shipment.build),
            shipment.change_type,
            who or self._pipeline_or_person(env, start),
        ]
        self.history.deployments.append(row)
        if status == SUCCEEDED:
            self.history.timelines[env].append((finish, version, shipment.build))
        return row

    def _incident(self, cause: list | None, opened: int, resolved: int | None = None) -> None:
        """An incident after a deployment; its record names the deployment most of the time."""
        if cause is None:  # the deployment lies past the end of history
            return
        severity = self.rnd.choices(SEVERITIES, SEVERITY_WEIGHTS)[0]
        if resolved is None:
            resolved = opened + restore_seconds(self.rnd, severity)
        known = cause if self.rnd.random() < KNOWN_CAUSE else None
        self.history.incidents.append([None, self.service.name, opened, resolved, severity, known])

    # -- releases ----------------------------------------------------------------------------

    def _regular(self, release: Release) -> None:
        """Promote a new build through the environments the release reaches, in chain order."""
        first = min(release.times.values())
        shipment = _Shipment(self._build(first), release.changes, first - release.coding, REGULAR)
        ready = first - ENV_GAP
        for env in CHAIN:
            if env not in release.times:
                continue
            start = max(release.times[env], self.last_finish[env] + ENV_GAP, ready + ENV_GAP)
            if env == PRODUCTION:
                self._production(shipment, start, release.forced)
            else:
                ready = self._preproduction(shipment, env, start, release.forced)

    def _preproduction(self, shipment: _Shipment, env: str, start: int, forced: bool) -> int:
        """Deploy to a pre-production environment (retrying a failure); return the finish."""
        duration = self.rnd.randint(90, 480)
        if not forced and self.rnd.random() < PREPRODUCTION_FAILURE:
            self._deploy(env, shipment, FAILED, start, duration // 2)
            start = self.last_finish[env] + self.rnd.randint(10 * MINUTE, 2 * HOUR)
        self._deploy(env, shipment, SUCCEEDED, start, duration)
        return start + duration

    def _production(self, shipment: _Shipment, start: int, forced: bool) -> None:
        start = max(start, self.last_finish[PRODUCTION] + MIN_PROD_GAP)
        progress = self.clock.progress(start)
        duration = int(self.rnd.lognormvariate(0, 0.4) * between(*PROD_DURATION_MEDIAN, progress))
        p_fail = failure_probability(shipment.changes or 1, is_off_hours(start))
        if forced or self.rnd.random() >= p_fail:
            row = self._deploy(PRODUCTION, shipment, SUCCEEDED, start, duration)
            if self.rnd.random() < INCIDENT_PROBABILITY["succeeded"]:
                delay = min(60 * HOUR, int(self.rnd.lognormvariate(0, 1) * 5 * HOUR))
                self._incident(row, start + duration + delay)
            return
        outcome = self.rnd.choices(OUTCOMES, OUTCOME_WEIGHTS)[0]
        previous = self.current_prod
        # a revert goes back to a version seen in the log, and one that differs from this one
        revertible = previous not in (None, self.initial) and self.service.versioning != UNPINNED
        if outcome == "reverted" and previous is not None and revertible:
            self._revert(shipment, previous, start, duration)
        else:
            self._fail(shipment, FAILED if outcome == "failed" else ROLLED_BACK, start, duration)

    def _revert(self, shipment: _Shipment, previous: int, start: int, duration: int) -> None:
        """A deploy that succeeds, then is undone by redeploying the previous version."""
        row = self._deploy(PRODUCTION, shipment, SUCCEEDED, start, duration)
        finish = self.last_finish[PRODUCTION]
        back = finish + self.rnd.randint(20 * MINUTE, 6 * HOUR)
        change_type = ROLLBACK if self.rnd.random() < ROLLBACK_TYPE_SHARE else REGULAR
        undo = _Shipment(previous, None, None, change_type)
        self._deploy(PRODUCTION, undo, SUCCEEDED, back, self.rnd.randint(120, 600), self._person())
        if self.rnd.random() < INCIDENT_PROBABILITY["reverted"]:
            opened = finish + int((back - finish) * self.rnd.uniform(0.1, 0.8))
            restored = self.last_finish[PRODUCTION] + self.rnd.randint(5 * MINUTE, 45 * MINUTE)
            self._incident(row, opened, restored)

    def _fail(self, shipment: _Shipment, status: str, start: int, duration: int) -> None:
        """A deploy that fails (or is rolled back by the pipeline); fixed and retried, or not."""
        row = self._deploy(
            PRODUCTION, shipment, status, start, int(duration * self.rnd.uniform(0.3, 1.2))
        )
        if self.rnd.random() < INCIDENT_PROBABILITY[status]:
            opened = self.last_finish[PRODUCTION] + self.rnd.randint(MINUTE, 40 * MINUTE)
            self._incident(row, opened)
        if self.rnd.random() < RETRY_AFTER_FAILURE:  # otherwise abandoned: staging stays ahead
            retry = self.last_finish[PRODUCTION] + self.rnd.randint(HOUR, 6 * HOUR)
            self._deploy(PRODUCTION, shipment, SUCCEEDED, retry, duration)

    def _hotfix(self, release: Release) -> None:
        """A patch of what production runs, deployed straight to production by a person."""
        if self.current_prod is None:
            return
        start = max(release.anchor, self.last_finish[PRODUCTION] + MIN_PROD_GAP)
        first_commit = start - release.coding
        build = self._build(first_commit, hotfix_of=self.current_prod)
        shipment = _Shipment(build, release.changes, first_commit, HOTFIX)
        who = self._person()
        duration = self.rnd.randint(120, 600)
        if not release.forced and self.rnd.random() < HOTFIX_FAILURE:
            self._deploy(PRODUCTION, shipment, FAILED, start, duration, who)
            start = self.last_finish[PRODUCTION] + self.rnd.randint(30 * MINUTE, 90 * MINUTE)
        row = self._deploy(PRODUCTION, shipment, SUCCEEDED, start, duration, who)
        if self.rnd.random() < INCIDENT_PROBABILITY["hotfix"]:
            self._incident(row, start + duration + self.rnd.randint(10 * MINUTE, 12 * HOUR))


@dataclass
class History:
    """The whole organisation: per-service histories plus merged, numbered rows."""

    services: list[ServiceHistory]
    deployments: list[list]
    incidents: list[list]


def simulate_history(services: list[Service], clock: Clock, seed: int) -> History:
    """Simulate every service, add background incidents, and number the rows in time order."""
    histories = [_Simulation(service, clock, seed).run() for service in services]
    deployments = [row for h in histories for row in h.deployments]
    deployments.sort(key=lambda row: (row[5], row[1], CHAIN.index(row[2])))
    for number, row in enumerate(deployments, start=1):
        row[0] = f"dep-{number:08d}"

    incidents = [row for h in histories for row in h.incidents]
    incidents.extend(_background_incidents(services, clock, seed))
    incidents = [row for row in incidents if clock.start_ts <= row[2] <= clock.end_ts]
    for row in incidents:
        if row[3] is not None and row[3] > clock.end_ts:
            row[3] = None  # still open at the end of history
    incidents.sort(key=lambda row: (row[2], row[1]))
    for row in incidents[-OPEN_AT_END:]:
        row[3] = None
    for number, row in enumerate(incidents, start=1):
        row[0] = f"INC-{number:06d}"
    return History(histories, deployments, incidents)


def _background_incidents(services: list[Service], clock: Clock, seed: int) -> list[list]:
    """Incidents with no deployment behind them (capacity, dependencies, bad data)."""
    rng = np.random.default_rng([seed, 404])
    rnd = random.Random(int(rng.integers(2**62)))
    running = [s for s in services if s.scenario.first_seen is None]
    rows: list[list] = []
    counts = rng.poisson(BACKGROUND_INCIDENTS * len(running), clock.weeks)
    for week, count in enumerate(counts.tolist()):
        for _ in range(count):
            opened = clock.first_monday_ts + week * WEEK + rnd.randrange(WEEK)
            severity = rnd.choices(SEVERITIES, SEVERITY_WEIGHTS)[0]
            resolved = opened + restore_seconds(rnd, severity)
            rows.append([None, rnd.choice(running).name, opened, resolved, severity, None])
    return rows
