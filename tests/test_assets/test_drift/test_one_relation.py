"""The version matrix and the drift list use one relation: a service whose drift badge says
"behind" is coloured "behind" in the baseline's matrix cell, and the reverse."""

import pandas as pd
import pytest

from assets.drift.drift import ServiceHistory, State, classify_drift, production_relation
from assets.reporting.environment import relation
from reports.theme import THEME


def matrix_cell(baseline_version: str, production_version: str) -> pd.Series:
    """The baseline's cell of the matrix, as the report query returns it."""
    return pd.Series(
        {
            "environment": "staging",
            "version": baseline_version,
            "image_digest": None,
            "production_version": production_version,
            "production_digest": None,
            "drift_kind": None,
        }
    )


@pytest.mark.parametrize(
    ("baseline", "production", "kind"),
    [
        ("1.3.0", "1.1.0", "behind"),  # staging newer: production is behind
        ("1.1.0", "1.3.0", "ahead"),  # production runs what staging never had
        ("2.0.0", "2.0.0", "in_sync"),
        ("1.10.0", "1.9.0", "behind"),  # numeric order, not text order
    ],
)
def test_matrix_cell_and_drift_badge_agree(baseline, production, kind):
    verdict = classify_drift(State(baseline), State(production), ServiceHistory(), [])
    cell = relation(matrix_cell(baseline, production), "prod", "staging")
    assert verdict.kind == kind
    assert cell == kind
    assert production_relation(production, baseline) == kind
    # and one colour for the word, in the matrix and in the drift list
    if kind != "in_sync":
        assert THEME.relations[cell] == THEME.drift_kinds[verdict.kind]


def test_production_cell_is_in_sync_with_itself():
    row = matrix_cell("1.1.0", "1.1.0").copy()
    row["environment"] = "prod"
    assert relation(row, "prod", "staging") == "in_sync"
