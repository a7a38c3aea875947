"""Escaping of data strings before they reach a plotly figure.

Plotly renders a subset of HTML in titles, tick labels, text and hover labels (``<b>``,
``<br>``, ``<a href>``...), so a service called ``<a href=...>`` would become a link. Every
string that comes from input data goes through :func:`escape_text` before it is put into a
figure; plotly decodes the entities again when it draws, so people see the original text.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

import pandas as pd


def escape_text(value: object) -> str:
    """Return ``value`` as text that plotly shows literally (missing values become ``""``)."""
    if value is None or (
        not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)
    ):
        return ""
    return html.escape(str(value), quote=True)


def escape_texts(values: Iterable[object]) -> list[str]:
    """:func:`escape_text` for every value, keeping the order."""
    return [escape_text(value) for value in values]
