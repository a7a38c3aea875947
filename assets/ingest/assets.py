"""Dagster assets of the ingest domain: one staging table per input kind.

Each asset loads the new files of its kind from the inbox and reports two blocking checks:
the data contract (GX's verdict agrees with the quarantine and no file broke the feed-level
rules) and the reconciliation of every file's row counts.
"""

from collections import Counter

import dagster as dg
import duckdb

from assets.ingest.contract import validate_batches
from assets.ingest.file_states import held_files
from assets.ingest.kinds import kind_named
from assets.ingest.loader import FileReport, ingest_inbox
from assets.settings import Settings
from assets.table_metadata import column_schema_metadata
from assets.warehouse import Warehouse

CONTRACT_CHECK = "contract"
RECONCILIATION_CHECK = "reconciliation"
PREVIEW_ROWS = 5
_DESCRIPTIONS = {
    "deployments": "Deployment log rows (README: Deployment log) from the inbox's deployments/"
    " folder and "
    "native exports (GitHub, GitLab, Argo CD history): aliases applied, times in UTC, one row "
    "per deployment_id.",
    "incidents": "Incident log rows (README: Incident log) from the inbox's incidents/ folder; "
    "attributed_deployment_id is filled by staging/incident_attribution.",
    "calendar": "Release-calendar events (staging.calendar_events) from the inbox's calendar/ "
    "folder, iCalendar or YAML: freezes, planned releases and maintenance, one row per "
    "occurrence of a recurring event.",
    "inventory": "Environment inventory snapshots (README: Environment inventory) from the"
    " inbox's inventory/ "
    "folder: canonical files and kubectl, helm and Argo CD exports.",
}


def _contract_result(
    conn: duckdb.DuckDBPyConnection, kind: str, reports: list[FileReport]
) -> dg.AssetCheckResult:
    """Fails while any file of this kind is held (from any run, any folder, until a person
    forgets or accepts it) or a file of this run could not be read."""
    held = held_files(conn, kind)
    failed = [r for r in reports if r.failed]
    broken = [{"path": f.path, "status": "held", "reason": f.error} for f in held] + [
        {"path": r.path, "status": "failed", "reason": r.error} for r in failed
    ]
    return dg.AssetCheckResult(
        check_name=CONTRACT_CHECK,
        passed=not broken,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"{len(held)} held and {len(failed)} unreadable {kind} file(s): "
            + "; ".join(f"{b['path']} ({b['status']})" for b in broken[:PREVIEW_ROWS])
            if broken
            else f"No {kind} file is held or unreadable."
        ),
        metadata={
            "files_checked": len(reports),
            "files_held": len(held),
            "files_failed": len(failed),
            "broken": dg.MetadataValue.json(broken),
        },
    )


def _reconciliation_result(conn: duckdb.DuckDBPyConnection, kind: str) -> dg.AssetCheckResult:
    mismatched = conn.execute(
        "SELECT f.path, f.rows_read, f.rows_accepted, f.rows_rejected, f.rows_duplicate,"
        " coalesce(q.quarantined, 0)"
        " FROM raw.ingested_files f"
        " LEFT JOIN (SELECT file_sha256, kind, count(*) AS quarantined"
        "            FROM quarantine.rejected_rows GROUP BY ALL) q USING (file_sha256, kind)"
        " WHERE f.kind = $kind AND f.status NOT IN ('failed', 'forgotten')"
        "   AND f.contract_status IS DISTINCT FROM 'pending'"
        "   AND (f.rows_read <> f.rows_accepted + f.rows_rejected + f.rows_duplicate"
        "        OR f.rows_read <> coalesce(f.records_counted, f.rows_read)"
        "        OR f.rows_rejected <> coalesce(q.quarantined, 0))",
        {"kind": kind},
    ).fetchall()
    (files,) = conn.execute(
        "SELECT count(*) FROM raw.ingested_files WHERE kind = $kind", {"kind": kind}
    ).fetchone()
    return dg.AssetCheckResult(
        check_name=RECONCILIATION_CHECK,
        passed=not mismatched,
        severity=dg.AssetCheckSeverity.ERROR,
        description="Every file: rows_read = accepted + rejected + duplicate = an independent "
        "count of its records, and every rejected row is in quarantine.",
        metadata={
            "files": int(files),
            "mismatched": dg.MetadataValue.json([list(map(str, row)) for row in mismatched]),
        },
    )


def _preview(conn: duckdb.DuckDBPyConnection, kind: str) -> str:
    frame = conn.execute(
        f"SELECT * EXCLUDE (extra, row_hash) FROM {kind_named(kind).table}"
        f" ORDER BY loaded_at DESC LIMIT {PREVIEW_ROWS}"
    ).to_arrow_table()
    header = "| " + " | ".join(frame.column_names) + " |"
    rule = "|" + "---|" * frame.num_columns
    rows = ["| " + " | ".join(str(v) for v in row.values()) + " |" for row in frame.to_pylist()]
    return "\n".join([header, rule, *rows])


#: a run tag naming the team whose inbox a sensor's ingest run reads
INBOX_TAG = "release-health/inbox"


def run_inboxes(settings: Settings, team: str | None) -> list[Settings]:
    """The inboxes a run reads, as settings: one team's when its sensor started the run
    (tag ``release-health/inbox``), else ``inbox_dir`` and every team's inbox."""
    if team:
        return [settings.for_inbox(team)]
    return [settings, *(settings.for_inbox(t) for t in settings.inboxes)]


def build_staging_asset(kind: str) -> dg.AssetsDefinition:
    """The staging asset for one input kind, with its two blocking checks."""
    key = dg.AssetKey(["staging", kind])

    @dg.asset(
        key=key,
        group_name="ingest",
        description=_DESCRIPTIONS[kind],
        kinds={"duckdb"},
        check_specs=[
            dg.AssetCheckSpec(
                CONTRACT_CHECK,
                asset=key,
                blocking=True,
                description=f"Fails while a {kind} file is held by its data contract (until "
                "a person forgets or accepts it) or a file of this run could not be read; "
                "blocks everything downstream.",
            ),
            dg.AssetCheckSpec(
                RECONCILIATION_CHECK,
                asset=key,
                blocking=True,
                description="Every record is accounted for: for each file, read = accepted + "
                "rejected + duplicate, read = the file's independently counted records, and "
                "rejected = its rows in quarantine.",
            ),
        ],
    )
    def staging_table(
        context: dg.AssetExecutionContext,
        warehouse: dg.ResourceParam[Warehouse],
        settings: dg.ResourceParam[Settings],
    ) -> dg.MaterializeResult:
        with warehouse.connection() as conn:
            reports = [
                r
                for inbox in run_inboxes(settings, context.run.tags.get(INBOX_TAG))
                for r in ingest_inbox(conn, inbox, kind, validator=validate_batches)
                if r.kind == kind
            ]
            for report in reports:
                context.log.info(
                    f"{report.path}: {report.status}, read {report.rows_read}, accepted "
                    f"{report.rows_accepted}, rejected {report.rows_rejected}"
                    + (f" ({report.error})" if report.error else "")
                )
            (rows,) = conn.execute(f"SELECT count(*) FROM {kind_named(kind).table}").fetchone()
            reasons: Counter[str] = Counter()
            for report in reports:
                reasons.update(report.reasons)
            return dg.MaterializeResult(
                metadata={
                    "dagster/row_count": int(rows),
                    "files_loaded": sum(r.status == "loaded" for r in reports),
                    "files_held": sum(r.held for r in reports),
                    "files_failed": sum(r.failed for r in reports),
                    "rows_accepted": sum(r.rows_accepted for r in reports),
                    "rows_rejected": sum(r.rows_rejected for r in reports),
                    "rows_duplicate": sum(r.rows_duplicate for r in reports),
                    "rejection_reasons": dg.MetadataValue.json(dict(reasons.most_common())),
                    "preview": dg.MetadataValue.md(_preview(conn, kind)),
                    **column_schema_metadata(conn, "staging", kind),
                },
                check_results=[
                    _contract_result(conn, kind, reports),
                    _reconciliation_result(conn, kind),
                ],
            )

    return staging_table


staging_assets = [
    build_staging_asset(kind) for kind in ("deployments", "incidents", "inventory", "calendar")
]
