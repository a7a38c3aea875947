"""Records of paginated API responses, however the pages were saved.

An API that pages puts each page's records in a list under one key (``incidents``, ``data``,
``issues``). A user saves one page per file, the pages back to back, or an array of pages
(``--slurp``); the reader may already have joined pages into one response. Each of these
reads here as the records of every page, in page order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def pages_of(document: Any, key: str) -> list[Mapping[str, Any]] | None:
    """The pages of ``document``: itself when it is a page, its items when it is an array of
    pages; None when it is neither."""
    if isinstance(document, Mapping) and isinstance(document.get(key), list):
        return [document]
    if (
        isinstance(document, list)
        and document
        and all(isinstance(page, Mapping) and isinstance(page.get(key), list) for page in document)
    ):
        return list(document)
    return None


def page_records(document: Any, key: str) -> list[Any]:
    """Every record of every page of ``document`` (a bare list of records is one page)."""
    pages = pages_of(document, key)
    if pages is None:
        return list(document) if isinstance(document, list) else [document]
    return [record for page in pages for record in page[key]]


def first_record(document: Any, key: str) -> Mapping[str, Any] | None:
    """The first record object of ``document``'s pages, or of a bare list of records."""
    pages = pages_of(document, key)
    entries = (
        [record for page in pages for record in page[key]]
        if pages is not None
        else document
        if isinstance(document, list)
        else []
    )
    return next((entry for entry in entries if isinstance(entry, Mapping)), None)


def empty_page(document: Any, key: str, paging_keys: frozenset[str]) -> bool:
    """Whether ``document`` is a page (or array of pages) with no records, recognised by its
    paging fields (an empty list alone says nothing about who wrote it)."""
    pages = pages_of(document, key)
    return bool(pages) and all(not page[key] and paging_keys & page.keys() for page in pages)
