"""Native exports (kubectl, helm, Argo CD, GitHub, GitLab) read into canonical records.

Expected values were read from the fixture files by hand; the peer fixtures are real tool
output (see their README), the ``native`` ones hand-written examples shaped like the APIs.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from assets.ingest.adapters import detect_native_format, parse_native
from assets.ingest.loader import ingest_file
from assets.ingest.readers import ReadOptions, UnreadableFile, load_document
from assets.settings import Settings, parse_settings
from assets.warehouse import connect

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PEER = FIXTURES / "peer_fixtures" / "inventories"
NATIVE = FIXTURES / "native"
MTIME = dt.datetime(2024, 5, 1, 6, 30, tzinfo=dt.UTC)
CYAN_DIGEST = "sha256:0fcfc9231fa11b473973a68c0394e7c85e2117a9ba7a9476897c07e40d718ffa"
NGINX_DIGEST = "sha256:b3aba22b1da80e7acfc52b115cae1d4c687172cbf2b742d5b502419c25ff340e"
ARGOCD = PEER / "argocd_application_list_prod_excerpt__port_ocean.json"
K8S_STATUS = PEER / "kubectl_get_deploy_list_labels__k8s_status.json"
POPEYE = PEER / "kubectl_get_deploy_list_edgecases__popeye.yaml"
PODS = PEER / "kubectl_get_pods_list_raw__kubectl_neat.json"
GAR = "europe-west1-docker.pkg.dev"


def read(path: Path) -> Any:
    return load_document(path, path.read_bytes(), "yaml" if path.suffix == ".yaml" else "json")


def parse(
    path: Path, kind: str = "inventory", settings: Settings | None = None, **overrides: Any
) -> dict[str, tuple[str, list[dict[str, Any]]]] | None:
    options = ReadOptions(settings or parse_settings({}), file_mtime=MTIME, **overrides)
    return parse_native(read(path), kind, path, options)


def records(path: Path, kind: str = "inventory", **overrides: Any) -> list[dict[str, Any]]:
    result = parse(path, kind, **overrides)
    assert result is not None
    return result[kind][1]


def by_service(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["service"]: row for row in rows}


# -- kubectl ---------------------------------------------------------------------------------


def test_kubectl_deployment_list_reads_labels_and_namespaces() -> None:
    rows = records(K8S_STATUS)
    assert len(rows) == 17
    versions = {row["service"]: row["version"] for row in rows}
    assert {s for s, v in versions.items() if v == "1.4.2"} == {
        "media-encoder",
        "search-api",
        "ingest-gateway",
        "orders-api",
        "accounts-api",
        "report-runner",
        "cache-shim",
        "admin-ui",
        "edge-proxy",
        "session-store",
        "log-shipper",
        "notify-worker",
        "metrics-collector",
        "toolbox",
    }
    assert {s: versions[s] for s in ("ingress-controller", "cert-manager", "metrics-agent")} == {
        "ingress-controller": "4.11.0",
        "cert-manager": "1.15.3",
        "metrics-agent": "2.8.1",
    }
    rows_by = by_service(rows)
    # no environment configured: the namespace names the environment
    assert rows_by["metrics-agent"]["environment"] == "observability"
    assert rows_by["ingress-controller"]["environment"] == "ingress"
    assert rows_by["orders-api"]["image"] == "example/img:1.4.2"
    assert rows_by["ingest-gateway"]["config"] == {"replicas": 0}
    assert rows_by["orders-api"]["config"] == {"replicas": 3}
    assert all("@" not in row["image"] for row in rows)  # no digests in a Deployment spec
    assert {row["captured_at"] for row in rows} == {MTIME.isoformat()}


def test_kubectl_single_deployment_skips_secret_env_vars() -> None:
    (row,) = records(PEER / "kubectl_get_deploy_single__k9s.json")
    assert (row["service"], row["environment"], row["version"], row["image"]) == (
        "icx-db",
        "icx",
        "9.2-alpine",
        "postgres:9.2-alpine",
    )
    # POSTGRES_USER/PASSWORD come from a Secret (valueFrom): not literal config
    assert row["config"] == {"replicas": 1}
    assert row["dependencies"] == {}


def test_kubectl_edge_cases_do_not_crash_and_keep_the_empty_deployment() -> None:
    rows = by_service(records(POPEYE))
    assert list(rows) == ["dp1", "dp2", "dp3"]
    assert (rows["dp1"]["version"], rows["dp1"]["image"]) == ("v1.0.0", "fred:v1.0.0")
    assert rows["dp1"]["dependencies"] == {"ic1": "v1.0.0"}  # the init container
    assert (rows["dp2"]["version"], rows["dp2"]["image"]) == ("0.1.0", "blee:0.1.0")
    # null selector/template and no containers: kept with no version for the contract to reject
    assert (rows["dp3"]["version"], rows["dp3"]["image"]) == (None, None)
    assert rows["dp3"]["config"] == {"replicas": 0}
    assert rows["dp3"]["kubernetes"] == {
        "kind": "Deployment",
        "namespace": "default",
        "name": "dp3",
    }


def test_kubectl_pods_take_the_digest_from_container_status() -> None:
    rows = records(PODS)
    assert [row["service"] for row in rows] == ["t1", "t2"]
    for row in rows:
        # the spec says only "itaysk/cyan"; the runtime pulled :latest at this digest
        assert row["version"] == "latest"
        assert row["image"] == f"itaysk/cyan@{CYAN_DIGEST}"
        assert row["config"] == {}


def test_kubectl_environment_mapping_order(tmp_path: Path) -> None:
    mapped = parse_settings({"kubernetes": {"namespace_environments": {"default": "staging"}}})
    assert {r["environment"] for r in records_with(POPEYE, mapped)} == {"staging"}
    overridden = records_with(POPEYE, mapped, environment="prod")
    assert {r["environment"] for r in overridden} == {"prod"}
    # kubectl does not name the cluster; the file name stands in for it
    by_cluster = parse_settings({"kubernetes": {"cluster_environments": {"eu-prod-1": "prod"}}})
    copy = tmp_path / "eu-prod-1.yaml"
    shutil.copy(POPEYE, copy)
    assert {r["environment"] for r in records_with(copy, by_cluster)} == {"prod"}


def records_with(path: Path, settings: Settings, **overrides: Any) -> list[dict[str, Any]]:
    result = parse(path, "inventory", settings, **overrides)
    assert result is not None
    return result["inventory"][1]


def _pod(name: str, owner: tuple[str, str] | None, labels: dict[str, str]) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": "shop", "labels": labels}
    if owner:
        metadata["ownerReferences"] = [{"kind": owner[0], "name": owner[1]}]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {"containers": [{"name": "web", "image": "localhost:5000/shop/web:3.1"}]},
    }


def test_kubectl_get_all_counts_each_workload_once(tmp_path: Path) -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "replicas": 2,
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": "shop-web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "localhost:5000/shop/web:3.1",
                            "env": [
                                {"name": "LOG_LEVEL", "value": "info"},
                                {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {}}},
                            ],
                        },
                        {"name": "proxy", "image": f"envoyproxy/envoy@{CYAN_DIGEST}"},
                    ]
                },
            },
        },
    }
    replica_set = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": "web-5d8f",
            "namespace": "shop",
            "ownerReferences": [{"kind": "Deployment", "name": "web"}],
        },
        "spec": {"replicas": 2},
    }
    pods = [
        _pod(f"web-5d8f-{i}", ("ReplicaSet", "web-5d8f"), {"pod-template-hash": "5d8f"})
        for i in range(2)
    ]
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}}
    document = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [service, deployment, replica_set, *pods],
    }
    path = tmp_path / "all.json"
    path.write_text(json.dumps(document))
    (row,) = records(path)
    assert (row["service"], row["version"], row["image"]) == (
        "shop-web",
        "3.1",
        "localhost:5000/shop/web:3.1",
    )
    assert row["config"] == {"replicas": 2, "env.LOG_LEVEL": "info"}
    assert row["dependencies"] == {"proxy": "sha256:0fcfc9231fa1"}  # digest-only sidecar

    # the same pods without their Deployment in the export: named after the owning Deployment
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": pods}))
    assert [r["service"] for r in records(path)] == ["web", "web"]


def test_kubectl_api_list_items_take_the_list_kind(tmp_path: Path) -> None:
    document = read(PEER / "kubectl_get_deploy_single__k9s.json")
    del document["kind"], document["apiVersion"]
    path = tmp_path / "deployments.json"
    path.write_text(
        json.dumps({"apiVersion": "apps/v1", "kind": "DeploymentList", "items": [document]})
    )
    (row,) = records(path)
    assert (row["service"], row["kubernetes"]["kind"]) == ("icx-db", "Deployment")


def test_kubectl_list_without_workloads_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "services.json"
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}}
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [service]}))
    with pytest.raises(UnreadableFile, match=r"services\.json: kubectl output holds no workloads"):
        parse(path)


# -- helm ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["helm_list__helm_testdata.json", "helm_list__helm_testdata.yaml"])
def test_helm_list(name: str) -> None:
    result = parse(PEER / name)
    assert result is not None
    assert list(result) == ["inventory"]
    source, (row,) = result["inventory"]
    assert source == "helm"
    assert (row["service"], row["environment"], row["version"], row["image"]) == (
        "test-release",
        "default",
        "0.0.1",
        None,
    )
    assert row["dependencies"] == {"test-chart": "1.0.0"}
    assert row["captured_at"] == MTIME.isoformat()  # updated is the release time, not capture
    assert row["helm"] == {
        "namespace": "default",
        "chart": "test-chart-1.0.0",
        "revision": "1",
        "status": "deployed",
        "updated": "2016-01-16T00:00:00+00:00",
    }


def test_helm_captured_at_and_environment_overrides() -> None:
    path = PEER / "helm_list__helm_testdata.json"
    (row,) = records(path, captured_at="2024-05-03T12:00:00Z", environment="qa")
    assert (row["captured_at"], row["environment"]) == ("2024-05-03T12:00:00Z", "qa")


# -- Argo CD ---------------------------------------------------------------------------------

ARGOCD_INVENTORY = {
    # service: (version, image)
    "cloud-api": (
        "2.28.685",
        f"{GAR}/elementor-hosting/docker-europe-west1/elementor-cloud-api:2.28.685",
    ),
    "ingress-nginx": ("v1.9.5", f"registry.k8s.io/ingress-nginx/controller:v1.9.5@{NGINX_DIGEST}"),
    "emp-ms-logger": (
        "1.0.0-logs-1363212",
        f"{GAR}/elementor-emp/docker-europe-west1/emp-ms-logger:1.0.0-logs-1363212",
    ),
    "ba-braze-connector": (
        "2.0.33",
        f"{GAR}/elementor-website/docker-europe-west1/ba-braze-connector:2.0.33",
    ),
    "ba-kits-api": (
        "v1.1.14-master-79e1a8a",
        f"{GAR}/elementor-website/docker-europe-west1/ba-kits-api:v1.1.14-master-79e1a8a",
    ),
    "elementor-ai-api": (
        "0.0.809",
        f"{GAR}/elementor-website/docker-europe-west1/elementor-ai-api:0.0.809",
    ),
    "redisinsight": ("1.14.0", "redislabs/redisinsight:1.14.0"),
    "kubernetes-replicator": ("v2.9.2", "quay.io/mittwald/kubernetes-replicator:v2.9.2"),
}
# no sync history and no images: zuora-migrator (health Missing) was never deployed, and
# platform-common-php runs only a finished Job; neither runs a service to record


def test_argocd_inventory_versions_and_images() -> None:
    options = ReadOptions(parse_settings({}), file_mtime=MTIME)
    result = parse_native(read(ARGOCD), "inventory", ARGOCD, options)
    assert result is not None
    assert options.skipped == {"never_deployed": 2}
    assert list(result) == ["inventory", "deployments"]
    source, rows = result["inventory"]
    assert source == "argocd"
    assert {r["service"]: (r["version"], r["image"]) for r in rows} == ARGOCD_INVENTORY
    assert {r["environment"] for r in rows} == {"prod"}  # label env=prod on every app
    # one snapshot: the latest reconcile time of the file, not one time per application
    assert {r["captured_at"] for r in rows} == {"2024-10-01T14:14:26+00:00"}
    apps = by_service(rows)
    assert apps["cloud-api"]["dependencies"] == {"cloud-sdk": "326.0.0-alpine"}
    assert apps["redisinsight"]["dependencies"] == {"busybox": "latest"}
    # five tags of its own image are old ReplicaSets, not dependencies
    assert apps["elementor-ai-api"]["dependencies"] == {}
    assert apps["cloud-api"]["config"]["helm.clean_el_env"] == "prod"
    assert apps["cloud-api"]["argocd"]["application"] == "prod-control-elementor-cloud-api"


def test_argocd_history_becomes_deployments() -> None:
    deployments = records(ARGOCD, "deployments")
    assert len(deployments) == 37
    counts: dict[str, int] = {}
    for row in deployments:
        counts[row["service"]] = counts.get(row["service"], 0) + 1
    assert counts == {
        "cloud-api": 10,
        "ingress-nginx": 4,
        "emp-ms-logger": 2,
        "ba-braze-connector": 10,
        "elementor-ai-api": 10,
        "redisinsight": 1,
    }
    rows = {row["deployment_id"]: row for row in deployments}
    tagged = rows["argocd:prod-control-elementor-cloud-api:93"]
    assert (tagged["version"], tagged["status"], tagged["environment"]) == (
        "2.28.685",
        "succeeded",
        "prod",
    )
    assert (tagged["started_at"], tagged["finished_at"]) == (
        "2024-10-01T09:13:05Z",
        "2024-10-01T09:13:06Z",
    )
    assert tagged["commit_sha"] == "e8189032e9d1f986e01785c2bddf063f78b3e98c"
    # branch master: the image.tag parameter of that sync names what was deployed
    assert (
        rows["argocd:prod-control-elementor-cloud-api:86"]["version"] == "2.28.682-master-edeb993"
    )
    # branch without an image.tag parameter: the synced commit
    branch = rows["argocd:prod-control-infra-ingress-nginx:0"]
    assert (branch["version"], branch["commit_sha"]) == (
        "a9a057d5d62d",
        "a9a057d5d62ddc903fda9ee994f7b1c4b520ab2c",
    )


def test_argocd_bare_array_with_name_prefixes() -> None:
    settings = parse_settings(
        {"argocd": {"environment_label": "tier", "name_prefixes": {"prod-platform-": "production"}}}
    )
    options = ReadOptions(settings, environment="ops", file_mtime=MTIME)
    bare = read(ARGOCD)["items"]  # `argocd app list -o json` prints a bare array
    result = parse_native(bare, "deployments", ARGOCD, options)
    assert result is not None
    assert list(result) == ["deployments", "inventory"]
    rows = {r["argocd"]["application"]: r for r in result["inventory"][1]}
    prefixed = rows["prod-platform-infra-redisinsight"]
    assert (prefixed["service"], prefixed["environment"]) == ("infra-redisinsight", "production")
    # no label, no prefix: the command-line environment
    other = rows["prod-control-elementor-cloud-api"]
    assert (other["service"], other["environment"]) == ("cloud-api", "ops")


def test_argocd_captured_at_override() -> None:
    rows = records(ARGOCD, captured_at="2024-10-02T00:00:00Z")
    assert {r["captured_at"] for r in rows} == {"2024-10-02T00:00:00Z"}


# -- GitHub ----------------------------------------------------------------------------------


def test_github_deployments_with_statuses() -> None:
    result = parse(NATIVE / "github_deployments_with_statuses.json", "deployments")
    assert result is not None
    source, rows = result["deployments"]
    assert source == "github"
    got = {
        r["deployment_id"]: (r["service"], r["environment"], r["version"], r["status"])
        for r in rows
    }
    assert got == {
        "github:1001": ("checkout-api", "production", "v2.4.0", "succeeded"),
        "github:1002": ("checkout-api", "staging", "a1b2c3d4e5f6", "failed"),
        "github:1003": ("checkout-api", "staging", "b2c3d4e5f607", "failed"),
        "github:1004": ("checkout-api", "staging", "v2.5.0-rc.1", "in_progress"),
        "github:1005": ("checkout-worker", "production", "v1.8.2", "succeeded"),
        "github:1006": ("checkout-api", "production", "v2.4.1", "succeeded"),
    }
    first = {r["deployment_id"]: r for r in rows}["github:1001"]
    # the later "inactive" status does not end the deployment: the success does
    assert (first["started_at"], first["finished_at"]) == (
        "2024-05-06T09:00:00Z",
        "2024-05-06T09:07:30Z",
    )
    assert first["github"]["state"] == "inactive"
    assert (first["triggered_by"], first["commit_sha"]) == (
        "alice-dev",
        "3f6c2a9e8b7d4c1f0a2b3c4d5e6f708192a3b4c5",
    )
    retried = {r["deployment_id"]: r for r in rows}["github:1006"]
    assert retried["finished_at"] == "2024-05-09T11:20:00Z"
    assert {r["deployment_id"]: r for r in rows}["github:1004"]["finished_at"] is None


def test_github_statuses_listed_beside_deployments() -> None:
    rows = records(NATIVE / "github_deployments_and_statuses.json", "deployments")
    got = {
        r["deployment_id"]: (r["service"], r["version"], r["status"], r["finished_at"])
        for r in rows
    }
    assert got == {
        # release/2024-05 is a branch: the commit names the version
        "github:2001": ("search-api", "0718293a4b5c", "succeeded", "2024-05-10T08:09:00Z"),
        "github:2002": ("search-api", "3.1.0", "failed", "2024-05-10T12:03:00Z"),
    }


def test_github_payload_as_text_and_no_statuses(tmp_path: Path) -> None:
    deployment = {
        "id": 7,
        "sha": "0123456789abcdef0123456789abcdef01234567",
        "ref": "main",
        "task": "deploy",
        "environment": "production",
        "payload": '{"service": "billing", "version": "2024.05.1"}',
        "created_at": "2024-05-01T10:00:00Z",
    }
    path = tmp_path / "gh.json"
    path.write_text(json.dumps([deployment]))
    (row,) = records(path, "deployments", environment="prd")
    assert (row["service"], row["version"], row["environment"], row["status"]) == (
        "billing",
        "2024.05.1",
        "prd",
        None,  # no statuses exported: rejected as missing, not guessed
    )


# -- GitLab ----------------------------------------------------------------------------------


def test_gitlab_deployments() -> None:
    result = parse(NATIVE / "gitlab_deployments.json", "deployments")
    assert result is not None
    source, rows = result["deployments"]
    assert source == "gitlab"
    got = {r["deployment_id"]: (r["environment"], r["version"], r["status"]) for r in rows}
    assert got == {
        "gitlab:501": ("production", "v3.2.0", "succeeded"),
        "gitlab:502": ("staging", "5d6e7f8091a2", "succeeded"),
        "gitlab:503": ("staging", "6e7f8091a2b3", "failed"),
        "gitlab:504": ("staging", "7f8091a2b3c4", "cancelled"),
        "gitlab:505": ("staging", "v3.3.0", "in_progress"),
        "gitlab:506": ("production", "v3.3.0", "in_progress"),
    }
    assert {r["service"] for r in rows} == {"ledger-api"}  # from the pipeline URL
    rows_by = {r["deployment_id"]: r for r in rows}
    assert (rows_by["gitlab:501"]["started_at"], rows_by["gitlab:501"]["finished_at"]) == (
        "2024-05-06T07:00:05.300Z",
        "2024-05-06T07:06:12.400Z",
    )
    # cancelled before the job finished: the deployment's last update ends it
    assert rows_by["gitlab:504"]["finished_at"] == "2024-05-07T11:01:30.000Z"
    assert rows_by["gitlab:506"]["finished_at"] is None
    assert rows_by["gitlab:502"]["triggered_by"] == "dan"


def test_gitlab_service_from_legacy_url_or_file_name(tmp_path: Path) -> None:
    legacy = {
        "id": 41,
        "iid": 1,
        "ref": "main",
        "sha": "99d03678b90d914dbb1b109132516d71a4a03ea8",
        "status": "success",
        "created_at": "2016-08-11T07:36:40.222Z",
        "environment": {"id": 9, "name": "production"},
        "deployable": {"pipeline": {"web_url": "http://gitlab.dev/root/project/pipelines/12"}},
    }
    bare = {**legacy, "id": 42, "deployable": None}
    path = tmp_path / "storefront.json"
    path.write_text(json.dumps([legacy, bare]))
    assert [r["service"] for r in records(path, "deployments")] == ["project", "storefront"]


# -- detection -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "document",
    [
        [{"deployment_id": "d1", "service": "api", "sha": "abc", "ref": "main", "task": "x"}],
        {"deployments": [{"deployment_id": "d1", "service": "api"}]},
        [{"captured_at": "2024-05-01", "service": "api", "version": "1.0", "chart": "a-1.0"}],
        {"items": [{"service": "api", "version": "1.0", "environment": "prod"}]},
        [],
        {"items": []},
        "text",
    ],
)
def test_canonical_documents_are_not_native(document: Any) -> None:
    assert detect_native_format(document) is None


def test_detection_of_each_tool() -> None:
    expected = {
        K8S_STATUS: "kubectl",
        POPEYE: "kubectl",
        PODS: "kubectl",
        PEER / "kubectl_get_deploy_single__k9s.json": "kubectl",
        PEER / "helm_list__helm_testdata.yaml": "helm",
        ARGOCD: "argocd",
        NATIVE / "github_deployments_with_statuses.json": "github",
        NATIVE / "github_deployments_and_statuses.json": "github",
        NATIVE / "gitlab_deployments.json": "gitlab",
    }
    assert {path: detect_native_format(read(path)) for path in expected} == expected
    assert detect_native_format({"apiVersion": "v1", "kind": "List", "items": []}) == "kubectl"


def test_an_export_in_the_wrong_inbox_names_both_kinds() -> None:
    with pytest.raises(UnreadableFile, match="helm list output holds inventory, not deployments"):
        parse(PEER / "helm_list__helm_testdata.json", "deployments")
    with pytest.raises(UnreadableFile, match="GitLab Deployments export holds deployments"):
        parse(NATIVE / "gitlab_deployments.json", "inventory")


def test_entries_that_are_not_objects_become_empty_records() -> None:
    options = ReadOptions(parse_settings({}), file_mtime=MTIME)
    release = {"name": "a", "chart": "a-1.0.0", "app_version": "", "revision": "2"}
    result = parse_native([release, None], "inventory", Path("helm.json"), options)
    assert result is not None
    first, second = result["inventory"][1]
    assert (first["service"], first["version"]) == ("a", "1.0.0")  # chart version fallback
    assert (second["service"], second["version"], second["helm"]) == (None, None, {"release": None})


def test_kubectl_objects_without_kind_are_kept_for_the_contract() -> None:
    options = ReadOptions(parse_settings({}), file_mtime=MTIME)
    document = {"apiVersion": "v1", "kind": "List", "items": [{"metadata": {"name": "x"}}, 7]}
    result = parse_native(document, "inventory", Path("k.json"), options)
    assert result is not None
    kindless, number = result["inventory"][1]
    assert (kindless["service"], kindless["version"], kindless["environment"]) == ("x", None, None)
    assert (number["service"], number["kubernetes"]) == (None, {"item": 7})


# -- through the loader ----------------------------------------------------------------------


def _ingest(tmp_path: Path, path: Path, kind: str) -> tuple[Any, list[Any]]:
    conn = connect(tmp_path / "w.duckdb")
    reports = ingest_file(
        conn,
        path,
        parse_settings({}),
        kind=kind,
        environment="prod",
        captured_at="2024-05-01T00:00:00Z",
    )
    return conn, reports


def _reconciled(conn: Any) -> list[tuple[str, int, int, int, int]]:
    return conn.execute(
        "SELECT kind, rows_read, rows_accepted, rows_rejected, rows_duplicate"
        " FROM raw.ingested_files ORDER BY kind"
    ).fetchall()


def test_ingest_kubectl_pods_end_to_end(tmp_path: Path) -> None:
    conn, reports = _ingest(tmp_path, PODS, "inventory")
    assert [(r.kind, r.status, r.reconciles()) for r in reports] == [("inventory", "loaded", True)]
    rows = conn.execute(
        "SELECT service, environment, version, image_digest, source, captured_at"
        " FROM staging.inventory ORDER BY service"
    ).fetchall()
    at = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    assert rows == [
        ("t1", "prod", "latest", CYAN_DIGEST, "kubectl", at),
        ("t2", "prod", "latest", CYAN_DIGEST, "kubectl", at),
    ]
    assert _reconciled(conn) == [("inventory", 2, 2, 0, 0)]


def test_ingest_kubectl_edge_cases_quarantines_the_empty_deployment(tmp_path: Path) -> None:
    conn, _ = _ingest(tmp_path, POPEYE, "inventory")
    rows = conn.execute(
        "SELECT service, version FROM staging.inventory ORDER BY service"
    ).fetchall()
    assert rows == [("dp1", "v1.0.0"), ("dp2", "0.1.0")]
    assert _reconciled(conn) == [("inventory", 3, 2, 1, 0)]
    (reasons,) = conn.execute("SELECT reasons FROM quarantine.rejected_rows").fetchone()
    assert len(reasons) == 1
    assert reasons[0].startswith("missing_required_field: version=null")


def test_ingest_argocd_end_to_end_fills_both_tables(tmp_path: Path) -> None:
    conn, reports = _ingest(tmp_path, ARGOCD, "inventory")
    assert [(r.kind, r.rows_accepted, r.reconciles(), r.records_skipped) for r in reports] == [
        ("inventory", 8, True, {"never_deployed": 2}),
        ("deployments", 37, True, {}),
    ]
    inventory = conn.execute(
        "SELECT service, version, image_digest FROM staging.inventory ORDER BY service"
    ).fetchall()
    expected_digests = {"ingress-nginx": NGINX_DIGEST}
    assert inventory == sorted(
        (service, version, expected_digests.get(service))
        for service, (version, _) in ARGOCD_INVENTORY.items()
    )
    latest = conn.execute(
        "SELECT deployment_id, version, status, duration_seconds FROM staging.deployments"
        " WHERE service = 'elementor-ai-api' ORDER BY started_at DESC LIMIT 1"
    ).fetchone()
    assert latest == ("argocd:prod-platform-elementor-ai-api:356", "0.0.809", "succeeded", 2.0)
    assert _reconciled(conn) == [("deployments", 37, 37, 0, 0), ("inventory", 8, 8, 0, 0)]
    skipped = conn.execute(
        "SELECT kind, records_skipped FROM raw.ingested_files ORDER BY kind"
    ).fetchall()
    assert [(kind, json.loads(note) if note else None) for kind, note in skipped] == [
        ("deployments", None),
        ("inventory", {"never_deployed": 2}),
    ]


def test_ingest_github_rejects_the_unfinished_deployment(tmp_path: Path) -> None:
    conn, _ = _ingest(tmp_path, NATIVE / "github_deployments_with_statuses.json", "deployments")
    assert _reconciled(conn) == [("deployments", 6, 5, 1, 0)]
    (record, reasons) = conn.execute(
        "SELECT record ->> 'deployment_id', reasons FROM quarantine.rejected_rows"
    ).fetchone()
    assert record == "github:1004"
    assert [reason.split(":")[0] for reason in reasons] == ["unknown_status"]
