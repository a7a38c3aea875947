"""Drift marts on a hand-built three-snapshot history; every row worked out by hand.

Snapshots of staging (the baseline) and prod at 06:00 UTC on 1, 2 and 3 May 2024. The
promotion SLA is set to 24 h so a drift can be both in flight and overdue within three days.
"""

import datetime as dt

import pytest

from assets.drift.marts import build_drift_marts
from assets.ingest.loader import ingest_file
from assets.settings import parse_settings
from assets.warehouse import connect

D1, D2, D3 = dt.date(2024, 5, 1), dt.date(2024, 5, 2), dt.date(2024, 5, 3)
T1, T2, T3 = (dt.datetime(2024, 5, d, 6, tzinfo=dt.UTC) for d in (1, 2, 3))
DIGEST_A, DIGEST_B = "sha256:" + "a" * 64, "sha256:" + "b" * 64
HEADER = (
    "captured_at,environment,service,version,image,config.log_level,config.replicas,dep.postgres"
)


def snapshot(day: int, rows: list[tuple[str, str, str, str, str, str]]) -> list[str]:
    """CSV lines of one capture: (environment, service, version, image, log_level, replicas)."""
    at = f"2024-05-0{day}T06:00:00Z"
    return [
        f"{at},{env},{svc},{ver},{img},{log},{rep},{pg}"
        for env, svc, ver, img, log, rep, pg in rows
    ]


def common(day: int) -> list[tuple]:
    both = lambda svc, ver, **kw: [  # noqa: E731 - a table-building shorthand
        ("staging", svc, ver, kw.get("img", ""), kw.get("log", "info"), kw.get("rep", "2"), "15"),
        (
            "prod",
            svc,
            kw.get("prod_ver", ver),
            kw.get("prod_img", kw.get("img", "")),
            kw.get("prod_log", "info"),
            kw.get("prod_rep", "2"),
            kw.get("prod_pg", "15"),
        ),
    ]
    return [
        *both("sync", "1.0.0"),
        *both("behind", "1.3.0", prod_ver="1.1.0"),
        *both("ahead", "2.0.0", prod_ver="2.0.1"),
        ("staging", "new", "0.1.0", "", "info", "2", "15"),
        ("prod", "legacy", "9.9.9", "", "info", "2", "15"),
        *both("cfg", "3.0.0", prod_log="debug"),
        *both("scaled", "4.0.0", prod_rep="4"),
        *both("dep", "5.0.0", prod_pg="14"),
        *both("shas", "7ff399b", prod_ver="e89a132"),
        *both(
            "mutable",
            "latest",
            img=f"reg.example:5000/mutable:latest@{DIGEST_A}",
            prod_img=f"reg.example:5000/mutable:latest@{DIGEST_B}",
        ),
        *both(
            "flip",
            {1: "5.0.0", 2: "5.1.0", 3: "5.1.0"}[day],
            prod_ver={1: "5.0.0", 2: "5.0.0", 3: "5.1.0"}[day],
        ),
        *both(
            "skip",
            {1: "6.0.0", 2: "6.1.0", 3: "6.1.0"}[day],
            prod_ver={1: "5.9.0", 2: "5.9.0", 3: "6.1.0"}[day],
        ),
    ]


DEPLOYMENTS = """\
deployment_id,service,environment,version,status,started_at,finished_at,change_count
b1,behind,staging,1.1.0,succeeded,2024-04-20T10:00:00Z,2024-04-20T10:05:00Z,3
b2,behind,prod,1.1.0,succeeded,2024-04-21T10:00:00Z,2024-04-21T10:05:00Z,3
b3,behind,staging,1.2.0,succeeded,2024-04-25T10:00:00Z,2024-04-25T10:05:00Z,4
b4,behind,staging,1.3.0,succeeded,2024-04-28T10:00:00Z,2024-04-28T10:05:00Z,6
"""


@pytest.fixture
def drift(tmp_path):
    settings = parse_settings(
        {"warehouse": str(tmp_path / "w.duckdb"), "drift": {"promotion_sla_hours": 24}}
    )
    lines = [HEADER] + [line for day in (1, 2, 3) for line in snapshot(day, common(day))]
    (tmp_path / "inventory.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "deployments.csv").write_text(DEPLOYMENTS)
    conn = connect(settings.warehouse_path)
    ingest_file(conn, tmp_path / "inventory.csv", settings, kind="inventory")
    ingest_file(conn, tmp_path / "deployments.csv", settings, kind="deployments")
    counts = build_drift_marts(conn, settings)
    yield conn, counts
    conn.close()


def rows(conn, sql, params=None) -> list[dict]:
    cursor = conn.execute(sql, params or {})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def test_every_drift_kind_on_the_last_snapshot(drift):
    conn, _ = drift
    last = {
        r["service"]: r for r in rows(conn, "SELECT * FROM marts.drift WHERE as_of = $d", {"d": D3})
    }
    kinds = {service: r["drift_kind"] for service, r in last.items()}
    assert kinds == {
        "sync": "in_sync",
        "behind": "behind",
        "ahead": "ahead",
        "new": "missing_in_production",
        "legacy": "missing_in_baseline",
        "cfg": "config",
        "scaled": "config",
        "dep": "dependency",
        "shas": "unordered",  # both first seen at the same capture: no order
        "mutable": "mutable_tag",
        "flip": "in_sync",
        "skip": "in_sync",
    }
    behind = last["behind"]
    # staging received 1.2.0 (4 changes) and 1.3.0 (6 changes) after prod's 1.1.0
    assert (behind["versions_behind"], behind["pending_changes"]) == (2, 10)
    assert (behind["baseline_version"], behind["target_version"]) == ("1.3.0", "1.1.0")
    assert behind["drift_since"] == T1
    assert behind["drift_age_days"] == pytest.approx(2.0)
    assert behind["expected"] is False  # 48 h > the 24 h SLA
    # whole hours without a decimal, as the page writes them ("24 h", never "24.0 h")
    assert behind["rule"] == "behind for longer than the 24 h promotion SLA"
    assert last["scaled"]["expected"] is True  # only `replicas` differs: ignored by default
    assert last["scaled"]["rule"] == "only ignored config keys differ: replicas"
    assert last["cfg"]["expected"] is False
    assert last["cfg"]["rule"] == "config differs: log_level"
    assert last["dep"]["rule"] == "dependencies differ: postgres"
    assert last["sync"]["drift_since"] is None


def test_behind_is_in_flight_on_the_first_day(drift):
    conn, _ = drift
    (first,) = rows(
        conn, "SELECT * FROM marts.drift WHERE as_of = $d AND service = 'behind'", {"d": D1}
    )
    assert first["drift_age_days"] == pytest.approx(0.0)
    assert first["expected"] is True
    assert first["rule"] == "in flight: behind for 0 h, within the 24 h promotion SLA"


def test_drift_that_opens_and_closes(drift):
    conn, _ = drift
    history = rows(
        conn,
        "SELECT as_of, drift_kind, drift_since, drift_age_days FROM marts.drift"
        " WHERE service = 'flip' ORDER BY as_of",
    )
    assert [(r["as_of"], r["drift_kind"]) for r in history] == [
        (D1, "in_sync"),
        (D2, "behind"),
        (D3, "in_sync"),
    ]
    assert history[1]["drift_since"] == T2
    assert history[1]["drift_age_days"] == pytest.approx(0.0)
    assert history[2]["drift_since"] is None


def test_environment_matrix_since(drift):
    conn, counts = drift
    # 12 services: 10 in both environments, `new` only in staging, `legacy` only in prod
    assert counts["environment_matrix"] == 3 * (10 * 2 + 1 + 1)
    (cell,) = rows(
        conn,
        "SELECT * FROM marts.environment_matrix WHERE as_of = $d AND service = 'flip'"
        " AND environment = 'staging'",
        {"d": D3},
    )
    assert (cell["version"], cell["since"], cell["source"]) == ("5.1.0", T2, "inventory")
    (mutable,) = rows(
        conn,
        "SELECT image_digest FROM marts.environment_matrix WHERE as_of = $d"
        " AND service = 'mutable' AND environment = 'prod'",
        {"d": D3},
    )
    assert mutable["image_digest"] == DIGEST_B


def test_promotion_lag_states(drift):
    conn, _ = drift
    lag = {(r["service"], r["version"]): r for r in rows(conn, "SELECT * FROM marts.promotion_lag")}
    assert lag[("flip", "5.1.0")]["state"] == "promoted"
    assert lag[("flip", "5.1.0")]["lag_hours"] == pytest.approx(24.0)  # staging T2, prod T3
    assert lag[("ahead", "2.0.1")]["state"] == "bypassed_baseline"
    assert lag[("behind", "1.3.0")]["state"] == "in_flight"
    assert lag[("skip", "6.0.0")]["state"] == "skipped"  # prod jumped to 6.1.0
    assert lag[("skip", "6.1.0")]["state"] == "promoted"
    # deployments first: staging 04-20 10:05, prod 04-21 10:05
    assert lag[("behind", "1.1.0")]["lag_hours"] == pytest.approx(24.0)


FALLBACK_DEPLOYMENTS = """\
deployment_id,service,environment,version,status,started_at,finished_at,change_count
f1,pay,staging,2.0.0,succeeded,2024-04-29T09:00:00Z,2024-04-29T09:10:00Z,5
f2,pay,staging,2.1.0,succeeded,2024-05-02T09:00:00Z,2024-05-02T09:10:00Z,7
f3,pay,staging,2.2.0,failed,2024-05-02T12:00:00Z,2024-05-02T12:10:00Z,2
"""
PROD_ONLY_INVENTORY = """\
captured_at,environment,service,version
2024-05-01T06:00:00Z,prod,pay,2.0.0
2024-05-03T06:00:00Z,prod,pay,2.0.0
"""


def test_an_environment_without_inventory_falls_back_to_its_deployments(tmp_path):
    settings = parse_settings({"warehouse": str(tmp_path / "w.duckdb")})
    (tmp_path / "inventory.csv").write_text(PROD_ONLY_INVENTORY)
    (tmp_path / "deployments.csv").write_text(FALLBACK_DEPLOYMENTS)
    with connect(settings.warehouse_path) as conn:
        ingest_file(conn, tmp_path / "inventory.csv", settings, kind="inventory")
        ingest_file(conn, tmp_path / "deployments.csv", settings, kind="deployments")
        build_drift_marts(conn, settings)
        matrix = rows(
            conn, "SELECT as_of, environment, version, source FROM marts.environment_matrix"
        )
        drift = rows(
            conn,
            "SELECT as_of, drift_kind, versions_behind, pending_changes,"
            " drift_since FROM marts.drift ORDER BY as_of",
        )
    # staging (no inventory) as of each capture day: the last successful deployment by then
    assert sorted((r["as_of"], r["environment"], r["version"], r["source"]) for r in matrix) == [
        (D1, "prod", "2.0.0", "inventory"),
        (D1, "staging", "2.0.0", "deployments"),
        (D3, "prod", "2.0.0", "inventory"),
        (D3, "staging", "2.1.0", "deployments"),  # f3 failed: 2.2.0 never arrived
    ]
    assert [(r["as_of"], r["drift_kind"]) for r in drift] == [(D1, "in_sync"), (D3, "behind")]
    assert (drift[1]["versions_behind"], drift[1]["pending_changes"]) == (1, 7)
    # the first snapshot that showed it: the 05-03 prod capture (staging had 2.1.0 since 05-02)
    assert drift[1]["drift_since"] == T3


def test_without_any_inventory_drift_is_judged_every_sunday(tmp_path):
    settings = parse_settings({"warehouse": str(tmp_path / "w.duckdb")})
    (tmp_path / "deployments.csv").write_text(
        FALLBACK_DEPLOYMENTS
        + "f4,pay,prod,2.0.0,succeeded,2024-04-30T09:00:00Z,2024-04-30T09:10:00Z,5\n"
    )
    with connect(settings.warehouse_path) as conn:
        ingest_file(conn, tmp_path / "deployments.csv", settings, kind="deployments")
        build_drift_marts(conn, settings)
        drift = rows(conn, "SELECT as_of, drift_kind, target_version FROM marts.drift")
    assert drift == [
        {"as_of": dt.date(2024, 5, 5), "drift_kind": "behind", "target_version": "2.0.0"}
    ]


def test_indexed_versions_between_matches_the_general_rule():
    from assets.drift.drift import _SCANS_BEFORE_SORTING, ServiceHistory
    from assets.drift.versions import versions_between

    versions = [
        "1.0.0", "1.1.0-rc.1", "1.1.0", "1.2.0", "1.10.0", "2.0.0-alpha", "2.0.0-alpha.1",
        "2.0.0-alpha.beta", "2.0.0-beta.2", "2.0.0-beta.11", "2.0.0", "v2.0.1",
    ]  # fmt: skip
    history = ServiceHistory(baseline_changes=dict.fromkeys(versions, 1))
    assert history.versions_between("1.0.0", "1.2.0") == ["1.1.0-rc.1", "1.1.0", "1.2.0"]
    # every pair: the first few are answered by a scan, the rest from the sorted index
    pairs = [(a, b) for i, a in enumerate(versions) for b in versions[i:]]
    assert len(pairs) > _SCANS_BEFORE_SORTING
    for older, newer in pairs:
        assert history.versions_between(older, newer) == versions_between(older, newer, versions)
    assert history.versions_between("2.0.0-alpha", "2.0.0") == [
        "2.0.0-alpha.1", "2.0.0-alpha.beta", "2.0.0-beta.2", "2.0.0-beta.11", "2.0.0",
    ]  # fmt: skip


HOTFIX_DEPLOYMENTS = """\
deployment_id,service,environment,version,status,started_at,finished_at,change_count
h1,pay,staging,1.0.0,succeeded,2024-04-01T09:00:00Z,2024-04-01T09:10:00Z,3
h2,pay,prod,1.0.0,succeeded,2024-04-02T09:00:00Z,2024-04-02T09:10:00Z,3
h3,pay,staging,1.2.0,succeeded,2024-04-03T09:00:00Z,2024-04-03T09:10:00Z,5
h4,pay,staging,1.1.0,succeeded,2024-04-10T09:00:00Z,2024-04-10T09:10:00Z,2
"""


def test_versions_behind_counts_only_versions_in_the_baseline_by_that_day(tmp_path):
    """A hotfix on an older line (1.1.0, after 1.2.0) reaches the baseline in the second
    week: the first Sunday's drift does not count it, as it did not exist then."""
    settings = parse_settings({"warehouse": str(tmp_path / "w.duckdb")})
    (tmp_path / "deployments.csv").write_text(HOTFIX_DEPLOYMENTS)
    with connect(settings.warehouse_path) as conn:
        ingest_file(conn, tmp_path / "deployments.csv", settings, kind="deployments")
        build_drift_marts(conn, settings)
        drift = rows(
            conn,
            "SELECT as_of, baseline_version, drift_kind, versions_behind, pending_changes"
            " FROM marts.drift ORDER BY as_of",
        )
    assert [tuple(r.values()) for r in drift] == [
        # 1.2.0 waits (5 changes); 1.1.0 is not in the baseline yet
        (dt.date(2024, 4, 7), "1.2.0", "behind", 1, 5),
        # the baseline now runs 1.1.0: only it waits (2 changes)
        (dt.date(2024, 4, 14), "1.1.0", "behind", 1, 2),
    ]
