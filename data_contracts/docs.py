"""Great Expectations' own Data Docs page for a stored validation result.

The contract check keeps GX's validation result as JSON (``ContractResult.document``); this
renders it with GX's validation-results renderer and page view, the HTML GX users know. That
view inserts values as markup, so every value read from input is escaped first.
GX is imported here, not at module import, because it takes seconds.
"""

from __future__ import annotations

import html
from typing import Any

from data_contracts.validate import prepare_gx

#: the parts of each expectation's result that hold values read from input files
_FROM_DATA = ("result", "exception_info")


def _escape(value: Any) -> Any:
    """Every string inside ``value`` HTML-escaped (GX's page view inserts values as markup)."""
    if isinstance(value, str):
        return html.escape(value)
    if isinstance(value, list):
        return [_escape(item) for item in value]
    if isinstance(value, dict):
        return {key: _escape(item) for key, item in value.items()}
    return value


def escaped_document(document: dict[str, Any]) -> dict[str, Any]:
    """The document with every value that came from input data HTML-escaped."""
    results = [
        {key: _escape(item) if key in _FROM_DATA else item for key, item in result.items()}
        for result in document.get("results", [])
    ]
    return {**document, "results": results}


def render_validation_page(document: dict[str, Any]) -> str:
    """The Data Docs HTML of one GX validation result (as stored JSON); in the GX worker when
    this process started one (``data_contracts.worker``), else here."""
    from data_contracts import worker

    try:
        return worker.call("render_validation_page", document)
    except worker.WorkerGone:
        return render_here(document)


def render_here(document: dict[str, Any]) -> str:
    """:func:`render_validation_page` in this process."""
    prepare_gx()
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResultSchema,
    )
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    result = ExpectationSuiteValidationResultSchema().load(escaped_document(document))
    return DefaultJinjaPageView().render(ValidationResultsPageRenderer().render(result))
