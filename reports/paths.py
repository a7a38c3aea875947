"""Where report files go and how pages link to each other.

A week label becomes a folder name and a link, so it is validated before either: nothing
derived from data may point outside the reports folder or carry a URL scheme.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

PAGE_NAME = "index.html"
ASSETS_DIR = "assets"
PLOTLY_FILE = "plotly.min.js"
# From a week page (reports_dir/<week>/index.html) to the shared files.
PLOTLY_SRC_FROM_WEEK = f"../{ASSETS_DIR}/{PLOTLY_FILE}"
ARCHIVE_HREF_FROM_WEEK = f"../{PAGE_NAME}"
SERVICES_DIR = "services"
# From a service page (reports_dir/<week>/services/<slug>.html) back to its week.
WEEK_HREF_FROM_SERVICE = f"../{PAGE_NAME}"
#: the readable part of a service page's name; a hash of the full name keeps names unique
SLUG_LENGTH = 48
SLUG_HASH_LENGTH = 8
#: Great Expectations' Data Docs: reports_dir/data-docs/index.html and validations/<id>.html
DATA_DOCS_DIR = "data-docs"
VALIDATIONS_DIR = "validations"
DATA_DOCS_HREF_FROM_WEEK = f"../{DATA_DOCS_DIR}/{PAGE_NAME}"
_VALIDATION_ID = re.compile(r"^[0-9a-f]{32}$")
#: the form of a week label, ``YYYY-Www``: a week folder's name and a week link are one
WEEK_LABEL = re.compile(r"(\d{4})-W(\d{2})")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def week_page(reports_dir: Path, week: str) -> Path:
    """``reports_dir/<week>/index.html``, guaranteed to stay inside ``reports_dir``.

    Links in the folder are not resolved here: the publisher refuses a week folder that links
    outside and replaces a linked page rather than writing through it.
    """
    root = reports_dir.resolve()
    page = root / validate_week(week) / PAGE_NAME
    if root not in page.parents:
        raise ValueError(f"report page {page} would be outside {root}")
    return page


def week_href_from_week(week: str | None) -> str | None:
    """Link from one week page to another (``None`` when there is no such week)."""
    return None if week is None else f"../{validate_week(week)}/{PAGE_NAME}"


def week_href_from_archive(week: str) -> str:
    """Link from the archive page to a week page."""
    return f"{validate_week(week)}/{PAGE_NAME}"


def safe_relative_href(href: str) -> str:
    """Accept only relative links that stay on this site (no scheme, no ``//host``)."""
    if _SCHEME.match(href) or href.startswith(("/", "\\")) or ".." in Path(href).parts:
        raise ValueError(f"archive links must be relative paths inside the site, got {href!r}")
    return href


def service_slug(name: str) -> str:
    """A file name for a service's page: ``[a-z0-9-]`` only, so it can never leave its folder
    (no ``/``, ``..`` or dot file), plus a short hash of the exact name so ``API`` and ``api``
    or two names that differ only in punctuation get pages of their own."""
    readable = _NOT_SLUG.sub("-", str(name).lower()).strip("-")[:SLUG_LENGTH].strip("-")
    digest = hashlib.sha256(str(name).encode("utf-8")).hexdigest()[:SLUG_HASH_LENGTH]
    return f"{readable or 'service'}-{digest}"


def service_href_from_week(name: str) -> str:
    """Link from a week page to one of its service pages."""
    return f"{SERVICES_DIR}/{service_slug(name)}.html"


def service_page(reports_dir: Path, week: str, name: str) -> Path:
    """``reports_dir/<week>/services/<slug>.html``, guaranteed to stay inside ``reports_dir``."""
    root = reports_dir.resolve()
    page = root / validate_week(week) / SERVICES_DIR / f"{service_slug(name)}.html"
    if root not in page.parents:
        raise ValueError(f"service page {page} would be outside {root}")
    return page


def validate_validation_id(validation_id: str) -> str:
    """Return ``validation_id`` if it is one of ours (32 hex digits); raise ValueError if not."""
    if not isinstance(validation_id, str) or not _VALIDATION_ID.fullmatch(validation_id):
        raise ValueError(f"not a validation id: {validation_id!r}")
    return validation_id


def validation_href_from_data_docs(validation_id: str) -> str:
    """Link from the Data Docs index to one validation's page."""
    return f"{VALIDATIONS_DIR}/{validate_validation_id(validation_id)}.html"


def validation_href_from_week(validation_id: str) -> str:
    """Link from a week page to one validation's Data Docs page."""
    return f"../{DATA_DOCS_DIR}/{validation_href_from_data_docs(validation_id)}"


def validation_page(reports_dir: Path, validation_id: str) -> Path:
    """``reports_dir/data-docs/validations/<id>.html``."""
    return reports_dir.resolve() / DATA_DOCS_DIR / validation_href_from_data_docs(validation_id)


def validate_week(label: str) -> str:
    """Return ``label`` if it is written like an ISO week label, ``2024-W07``; raise
    ValueError if not. The form only: a label becomes a folder name and a link, so nothing
    else may pass."""
    if not isinstance(label, str) or not WEEK_LABEL.fullmatch(label):
        raise ValueError(f"week must look like 2024-W07 (YYYY-Www), got {label!r}")
    return label
