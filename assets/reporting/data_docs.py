"""Great Expectations' Data Docs of the contract checks, published beside the weekly pages.

Each check of record stored GX's validation result (``raw.contract_validations``); every one
not yet on disk is rendered once by GX's own renderer into
``reports_dir/data-docs/validations/<id>.html``, and the index lists them all with the files
each covered. The data-quality section of a weekly page links each file to its check.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from reports.model import ValidationEntry
from reports.publish import publish_data_docs

_ENTRIES = """
SELECT v.validation_id, v.validated_at, v.kind, v.suite, v.success,
       coalesce(list(DISTINCT f.path ORDER BY f.path) FILTER (f.path IS NOT NULL), []) AS files
FROM raw.contract_validations AS v
LEFT JOIN raw.ingested_files AS f ON f.contract_detail->>'validation_id' = v.validation_id
GROUP BY ALL
ORDER BY v.validated_at DESC, v.validation_id
"""


def publish_validations(conn: duckdb.DuckDBPyConnection, reports_dir: Path) -> Path | None:
    """Write the Data Docs of every stored check; the index page, or None when none ran."""
    entries = [ValidationEntry(*row) for row in conn.execute(_ENTRIES).fetchall()]
    if not entries:
        return None

    def render(validation_id: str) -> str:
        from data_contracts.docs import render_validation_page

        (document,) = conn.execute(
            "SELECT document FROM raw.contract_validations WHERE validation_id = $id",
            {"id": validation_id},
        ).fetchone()
        return render_validation_page(json.loads(document))

    return publish_data_docs(entries, render, reports_dir)
