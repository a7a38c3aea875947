"""Version strings and commit shas in a service's scheme.

Semver (optionally ``v``-prefixed): a regular release bumps the minor (now and then the major),
a hotfix bumps the patch of what production runs, never reusing a number. Calver
(``YYYY.MM.N``) counts releases within the build month; git-sha versions are the short sha of
the build's commit, orderable only by when they were first deployed; the mutable-tag service
deploys ``latest`` every time.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np

from assets.sample.catalogue import CALVER, GIT_SHA, SEMVER, V_SEMVER, Service
from assets.sample.clock import DAY

SHORT_SHA = 7
MUTABLE_TAG = "latest"


class Versions:
    """Hands out the version of each build of one service."""

    def __init__(self, service: Service, rng: np.random.Generator, seed: int) -> None:
        self.scheme = service.versioning
        self.prefix = "v" if self.scheme == V_SEMVER else ""
        self.major = int(rng.integers(1, 4))
        self.minor = int(rng.integers(0, 16))
        self.max_patch: dict[tuple[int, int], int] = {}
        self.parts: dict[str, tuple[int, int, int]] = {}
        self.per_month: dict[tuple[int, int], int] = {}
        self.key = f"{seed}:{service.name}"

    def commit_sha(self, build: int) -> str:
        """The 40-hex commit a build was made from."""
        return hashlib.sha1(f"{self.key}:{build}".encode()).hexdigest()

    def _semver(self, parts: tuple[int, int, int]) -> str:
        text = f"{self.prefix}{parts[0]}.{parts[1]}.{parts[2]}"
        self.parts[text] = parts
        self.max_patch[parts[:2]] = max(parts[2], self.max_patch.get(parts[:2], 0))
        return text

    def regular(self, build: int, built_at: int, bump_major: bool) -> str:
        """The version of a regular build (build 0 is the one running before the history)."""
        if self.scheme in (SEMVER, V_SEMVER):
            if build > 0 and bump_major:
                self.major, self.minor = self.major + 1, 0
            elif build > 0:
                self.minor += 1
            return self._semver((self.major, self.minor, 0))
        if self.scheme == CALVER:
            day = dt.date(1970, 1, 1) + dt.timedelta(days=built_at // DAY)
            month = (day.year, day.month)
            self.per_month[month] = self.per_month.get(month, 0) + 1
            return f"{day.year}.{day.month:02d}.{self.per_month[month]}"
        if self.scheme == GIT_SHA:
            return self.commit_sha(build)[:SHORT_SHA]
        return MUTABLE_TAG

    def hotfix(self, current: str) -> str:
        """A patch of the semver version ``current``: the next unused patch number."""
        major, minor, _ = self.parts[current]
        return self._semver((major, minor, self.max_patch[(major, minor)] + 1))
