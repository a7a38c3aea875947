"""Deployment and inventory sources read from their documented shapes, through a real ingest.

The samples in ``tests/fixtures/native/`` are hand-written, with the field names and nesting of
the public documentation (values invented; see that folder's README):

* GitHub Actions, REST "List workflow runs for a repository" (``GET /repos/{owner}/{repo}/
  actions/runs``): ``{"total_count", "workflow_runs": [...]}``; per run ``id``, ``name``,
  ``path``, ``head_branch``, ``head_sha``, ``run_number``, ``run_attempt``, ``event``,
  ``status`` (queued/in_progress/completed...), ``conclusion`` (success/failure/cancelled/
  timed_out..., null until completed), ``workflow_id``, ``created_at``, ``updated_at``,
  ``run_started_at``, ``actor``/``triggering_actor`` (``login``), ``repository`` (``name``,
  ``full_name``), ``head_commit``. ``gh api --paginate`` writes the pages back to back,
  ``--slurp`` as one array of pages.
* Jenkins remote access API, ``/job/<name>/api/json?tree=builds[...]``: ``{"_class",
  "builds": [...]}``; per build ``number``, ``result`` (SUCCESS/FAILURE/UNSTABLE/ABORTED, null
  while building), ``building``, ``timestamp`` and ``duration`` (milliseconds), ``url``,
  ``actions[]`` (``causes[].userId``, git ``BuildData.lastBuiltRevision.SHA1``),
  ``changeSets[].items[]`` (``commitId``, ``timestamp`` in ms, ``msg``, ``author.fullName``).
* Flux ``helm.toolkit.fluxcd.io/v2`` HelmRelease: ``spec.chart.spec.{chart,version}``,
  ``spec.releaseName``, ``spec.targetNamespace``; ``status.history[]`` snapshots, newest first
  (``name``, ``namespace``, ``chartName``, ``chartVersion``, ``appVersion``, ``status``,
  ``version``, ``firstDeployed``, ``lastDeployed``, ``digest``, ``configDigest``),
  ``status.lastAttemptedRevision``; ``v2beta1`` ``status.lastAppliedRevision``.
  ``kustomize.toolkit.fluxcd.io/v1`` Kustomization: ``status.lastAppliedRevision``
  (``<ref>@sha1:<commit>``), ``status.lastAttemptedRevision``, ``spec.targetNamespace``.
* Kubernetes Pods: ``metadata.ownerReferences[].kind`` (``Job``, ``ReplicaSet``), labels
  ``batch.kubernetes.io/job-name`` / ``job-name``, ``pod-template-hash``; a CronJob names its
  Jobs ``<cronjob>-<scheduled time in minutes>``.
* Argo CD Application: ``spec.source.targetRevision``, ``status.summary.images``,
  ``status.history[]`` (``id``, ``revision``, ``deployedAt``, ``deployStartedAt``),
  ``status.health.status`` (``Missing``), ``status.reconciledAt``.

Every sample holds an unfinished or never-applied record and unknown extra fields; the
deployment samples hold several pages.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from assets.ingest.loader import ingest_file, ingest_paths
from assets.sample.actions import DEPLOY_WORKFLOWS
from assets.sample.organisation import write_sample_organisation
from assets.settings import Settings, parse_settings
from assets.warehouse import connect
from pipelines.cli import DEMO_CONFIG

NATIVE = Path(__file__).resolve().parents[2] / "fixtures" / "native"
GHA_PAGES = NATIVE / "github_actions_runs_paginate.json"
GHA_SLURP = NATIVE / "github_actions_runs_slurp.json"
JENKINS = NATIVE / "jenkins_job_builds.json"
FLUX_HELM = NATIVE / "flux_helmreleases.yaml"
FLUX_KUSTOMIZE = NATIVE / "flux_kustomizations.json"
PODS = NATIVE / "kubectl_pods_with_jobs.json"
ARGOCD = NATIVE / "argocd_image_updater.json"
CAPTURED = "2024-05-10T06:00:00Z"
CAPTURED_AT = dt.datetime(2024, 5, 10, 6, tzinfo=dt.UTC)
CONFIG = {
    "github_actions": {
        "deploy_workflows": {"Deploy production": "prod", "deploy-staging.yml": "staging"}
    },
    "jenkins": {"jobs": {"orders-deploy-prod": {"service": "orders-api", "environment": "prod"}}},
    "services": {"aliases": {"payments": "payments-api"}},
}


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC)


def ingest(
    tmp_path: Path, path: Path, kind: str, settings: Settings | None = None, **flags: Any
) -> tuple[Any, list[Any]]:
    conn = connect(tmp_path / "w.duckdb")
    reports = ingest_file(conn, path, settings or parse_settings(CONFIG), kind=kind, **flags)
    return conn, reports


def deployments(conn: Any) -> list[tuple]:
    return conn.execute(
        "SELECT deployment_id, service, environment, version, status, started_at, finished_at,"
        " source FROM staging.deployments ORDER BY deployment_id"
    ).fetchall()


def inventory(conn: Any) -> list[tuple]:
    return conn.execute(
        "SELECT service, environment, version, captured_at, source FROM staging.inventory"
        " ORDER BY environment, service"
    ).fetchall()


def quarantined(conn: Any) -> list[tuple[str, list[str]]]:
    rows = conn.execute(
        "SELECT record, reasons FROM quarantine.rejected_rows ORDER BY record_number"
    ).fetchall()
    return [
        (json.loads(record)["deployment_id"], [r.split(":")[0] for r in reasons])
        for record, reasons in rows
    ]


def counts(report: Any) -> tuple:
    return (
        report.status,
        report.rows_read,
        report.rows_accepted,
        report.rows_rejected,
        report.records_skipped,
        report.reconciles(),
    )


# -- GitHub Actions ---------------------------------------------------------------------------

GHA_STAGED = [
    (
        "github_actions:9001001",
        "orders-api",
        "prod",
        "v2.4.0",  # head_branch is the tag the run was triggered by
        "succeeded",
        utc("2024-05-06T09:58:01Z"),
        utc("2024-05-06T10:04:31Z"),
        "github_actions",
    ),
    (
        "github_actions:9001003",
        "orders-api",
        "prod",
        "2c26b46b68ff",  # a branch build: the head commit
        "failed",
        utc("2024-05-07T14:00:05Z"),  # run_started_at, not created_at
        utc("2024-05-07T14:12:40Z"),
        "github_actions",
    ),
    (
        "github_actions:9001004",
        "payments-api",  # repository name through services.aliases
        "staging",  # matched by the file name of a path with an @ref suffix
        "fcde2b2edba5",
        "cancelled",
        utc("2024-05-08T08:30:02Z"),
        utc("2024-05-08T08:33:10Z"),
        "github_actions",
    ),
    (
        "github_actions:9001006",
        "orders-api",
        "prod",
        "v2.3.9",
        "failed",  # timed_out
        utc("2024-05-03T07:40:00Z"),
        utc("2024-05-03T08:40:00Z"),
        "github_actions",
    ),
]


@pytest.mark.parametrize("path", [GHA_PAGES, GHA_SLURP], ids=["paginate", "slurp"])
def test_github_actions_runs_of_deploy_workflows_become_deployments(
    tmp_path: Path, path: Path
) -> None:
    conn, reports = ingest(tmp_path, path, "deployments")

    assert deployments(conn) == GHA_STAGED
    # the run still in progress is not final: quarantined, visible, not counted
    assert quarantined(conn) == [("github_actions:9001005", ["unknown_status"])]
    # six runs over two pages: the CI run is not a deployment, skipped and counted
    assert [counts(r) for r in reports] == [("loaded", 5, 4, 1, {"not_a_deploy_workflow": 1}, True)]
    (extra,) = conn.execute(
        "SELECT extra FROM staging.deployments WHERE deployment_id = 'github_actions:9001001'"
    ).fetchone()
    assert json.loads(extra)["github_actions"]["run_number"] == "41"


def test_github_actions_without_deploy_workflows_fails_naming_the_workflows(
    tmp_path: Path,
) -> None:
    _, reports = ingest(tmp_path, GHA_PAGES, "deployments", parse_settings({}))

    (report,) = reports
    assert report.status == "failed"
    assert report.error.startswith(f"{GHA_PAGES.name}: no_deploy_workflows:")
    assert report.error.endswith(
        "this file's workflows: .github/workflows/ci.yml,"
        " .github/workflows/deploy-prod.yml, .github/workflows/deploy-staging.yml@refs/heads/main,"
        " CI, Deploy production, Deploy staging"
    )


# -- gh api --paginate for the other GitHub exports ---------------------------------------------


def test_github_deployments_arrays_back_to_back_read_as_one_array(tmp_path: Path) -> None:
    whole = json.loads((NATIVE / "github_deployments_with_statuses.json").read_text())
    pages = tmp_path / "paged.json"
    pages.write_text(json.dumps(whole[:2]) + json.dumps(whole[2:4]) + json.dumps(whole[4:]))
    slurped = tmp_path / "slurped.json"
    slurped.write_text(json.dumps([whole[:3], whole[3:]]))

    paged_conn, paged = ingest(tmp_path / "a", pages, "deployments")
    slurped_conn, _ = ingest(tmp_path / "b", slurped, "deployments")

    assert [counts(r) for r in paged] == [("loaded", 6, 5, 1, {}, True)]
    assert deployments(paged_conn) == deployments(slurped_conn)
    assert [row[0] for row in deployments(paged_conn)] == [
        "github:1001",
        "github:1002",
        "github:1003",
        "github:1005",
        "github:1006",
    ]


# -- Jenkins ------------------------------------------------------------------------------------


def test_jenkins_builds_become_deployments(tmp_path: Path) -> None:
    conn, reports = ingest(tmp_path, JENKINS, "deployments")

    job = "jenkins:apps/orders-deploy-prod"
    assert deployments(conn) == [
        (
            f"{job}:54",
            "orders-api",
            "prod",
            "v3.1.0",  # a custom display name that is a release tag
            "succeeded",
            utc("2024-05-03T10:00:00Z"),  # timestamp 1714730400000 ms
            utc("2024-05-03T10:05:02.250Z"),  # + duration 302250 ms
            "jenkins",
        ),
        (
            f"{job}:55",
            "orders-api",
            "prod",
            "7c4a8d09ca37",  # the built commit (lastBuiltRevision)
            "failed",
            utc("2024-05-04T09:00:00Z"),
            utc("2024-05-04T09:01:01.500Z"),
            "jenkins",
        ),
        (
            f"{job}:56",
            "orders-api",
            "prod",
            "e38ad214943d",
            "failed",  # UNSTABLE
            utc("2024-05-06T12:00:00Z"),
            utc("2024-05-06T12:08:00Z"),
            "jenkins",
        ),
        (
            f"{job}:57",
            "orders-api",
            "prod",
            "e38ad214943d",
            "cancelled",  # ABORTED
            utc("2024-05-06T15:00:00Z"),
            utc("2024-05-06T15:01:35Z"),
            "jenkins",
        ),
    ]
    assert quarantined(conn) == [(f"{job}:58", ["unknown_status"])]  # still building
    assert [counts(r) for r in reports] == [("loaded", 5, 4, 1, {}, True)]
    batch = conn.execute(
        "SELECT change_count, first_commit_at, triggered_by FROM staging.deployments"
        " WHERE deployment_id = $id",
        {"id": f"{job}:54"},
    ).fetchone()
    assert batch == (2, utc("2024-05-02T16:10:00Z"), "Started by an SCM change")


def test_jenkins_job_not_configured_fails_naming_the_job(tmp_path: Path) -> None:
    _, reports = ingest(tmp_path, JENKINS, "deployments", parse_settings({}))

    (report,) = reports
    assert report.status == "failed"
    assert report.error.startswith(
        f"{JENKINS.name}: job_not_configured: Jenkins builds of apps/orders-deploy-prod"
    )


# -- Flux ---------------------------------------------------------------------------------------


def test_flux_helmreleases_become_inventory(tmp_path: Path) -> None:
    conn, reports = ingest(tmp_path, FLUX_HELM, "inventory", captured_at=CAPTURED)

    assert inventory(conn) == [
        ("podinfo", "prod", "6.5.4", CAPTURED_AT, "flux"),  # history[0].appVersion
        ("redis", "staging", "18.10", CAPTURED_AT, "flux"),  # v2beta1 lastAppliedRevision
        # empty appVersion: the chart version; the release name Flux gives with a target
        # namespace
        ("staging-ingress", "staging", "4.10.1", CAPTURED_AT, "flux"),
    ]
    # billing never installed (InstallFailed, no history): no row, but counted
    assert [counts(r) for r in reports] == [("loaded", 3, 3, 0, {"never_applied": 1}, True)]
    (dependencies,) = conn.execute(
        "SELECT dependencies FROM staging.inventory WHERE service = 'podinfo'"
    ).fetchone()
    assert json.loads(dependencies) == {"podinfo": "6.5.4"}


def test_flux_kustomizations_with_environment_mapping(tmp_path: Path) -> None:
    settings = parse_settings(
        {"kubernetes": {"namespace_environments": {"prod": "production", "staging": "stg"}}}
    )
    conn, reports = ingest(tmp_path, FLUX_KUSTOMIZE, "inventory", settings, captured_at=CAPTURED)

    assert inventory(conn) == [
        # namespace mapping, then environments.aliases (production -> prod, stg -> staging)
        ("checkout", "prod", "v1.8.2", CAPTURED_AT, "flux"),  # v1.8.2@sha1:...
        ("search", "staging", "aaf4c61ddcc5", CAPTURED_AT, "flux"),  # main@sha1:...
    ]
    assert [counts(r) for r in reports] == [("loaded", 2, 2, 0, {"never_applied": 1}, True)]


def test_the_hint_for_flux_in_the_deployments_folder_works(tmp_path: Path) -> None:
    folder = tmp_path / "inbox" / "deployments"
    folder.mkdir(parents=True)
    path = folder / FLUX_HELM.name
    path.write_bytes(FLUX_HELM.read_bytes())
    conn = connect(tmp_path / "w.duckdb")
    settings = parse_settings({})

    (failed,) = ingest_paths(conn, [path], settings)
    assert failed.status == "failed"
    assert failed.error.endswith("move it to a inventory/ folder or pass --kind inventory")

    (loaded,) = ingest_paths(conn, [path], settings, kind="inventory", captured_at=CAPTURED)
    assert (loaded.status, loaded.rows_accepted) == ("loaded", 3)


# -- kubectl: Jobs and CronJobs -------------------------------------------------------------------


def test_pods_of_jobs_and_cronjobs_are_skipped_and_counted(tmp_path: Path) -> None:
    conn, reports = ingest(tmp_path, PODS, "inventory", captured_at=CAPTURED)

    assert inventory(conn) == [
        ("orders-api", "prod", "2.4.0", CAPTURED_AT, "kubectl"),
        ("payments-api", "prod", "1.9.3", CAPTURED_AT, "kubectl"),
    ]
    # owned by a Job; labelled job-name; named like a CronJob run: none is a service
    assert [counts(r) for r in reports] == [("loaded", 2, 2, 0, {"job_pod": 3}, True)]


# -- Argo CD ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version_from", "orders_version"), [("image", "2.4.0"), ("revision", "v5.2.0")]
)
def test_argocd_version_from_image_or_revision(
    tmp_path: Path, version_from: str, orders_version: str
) -> None:
    settings = parse_settings({"argocd": {"version_from": version_from}})
    conn, reports = ingest(tmp_path, ARGOCD, "inventory", settings, captured_at=CAPTURED)

    # Image Updater moved orders-api to image 2.4.0; the config repository is at tag v5.2.0
    assert inventory(conn) == [
        ("orders-api", "prod", orders_version, CAPTURED_AT, "argocd"),
        ("payments", "prod", "v1.9.3", CAPTURED_AT, "argocd"),  # no images: the revision
    ]
    # loyalty: health Missing, no history, no images: never deployed, no made-up version
    assert [counts(r)[:5] for r in reports] == [
        ("loaded", 2, 2, 0, {"never_deployed": 1}),
        ("loaded", 2, 2, 0, {}),
    ]


# -- formats that match nothing -------------------------------------------------------------------


def test_an_unknown_export_fails_listing_the_formats_tried(tmp_path: Path) -> None:
    path = tmp_path / "pipelines.json"
    path.write_text(json.dumps({"values": [{"uuid": "{1}", "state": {"name": "COMPLETED"}}]}))

    _, reports = ingest(tmp_path, path, "deployments")

    (report,) = reports
    assert report.status == "failed"
    assert report.error.startswith(
        "pipelines.json: unknown_format: its records name no deployments field and no known"
        " export matches; tried canonical deployments records; "
    )
    # every format that holds deployments is named, and only those
    for tried in (
        "an Argo CD application list",
        "a GitHub Deployments export",
        "a GitLab Deployments export",
        "GitHub Actions workflow runs",
        "a Jenkins job export",
    ):
        assert tried in report.error
    assert "helm list output" not in report.error
    assert report.error.endswith(
        "Map it with json_map in the config, or rename its fields with column_map"
    )


# -- the sample organisation ------------------------------------------------------------------


def _sample_deployments(folder: Path, actions_runs: bool) -> tuple[list[tuple], list[Any]]:
    write_sample_organisation(
        folder / "inbox", weeks=8, seed=3, end=dt.date(2026, 11, 22), actions_runs=actions_runs
    )
    settings = parse_settings(
        {
            "warehouse": str(folder / "w.duckdb"),
            "github_actions": {"deploy_workflows": DEPLOY_WORKFLOWS},
        }
    )
    with connect(settings.warehouse_path) as conn:
        reports = ingest_paths(conn, [folder / "inbox" / "deployments"], settings)
        rows = conn.execute(
            "SELECT service, environment, version, status, started_at, finished_at, commit_sha,"
            " triggered_by, source FROM staging.deployments ORDER BY ALL"
        ).fetchall()
    return rows, reports


def test_the_sample_writes_staging_deployments_as_actions_runs(tmp_path: Path) -> None:
    csv_only, _ = _sample_deployments(tmp_path / "csv", actions_runs=False)
    with_runs, reports = _sample_deployments(tmp_path / "runs", actions_runs=True)

    (runs,) = [r for r in reports if r.path.endswith(".json")]
    assert (runs.status, runs.rows_rejected, runs.reconciles()) == ("loaded", 0, True)
    from_runs = [row for row in with_runs if row[-1] == "github_actions"]
    assert len(from_runs) == runs.rows_accepted > 0
    assert {row[1] for row in from_runs} == {"staging"}
    # the same deployments, only another format: every field but the source agrees
    assert {row[:-1] for row in from_runs} <= {row[:-1] for row in csv_only}
    assert len(with_runs) == pytest.approx(len(csv_only), abs=2)  # bad rows land elsewhere


def test_the_demo_config_reads_the_sample_runs() -> None:
    demo = yaml.safe_load(DEMO_CONFIG)
    assert parse_settings(demo).github_actions.deploy_workflows == DEPLOY_WORKFLOWS
