"""Who ships what: the sample organisation's teams, services and the drift stories they play.

Six team templates of 6–7 services (40 in all) are repeated ``scale`` times; copies get a
``-<n>`` suffix (``cart-2`` in team ``checkout-2``) and play the same scenarios. Each team has
a release cadence: three adopt frequent releases at different times and then hold steady, two
are still accelerating over the trailing weeks, and ``platform`` slows down at the end, so the
cadence chart shows all three trend labels.

A handful of services carry a :class:`Scenario`: quiet windows, injected releases, a prod
freeze and inventory overrides, placed a fixed number of days before the end of history so the
last inventory snapshot shows every drift kind (README: Drift) (see :data:`DRIFT_ROLES`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from assets.sample.clock import FOREVER, Clock

CHAIN = ("dev", "test", "staging", "prod")
BASELINE = "staging"
PRODUCTION = "prod"

#: successful production releases per service per week before any team adopts agile practices
BASE_RATE = 0.25
#: the trailing window of the cadence trend (``metrics.trailing_weeks`` default)
TRAILING_WEEKS = 12
#: how much of its rate a slowing team loses over the trailing window
SLOWING_DECLINE = 0.7

#: version schemes: semver (most), semver with a ``v`` prefix, calver, git sha, a mutable tag
SEMVER, V_SEMVER, CALVER, GIT_SHA, UNPINNED = "semver", "v-semver", "calver", "git-sha", "unpinned"
_VERSIONING = {
    "search-api": V_SEMVER,
    "recommendations": GIT_SHA,
    "scheduler": CALVER,
    "feature-flags": UNPINNED,
}
RUNTIMES = ("python", "jvm", "node", "go")


@dataclass(frozen=True)
class Cadence:
    """How a team's release rate (per service per week) changes over the history.

    ``steady`` and ``slowing`` teams ramp from :data:`BASE_RATE` to ``peak`` between the
    fractions ``adopt_from`` and ``adopt_to`` of the history; a ``slowing`` team then loses
    :data:`SLOWING_DECLINE` of its rate over the trailing window. An ``accelerating`` team
    ramps over the last ``lead_in`` weeks before the trailing window and through it.
    """

    shape: str
    peak: float
    adopt_from: float = 0.0
    adopt_to: float = 1.0
    lead_in: int = 0


def _clip(value: float) -> float:
    return min(1.0, max(0.0, value))


def trailing_weeks(weeks: int) -> int:
    """The trend window, shortened for short histories so the shapes still fit."""
    return min(TRAILING_WEEKS, max(4, weeks // 4))


def release_rate(cadence: Cadence, week: int, weeks: int) -> float:
    """Expected production releases of one service of a team in week ``week`` (0-based)."""
    week = min(week, weeks - 1)
    tail = trailing_weeks(weeks)
    if cadence.shape == "accelerating":
        first = max(0, weeks - tail - cadence.lead_in)
        progress = (week - first) / max(1, weeks - 1 - first)
    else:
        fraction = week / max(1, weeks - 1)
        progress = (fraction - cadence.adopt_from) / (cadence.adopt_to - cadence.adopt_from)
    rate = BASE_RATE + (cadence.peak - BASE_RATE) * _clip(progress)
    if cadence.shape == "slowing":
        rate *= 1 - SLOWING_DECLINE * _clip((week - (weeks - tail)) / max(1, tail - 1))
    return rate


@dataclass(frozen=True)
class TeamTemplate:
    name: str
    cadence: Cadence
    services: tuple[str, ...]


TEAMS = (
    TeamTemplate(
        "payments",
        Cadence("steady", peak=1.5, adopt_from=0.10, adopt_to=0.45),
        ("payments-api", "ledger", "billing", "invoicing", "refunds", "fraud-check", "payouts"),
    ),
    TeamTemplate(
        "checkout",
        Cadence("steady", peak=1.6, adopt_from=0.30, adopt_to=0.60),
        (
            "cart",
            "checkout-web",
            "pricing",
            "promotions",
            "tax-calc",
            "order-service",
            "shipping-quotes",
        ),
    ),
    TeamTemplate(
        "identity",
        Cadence("steady", peak=1.4, adopt_from=0.45, adopt_to=0.70),
        ("auth", "accounts", "sso-gateway", "user-profile", "permissions", "session-store"),
    ),
    TeamTemplate(
        "search",
        Cadence("accelerating", peak=2.4, lead_in=2),
        ("search-api", "indexer", "catalog", "recommendations", "autocomplete", "ranking"),
    ),
    TeamTemplate(
        "platform",
        Cadence("slowing", peak=1.5, adopt_from=0.05, adopt_to=0.35),
        (
            "api-gateway",
            "notifications",
            "feature-flags",
            "config-service",
            "audit-log",
            "scheduler",
            "metrics-collector",
        ),
    ),
    TeamTemplate(
        "mobile-api",
        Cadence("accelerating", peak=2.6, lead_in=0),
        (
            "mobile-bff",
            "push-service",
            "app-config",
            "device-registry",
            "media-upload",
            "deep-links",
            "offline-sync",
        ),
    ),
)

_FIRST_NAMES = (
    "alice", "bruno", "chen", "dana", "emeka", "farah", "goran", "hana", "ivan", "jade",
    "kofi", "lena", "mateo", "nina", "omar", "priya", "quinn", "rosa", "sven", "tara",
)  # fmt: skip
_LAST_NAMES = (
    "nguyen", "okafor", "silva", "schmidt", "tanaka", "kowalski", "haddad", "larsen",
    "moreau", "patel", "rossi", "yilmaz", "fischer", "novak", "garcia", "ahmed",
)  # fmt: skip
PEOPLE_PER_TEAM = 3


@dataclass(frozen=True)
class Injected:
    """A release placed by a scenario: the start time in each environment it reaches."""

    times: dict[str, int]
    kind: str = "regular"


@dataclass(frozen=True)
class Override:
    """An inventory value that differs from what the deployed version implies, for a while."""

    environments: tuple[str, ...]
    column: str  # a flat inventory column, e.g. ``config.log_level`` or ``dep.postgres``
    value: str
    since: int = 0
    until: int = FOREVER

    def active(self, environment: str, ts: int) -> bool:
        return environment in self.environments and self.since <= ts < self.until


@dataclass(frozen=True)
class Absence:
    """A service removed from one environment's inventory from ``since`` on."""

    environment: str
    since: int


@dataclass(frozen=True)
class Scenario:
    """What a service's history must contain so a drift kind shows at the end (or comes and goes).

    ``quiet`` windows drop planned releases that would touch them, so an injected release is
    the last word; ``prod_frozen_from`` stops production releases (pre-production continues);
    ``first_seen`` makes a new service with no history before it.
    """

    quiet: tuple[tuple[int, int], ...] = ()
    injected: tuple[Injected, ...] = ()
    prod_frozen_from: int | None = None
    first_seen: int | None = None
    overrides: tuple[Override, ...] = ()
    absences: tuple[Absence, ...] = ()


def _release(clock: Clock, days: int, hour: int = 9, *, prod: bool = True) -> Injected:
    """A release through the whole chain within one day (or stopping at staging)."""
    times = {
        "dev": clock.at(days, hour),
        "test": clock.at(days, hour + 1),
        "staging": clock.at(days, hour + 2),
    }
    if prod:
        times[PRODUCTION] = clock.at(days, hour + 5)
    return Injected(times)


def _scenario(base: str, clock: Clock) -> Scenario:
    """The scenario a template service plays, with times counted back from the last day."""
    at = clock.at
    if base == "checkout-web":  # a hotfix reaches prod two days before the end: ahead
        return Scenario(
            quiet=((at(4), FOREVER),),
            injected=(_release(clock, 3), Injected({PRODUCTION: at(2, 15)}, kind="hotfix")),
        )
    if base == "pricing":  # staging ahead for five days, then promoted: drift opens and closes
        release = {"dev": at(27, 9), "test": at(27, 11), "staging": at(26, 10)}
        return Scenario(
            quiet=((at(29), at(20)),),
            injected=(_release(clock, 28), Injected({**release, PRODUCTION: at(21, 10)})),
        )
    if base == "notifications":  # in sync, then prod frozen for six weeks while staging moves on
        return Scenario(
            quiet=((at(44), at(42)),),
            prod_frozen_from=at(42),
            injected=(
                _release(clock, 43),
                _release(clock, 30, prod=False),
                _release(clock, 12, prod=False),
            ),
        )
    if base == "device-registry":  # the same, for three weeks
        return Scenario(
            quiet=((at(22), at(20)),),
            prod_frozen_from=at(20),
            injected=(
                _release(clock, 21),
                _release(clock, 15, prod=False),
                _release(clock, 6, prod=False),
            ),
        )
    if base == "offline-sync":  # a new service, not launched in production yet
        return Scenario(
            first_seen=at(18),
            prod_frozen_from=0,
            injected=(_release(clock, 18, prod=False),),
        )
    if base == "audit-log":  # torn down in staging, still running in production
        return Scenario(
            quiet=((at(12), FOREVER),),
            injected=(_release(clock, 11),),
            absences=(Absence(BASELINE, at(10, 12)),),
        )
    if base == "accounts":  # debug logging left on in production
        return Scenario(
            quiet=((at(11), FOREVER),),
            injected=(_release(clock, 10),),
            overrides=(Override((PRODUCTION,), "config.log_level", "debug", since=at(9, 12)),),
        )
    if base == "cart":  # the same, for four days, then fixed
        return Scenario(
            quiet=((at(42), at(35)),),
            injected=(_release(clock, 41),),
            overrides=(
                Override((PRODUCTION,), "config.log_level", "debug", at(40, 13), at(36, 16)),
            ),
        )
    if base == "api-gateway":  # more replicas in production: ignored by default config
        return Scenario(
            quiet=((at(4), FOREVER),),
            injected=(_release(clock, 3),),
            overrides=(Override((PRODUCTION,), "config.replicas", "6"),),
        )
    if base == "payouts":  # production uses a managed database endpoint: ignored (*_url)
        managed = "postgres://payouts.cluster-c9x2.eu-west-1.rds.example.com:5432/payouts"
        return Scenario(
            quiet=((at(4), FOREVER),),
            injected=(_release(clock, 3),),
            overrides=(Override((PRODUCTION,), "config.db_url", managed),),
        )
    if base == "catalog":  # postgres upgraded in pre-production only
        return Scenario(
            quiet=((at(5), FOREVER),),
            injected=(_release(clock, 4),),
            overrides=(
                Override(("dev", "test", BASELINE), "dep.postgres", "17.2", since=at(15, 20)),
            ),
        )
    if base == "feature-flags":  # deploys the tag `latest`; staging pulled a newer build
        return Scenario(
            quiet=((at(6), FOREVER),),
            injected=(_release(clock, 5), _release(clock, 3, prod=False)),
        )
    return Scenario()


#: the story each scenario tells → its template services: the drift kind (README: Drift) in the
#: last inventory snapshot, or one that opened and closed in the inventory history
DRIFT_ROLES = {
    "ahead": ("checkout-web",),
    "behind": ("notifications", "device-registry"),
    "behind_then_promoted": ("pricing",),
    "missing_in_production": ("offline-sync",),
    "missing_in_baseline": ("audit-log",),
    "config": ("accounts",),
    "config_then_fixed": ("cart",),
    "replicas_only": ("api-gateway",),
    "url_only": ("payouts",),
    "dependency": ("catalog",),
    "mutable_tag": ("feature-flags",),
}


@dataclass(frozen=True)
class Service:
    index: int
    name: str
    base: str  # the template name (``cart`` for ``cart-2``)
    team: str
    cadence: Cadence
    versioning: str
    rate_factor: float
    replicas: int
    uses_postgres: bool
    uses_redis: bool
    runtime: str
    people: tuple[str, ...]
    scenario: Scenario = field(default_factory=Scenario)


def build_catalogue(clock: Clock, seed: int, scale: int) -> list[Service]:
    """Every service of the organisation, in a fixed order (teams, then template order)."""
    rng = np.random.default_rng([seed, 101])
    services: list[Service] = []
    for copy in range(scale):
        suffix = "" if copy == 0 else f"-{copy + 1}"
        for template in TEAMS:
            people = tuple(
                f"{_FIRST_NAMES[rng.integers(len(_FIRST_NAMES))]}."
                f"{_LAST_NAMES[rng.integers(len(_LAST_NAMES))]}"
                for _ in range(PEOPLE_PER_TEAM)
            )
            for base in template.services:
                scenario = _scenario(base, clock)
                # draw every value for every service so the streams never depend on the name
                draws = rng.random(2)
                replicas = int(rng.integers(2, 6))
                services.append(
                    Service(
                        index=len(services),
                        name=base + suffix,
                        base=base,
                        team=template.name + suffix,
                        cadence=template.cadence,
                        versioning=_VERSIONING.get(base, SEMVER),
                        rate_factor=float(rng.uniform(0.7, 1.3)),
                        # api-gateway runs 2 in staging and 6 in production (its override)
                        replicas=2 if base == "api-gateway" else replicas,
                        # the url_only and dependency stories need a database
                        uses_postgres=bool(draws[0] < 0.7) or base in ("payouts", "catalog"),
                        uses_redis=bool(draws[1] < 0.5),
                        runtime=RUNTIMES[rng.integers(len(RUNTIMES))],
                        people=people,
                        scenario=scenario,
                    )
                )
    return services
