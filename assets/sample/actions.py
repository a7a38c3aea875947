"""Some of the sample organisation's deployments written as GitHub Actions workflow runs.

The staging deployments of a few services (those whose versions are release tags, so a run's
``head_branch`` carries the version as a tag push would) are written as the response of
``GET /repos/{owner}/{repo}/actions/runs`` in ``gh api --paginate`` layout (pages back to back),
instead of CSV rows. They are the same deployments, so the numbers do not change: production
deployments, which the delivery metrics and incidents refer to, stay in the CSV files, and a
run carries every field a staging deployment is compared by (service, environment through
the workflow, version, status, times, commit, who).

Reading them needs the workflow configured: :data:`DEPLOY_WORKFLOWS` (the demo writes it).
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path

from assets.ingest.adapters.records import is_version_tag
from assets.sample.inbox import format_timestamps

ORGANISATION = "acme"
WORKFLOW_NAME = "Deploy to staging"
WORKFLOW_PATH = ".github/workflows/deploy-staging.yml"
WORKFLOW_ID = 4_210_771
ENVIRONMENT = "staging"
#: the config that reads the runs: ``github_actions.deploy_workflows``
DEPLOY_WORKFLOWS = {WORKFLOW_NAME: ENVIRONMENT}
#: share of the eligible services whose staging deployments are written as runs
SERVICE_SHARE = 0.25
#: runs per page, as ``per_page=100`` returns them
PAGE_SIZE = 100
#: run ids start here (GitHub's are large numbers unrelated to the deployment numbering)
FIRST_RUN_ID = 7_100_000_000
CONCLUSIONS = {"succeeded": "success", "failed": "failure", "cancelled": "cancelled"}
FILE_NAME = "github-actions-runs.json"
_REGULAR = "regular"


def split_runs(rows: list[list], referenced: set[int], seed: int) -> tuple[list[list], list[list]]:
    """``(rows kept as CSV, rows written as runs)``: staging deployments of some services.

    ``referenced`` holds ``id()`` of rows an incident names: those stay as they are.
    """
    versions: dict[str, bool] = {}
    for row in rows:
        versions[row[1]] = versions.get(row[1], True) and is_version_tag(row[3])
    eligible = sorted(service for service, tagged in versions.items() if tagged)
    count = max(1, round(SERVICE_SHARE * len(eligible))) if eligible else 0
    chosen = set(random.Random(f"{seed}:actions").sample(eligible, count))

    def as_run(row: list) -> bool:
        return (
            row[1] in chosen
            and row[2] == ENVIRONMENT
            and row[4] in CONCLUSIONS
            and row[11] == _REGULAR
            and id(row) not in referenced
        )

    return [r for r in rows if not as_run(r)], [r for r in rows if as_run(r)]


def _run(row: list, number: int, started: str, finished: str) -> dict[str, object]:
    run_id = FIRST_RUN_ID + int(str(row[0]).removeprefix("dep-"))
    repository = f"{ORGANISATION}/{row[1]}"
    actor = {"login": row[12], "type": "Bot" if row[12].endswith("-bot") else "User"}
    return {
        "id": run_id,
        "name": WORKFLOW_NAME,
        "head_branch": row[3],
        "head_sha": row[10],
        "path": WORKFLOW_PATH,
        "display_title": f"Deploy {row[3]}",
        "run_number": number,
        "event": "push",
        "status": "completed",
        "conclusion": CONCLUSIONS[row[4]],
        "workflow_id": WORKFLOW_ID,
        "url": f"https://api.github.com/repos/{repository}/actions/runs/{run_id}",
        "html_url": f"https://github.com/{repository}/actions/runs/{run_id}",
        "pull_requests": [],
        "created_at": started,
        "updated_at": finished,
        "actor": actor,
        "run_attempt": 1,
        "run_started_at": started,
        "triggering_actor": actor,
        "head_commit": {"id": row[10], "timestamp": started},
        "repository": {"name": row[1], "full_name": repository},
    }


def write_runs(folder: Path, rows: Sequence[list]) -> list[Path]:
    """Write the runs, newest first as the API lists them, in pages back to back."""
    if not rows:
        return []
    ordered = sorted(rows, key=lambda row: (row[5], row[0]))
    started = format_timestamps([row[5] for row in ordered])
    finished = format_timestamps([row[6] for row in ordered])
    per_service: dict[str, int] = {}
    runs = []
    for row, start, finish in zip(ordered, started, finished, strict=True):
        per_service[row[1]] = per_service.get(row[1], 0) + 1
        runs.append(_run(row, per_service[row[1]], start, finish))
    runs.reverse()
    pages = [runs[i : i + PAGE_SIZE] for i in range(0, len(runs), PAGE_SIZE)]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE_NAME
    path.write_text(
        "".join(json.dumps({"total_count": len(runs), "workflow_runs": page}) for page in pages)
        + "\n"
    )
    return [path]
