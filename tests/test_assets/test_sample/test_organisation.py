"""The sample organisation: deterministic files in the input formats, telling its story.

The story is checked from the written files alone, with pandas, the way a reader of the
inbox would see it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from assets.ingest.adapters.pagerduty import parse_pagerduty_incidents
from assets.ingest.readers import ReadOptions, load_document
from assets.sample.organisation import SampleSummary, last_sunday, write_sample_organisation
from assets.settings import parse_settings

END = dt.date(2026, 11, 22)  # a Sunday
WEEKS = 104
START = END - dt.timedelta(days=WEEKS * 7 - 1)  # a Monday
DEPLOYMENT_HEADER = (
    "deployment_id,service,environment,version,status,started_at,finished_at,team,"
    "change_count,first_commit_at,commit_sha,change_type,triggered_by"
)
INVENTORY_HEADER = (
    "captured_at,environment,service,version,image,config_hash,config.replicas,"
    "config.log_level,config.feature_flags,config.db_url,dep.postgres,dep.redis,dep.base_image"
)
# the aliases the default configuration maps
ENVIRONMENT_ALIASES = {"production": "prod", "prd": "prod", "stg": "staging"}
STATUS_ALIASES = {"success": "succeeded", "failure": "failed", "rollback": "rolled_back"}
STATUSES = {"succeeded", "failed", "rolled_back", "cancelled"}
SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)$")


@dataclass
class Inbox:
    summary: SampleSummary
    raw: pd.DataFrame  # every deployment row as text, with its file
    deployments: pd.DataFrame  # valid rows, aliases mapped, timestamps parsed
    incidents: pd.DataFrame  # every incident record
    inventory: pd.DataFrame


def _incidents(path: Path) -> list[dict[str, Any]]:
    """A file's incidents as canonical records (PagerDuty pages through their adapter)."""
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text().splitlines()]
    options = ReadOptions(parse_settings({}))
    records = parse_pagerduty_incidents(
        load_document(path, path.read_bytes(), "json"), path, options
    )
    # PagerDuty has no environment: the ingest gives these the production default
    return [
        {key: value for key, value in r.items() if key != "pagerduty"} | {"environment": "prod"}
        for r in records
    ]


def _read_deployments(folder: Path) -> pd.DataFrame:
    frames = []
    for path in sorted(folder.iterdir()):
        if path.suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        else:
            records = [json.loads(line) for line in path.read_text().splitlines()]
            frame = pd.DataFrame(records).astype(object).fillna("").astype(str)
        frames.append(frame.assign(file=path.name))
    return pd.concat(frames, ignore_index=True)


def _timestamps(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values.where(values != ""), utc=True, format="ISO8601", errors="coerce")


def _defects(raw: pd.DataFrame) -> pd.Series:
    """Which contract rule each raw deployment row breaks ("" when none)."""
    status = raw.status.replace(STATUS_ALIASES)
    started, finished = _timestamps(raw.started_at), _timestamps(raw.finished_at)
    changes = pd.to_numeric(raw.change_count.where(raw.change_count != ""))
    first_of_id = raw.groupby(["file", "deployment_id"]).cumcount() == 0
    columns = DEPLOYMENT_HEADER.split(",")
    same_as_first = raw.groupby(["file", "deployment_id"])[columns].transform("first")
    identical = (raw[columns] == same_as_first).all(axis=1)
    defect = pd.Series("", index=raw.index)
    defect[raw.service == ""] = "missing_service"
    defect[~status.isin(STATUSES)] = "unknown_status"
    defect[started.isna()] = "unparseable_timestamp"
    defect[finished < started] = "finished_before_started"
    defect[changes < 0] = "negative_change_count"
    defect[~first_of_id & ~identical] = "conflicting_duplicate_id"
    defect[~first_of_id & identical] = "exact_duplicate"
    return defect


def _load(out: Path, summary: SampleSummary) -> Inbox:
    raw = _read_deployments(out / "deployments")
    valid = raw[_defects(raw) == ""].copy()
    valid["environment"] = valid.environment.replace(ENVIRONMENT_ALIASES)
    valid["status"] = valid.status.replace(STATUS_ALIASES)
    for column in ("started_at", "finished_at", "first_commit_at"):
        valid[column] = _timestamps(valid[column])
    valid["change_count"] = pd.to_numeric(valid.change_count.where(valid.change_count != ""))
    incidents = pd.DataFrame(
        [record for path in sorted((out / "incidents").iterdir()) for record in _incidents(path)]
    )
    inventory = pd.concat(
        [
            pd.read_csv(path, dtype=str, keep_default_na=False)
            for path in sorted((out / "inventory").iterdir())
        ],
        ignore_index=True,
    )
    return Inbox(summary, raw, valid.sort_values("started_at"), incidents, inventory)


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Inbox:
    out = tmp_path_factory.mktemp("inbox")
    return _load(out, write_sample_organisation(out, weeks=WEEKS, seed=7, end=END))


@pytest.fixture(scope="module")
def production(inbox: Inbox) -> pd.DataFrame:
    frame = inbox.deployments[inbox.deployments.environment == "prod"].copy()
    frame["week"] = (frame.started_at.dt.tz_localize(None) - pd.Timestamp(START)).dt.days // 7
    return frame


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.*"))}


# -- determinism, layout, counts -------------------------------------------------------------


def test_same_arguments_write_identical_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        write_sample_organisation(tmp_path / name, weeks=10, seed=seed, end=END)
    first, again, other = (_files(tmp_path / name) for name in "abc")
    assert first == again
    shared = first.keys() & other.keys()
    assert shared and all(first[name] != other[name] for name in shared)


def test_files_are_named_by_iso_week_or_month_with_exact_headers(inbox: Inbox) -> None:
    out = inbox.summary.out_dir
    deployments = sorted(p.name for p in (out / "deployments").iterdir())
    assert len(deployments) == 104
    assert all(re.fullmatch(r"deployments-\d{4}-W\d{2}\.(csv|jsonl)", n) for n in deployments)
    jsonl = [n for n in deployments if n.endswith(".jsonl")]
    assert 5 <= len(jsonl) <= 15  # ~10 %: both readers get exercised
    for name in deployments:
        path = out / "deployments" / name
        first_line = path.read_text().splitlines()[0]
        if name.endswith(".csv"):
            assert first_line == DEPLOYMENT_HEADER
        else:
            assert set(json.loads(first_line)) <= set(DEPLOYMENT_HEADER.split(","))
    incidents = sorted(p.name for p in (out / "incidents").iterdir())
    monthly = [n for n in incidents if not n.startswith("pagerduty-")]
    assert all(re.fullmatch(r"incidents-\d{4}-\d{2}\.jsonl", n) for n in monthly)
    assert monthly[0] == "incidents-2024-11.jsonl" and monthly[-1] == "incidents-2026-11.jsonl"
    # one recent month's incidents without a known cause come as PagerDuty REST pages
    pages = sorted(set(incidents) - set(monthly))
    assert pages and all(re.fullmatch(r"pagerduty-incidents-2026-10-p\d+\.json", n) for n in pages)
    inventory = sorted((out / "inventory").iterdir())
    assert [p.name for p in inventory][-1] == "inventory-2026-W47.csv"
    assert len(inventory) == 16  # inventory covers the last 16 weeks only
    assert all(p.read_text().splitlines()[0] == INVENTORY_HEADER for p in inventory)
    captures = pd.to_datetime(inbox.inventory.captured_at.unique(), utc=True)
    assert len(captures) == 16 * 7
    assert set(captures.strftime("%H:%M:%S")) == {"06:00:00"}
    assert captures.max() == pd.Timestamp("2026-11-22T06:00:00Z")


def test_summary_counts_what_is_in_the_files(inbox: Inbox) -> None:
    summary = inbox.summary
    assert (summary.services, summary.teams, summary.weeks) == (40, 6, 104)
    assert summary.files == sorted(p for p in summary.out_dir.rglob("*.*"))
    assert len(inbox.deployments) == summary.deployments
    assert len(inbox.inventory) == summary.inventory_rows
    rows_written = len(inbox.raw) + len(inbox.incidents)
    assert rows_written == summary.deployments + summary.incidents + summary.bad_rows
    assert sum(summary.bad_row_kinds.values()) == summary.bad_rows
    assert set(inbox.inventory.service) == set(inbox.deployments.service)
    assert inbox.deployments.team.nunique() == summary.teams


def test_bad_rows_are_a_small_share_each_breaking_one_rule(inbox: Inbox) -> None:
    found = _defects(inbox.raw).value_counts().drop("")
    expected = {
        kind.split(":")[1]: n
        for kind, n in inbox.summary.bad_row_kinds.items()
        if kind.startswith("deployments:")
    }
    assert found.to_dict() == expected
    assert set(expected) == {
        "missing_service",
        "unknown_status",
        "unparseable_timestamp",
        "finished_before_started",
        "negative_change_count",
        "conflicting_duplicate_id",
        "exact_duplicate",
    }
    assert 0.002 < sum(expected.values()) / len(inbox.raw) < 0.005
    incidents = inbox.incidents
    assert (
        incidents.service.isna().sum() == inbox.summary.bad_row_kinds["incidents:missing_service"]
    )
    assert (incidents.opened_at == "yesterday").sum() == 1
    assert incidents.incident_id.duplicated().sum() == 2  # one exact, one conflicting


def test_timestamps_are_utc_with_a_few_files_in_a_legacy_dialect(inbox: Inbox) -> None:
    raw = inbox.raw
    offset = raw.started_at.str.endswith("+01:00")
    assert raw.started_at[~offset & (raw.started_at != "yesterday")].str.endswith("Z").all()
    legacy_files = raw.file[offset].unique()
    assert 2 <= len(legacy_files) <= 12
    legacy = raw[raw.file.isin(legacy_files)]
    assert {"production", "prd", "stg"} <= set(legacy.environment)
    assert {"success", "failure"} <= set(legacy.status)
    assert set(raw.environment[~raw.file.isin(legacy_files)]) == {"dev", "test", "staging", "prod"}


# -- the story -------------------------------------------------------------------------------


def test_cadence_rises_and_teams_trend_differently(inbox: Inbox, production) -> None:
    succeeded = production[production.status == "succeeded"]
    weekly = succeeded.groupby("week").size().reindex(range(104), fill_value=0)
    assert 7 <= weekly[:8].mean() <= 14
    assert 40 <= weekly[-8:].mean() <= 65
    assert weekly[-8:].mean() >= 3 * weekly[:8].mean()
    by_team = succeeded.groupby(["team", "week"]).size().unstack(fill_value=0)
    labels = {}
    for team, counts in by_team.reindex(columns=range(104), fill_value=0).iterrows():
        window = counts.to_numpy()[-12:].astype(float)
        slope = np.polyfit(np.arange(12), window, 1)[0]
        mean = window.mean()
        labels[team] = (
            "accelerating"
            if slope > 0.05 * mean
            else "slowing"
            if slope < -0.05 * mean
            else "steady"
        )
    assert labels["platform"] == "slowing"
    assert set(labels.values()) == {"accelerating", "steady", "slowing"}


def test_release_weekends_fade_into_business_hours(production) -> None:
    first, last = production[production.week < 35], production[production.week >= 69]
    weekend = production.started_at.dt.day_of_week >= 5
    assert weekend[first.index].mean() > 0.35
    assert weekend[last.index].mean() < 0.08
    hour = production.started_at.dt.hour
    business = ~weekend & hour.between(9, 17)
    assert business[last.index].mean() > 0.8


def test_batches_shrink_and_big_ones_fail_more(production) -> None:
    regular = production[production.change_type != "rollback"]
    failed = regular.status.isin(["failed", "rolled_back"])
    assert failed[regular.change_count >= 21].mean() > 2 * failed[regular.change_count <= 5].mean()
    early, late = regular[regular.week < 8], regular[regular.week >= 96]
    assert early.change_count.median() >= 10
    assert late.change_count.quantile(0.9) <= 5
    lead = (regular.finished_at - regular.first_commit_at).dt.total_seconds() / 3600
    assert lead[early.index].median() > 72
    assert lead[late.index].median() < 24
    committed = regular.first_commit_at.notna()  # reverts ship no new commits
    assert (regular.first_commit_at[committed] <= regular.started_at[committed]).all()


def test_versions_are_promoted_through_staging_except_hotfixes(inbox: Inbox, production) -> None:
    ok = inbox.deployments[inbox.deployments.status == "succeeded"]
    first_seen = ok.groupby(["service", "environment", "version"]).started_at.min()
    staging = first_seen.xs("staging", level="environment")
    prod = first_seen.xs("prod", level="environment")
    hotfixes = set(
        production.loc[production.change_type == "hotfix", ["service", "version"]].itertuples(
            index=False, name=None
        )
    )
    for (service, version), at in prod.items():
        if (service, version) in hotfixes:
            assert (service, version) not in staging.index  # straight to production
        else:
            assert staging[(service, version)] < at
    assert len(hotfixes) >= 20


def test_failures_roll_back_by_status_and_by_version_history(production) -> None:
    assert {"failed", "rolled_back"} <= set(production.status)
    reverts = {"rollback": 0, "regular": 0}
    for _, deploys in production[production.status == "succeeded"].groupby("service"):
        versions = deploys.version.tolist()
        for i, (version, change_type) in enumerate(zip(versions, deploys.change_type, strict=True)):
            if i >= 2 and version in versions[: i - 1] and version != versions[i - 1]:
                reverts[change_type] += 1
            elif change_type == "rollback":
                pytest.fail(f"rollback deploy of {version} returns to no earlier version")
    assert reverts["rollback"] >= 20
    assert reverts["regular"] >= 5  # found only from the version history


def test_version_schemes_and_commit_metadata(inbox: Inbox) -> None:
    deployments = inbox.deployments
    by_service = deployments.groupby("service").version.agg(set)
    assert all(re.fullmatch(r"[0-9a-f]{7}", v) for v in by_service["recommendations"])
    assert all(re.fullmatch(r"20\d\d\.\d\d\.\d+", v) for v in by_service["scheduler"])
    assert all(v.startswith("v") and SEMVER.match(v) for v in by_service["search-api"])
    assert by_service["feature-flags"] == {"latest"}
    semver_services = by_service.drop(["recommendations", "scheduler", "feature-flags"])
    assert all(SEMVER.match(v) for versions in semver_services for v in versions)
    assert deployments.commit_sha.str.fullmatch(r"[0-9a-f]{40}").all()
    assert (deployments.triggered_by == "ci-bot").mean() > 0.5
    assert deployments.triggered_by.str.fullmatch(r"[a-z]+\.[a-z]+").any()


def test_incidents_follow_deployments_some_with_a_known_cause(inbox: Inbox, production) -> None:
    incidents = inbox.incidents.drop_duplicates("incident_id")
    incidents = incidents[incidents.service.notna() & (incidents.opened_at != "yesterday")]
    assert 6 <= len(production) / len(incidents) <= 16  # ~1 per 10 production deploys
    assert set(incidents.environment) == {"prod"}
    assert set(incidents.severity) == {"sev1", "sev2", "sev3", "sev4"}
    known = incidents[incidents.deployment_id.notna()]
    assert 0.45 <= len(known) / len(incidents) <= 0.75
    causes = production.set_index("deployment_id").loc[known.deployment_id]
    assert (causes.service.to_numpy() == known.service.to_numpy()).all()
    assert (_timestamps(known.opened_at).to_numpy() >= causes.started_at.to_numpy()).all()
    failing = production.status.isin(["failed", "rolled_back"])
    caused = production.deployment_id.isin(known.deployment_id)
    assert caused[failing].mean() > 3 * caused[~failing].mean()
    resolved = incidents[incidents.resolved_at.notna()]
    restore = _timestamps(resolved.resolved_at) - _timestamps(resolved.opened_at)
    assert restore.min() < pd.Timedelta(minutes=30) and restore.max() > pd.Timedelta(hours=24)
    assert 3 <= incidents.resolved_at.isna().sum() <= 10


def _snapshot(inventory: pd.DataFrame, captured_at: str, env: str) -> pd.DataFrame:
    rows = inventory[(inventory.captured_at == captured_at) & (inventory.environment == env)]
    return rows.drop(columns=["captured_at", "environment"]).set_index("service")


def test_last_snapshot_shows_every_drift_kind(inbox: Inbox) -> None:
    inventory = inbox.inventory
    last = inventory.captured_at.max()
    staging, prod = _snapshot(inventory, last, "staging"), _snapshot(inventory, last, "prod")

    def semver(version: str) -> tuple[int, ...]:
        return tuple(int(part) for part in SEMVER.match(version).groups())

    def differs(service: str) -> set[str]:
        same = staging.loc[service] == prod.loc[service]
        return set(same[~same].index)

    for service in ("notifications", "device-registry"):  # behind
        assert semver(staging.version[service]) > semver(prod.version[service])
    assert semver(prod.version["checkout-web"]) > semver(staging.version["checkout-web"])  # ahead
    assert "offline-sync" in staging.index and "offline-sync" not in prod.index
    assert "audit-log" in prod.index and "audit-log" not in staging.index
    assert differs("accounts") == {"config.log_level", "config_hash"}
    assert differs("api-gateway") == {"config.replicas", "config_hash"}
    assert differs("payouts") == {"config.db_url", "config_hash"}
    assert differs("catalog") == {"dep.postgres"}
    assert differs("feature-flags") == {"image"}  # same tag, another digest
    assert staging.version["feature-flags"] == prod.version["feature-flags"] == "latest"


def test_some_drift_opens_and_closes_within_the_inventory_history(inbox: Inbox) -> None:
    inventory = inbox.inventory
    pricing = inventory[
        (inventory.service == "pricing") & inventory.environment.isin(["staging", "prod"])
    ]
    versions = pricing.pivot(index="captured_at", columns="environment", values="version")
    behind = (versions["staging"] != versions["prod"]).astype(int).to_numpy()
    changes = np.diff(behind)
    opened, closed = np.flatnonzero(changes == 1), np.flatnonzero(changes == -1)
    # a run of captures with staging ahead that both starts and ends inside the history
    assert any(closed[closed > first].size for first in opened)
    cart = inventory[
        (inventory.service == "cart") & inventory.environment.isin(["staging", "prod"])
    ]
    levels = cart.pivot(index="captured_at", columns="environment", values="config.log_level")
    assert 3 <= (levels["staging"] != levels["prod"]).sum() <= 5
    assert levels["staging"].iloc[-1] == levels["prod"].iloc[-1]


def test_image_digests_hash_service_and_version(inbox: Inbox) -> None:
    image = inbox.inventory.image.str.extract(
        r"^registry\.example\.com:5000/(?P<team>[\w-]+)/(?P<service>[\w-]+):(?P<tag>[^@]+)"
        r"@sha256:(?P<digest>[0-9a-f]{64})$"
    )
    assert image.notna().all().all()
    assert (image.service == inbox.inventory.service).all()
    assert (image.tag == inbox.inventory.version).all()
    pinned = image[image.service != "feature-flags"].drop_duplicates()
    expected = [
        hashlib.sha256(f"{s}:{t}".encode()).hexdigest()
        for s, t in zip(pinned.service, pinned.tag, strict=True)
    ]
    assert pinned.digest.tolist() == expected


# -- the API ---------------------------------------------------------------------------------


def test_scale_multiplies_services_and_teams(tmp_path: Path) -> None:
    summary = write_sample_organisation(tmp_path, weeks=8, scale=2, end=END)
    assert (summary.services, summary.teams) == (80, 12)
    raw = _read_deployments(tmp_path / "deployments")
    pairs = set(zip(raw.service, raw.team, strict=True))
    assert ("cart-2", "checkout-2") in pairs and ("cart", "checkout") in pairs


@pytest.mark.parametrize("bad", [{"weeks": 7}, {"scale": 0}])
def test_rejects_histories_too_short_for_the_story(tmp_path: Path, bad: dict) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        write_sample_organisation(tmp_path, end=END, **bad)


@pytest.mark.parametrize(
    ("today", "sunday"),
    [
        (dt.date(2026, 11, 23), dt.date(2026, 11, 22)),  # Monday
        (dt.date(2026, 11, 22), dt.date(2026, 11, 15)),  # Sunday: strictly before
        (dt.date(2026, 11, 21), dt.date(2026, 11, 15)),  # Saturday
    ],
)
def test_last_sunday_is_strictly_before_today(today: dt.date, sunday: dt.date) -> None:
    assert last_sunday(today) == sunday
