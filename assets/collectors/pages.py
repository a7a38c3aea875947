"""Writing pulled pages into the inbox: safe names, inside the inbox, atomically.

A page is written to a hidden temporary file in its kind's folder (the loader skips hidden
files, so a concurrent ingest never reads half a page), flushed to disk, then renamed into
place. The folder must be a real folder inside the inbox (never a link), and an existing file
of the same name is never replaced.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from assets.collectors.http import CollectorError, dumps_literal

#: characters a name part keeps; anything else (``/``, spaces, ``*?[``) becomes ``-``
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
#: longest name part taken from a repository, project or service name
MAX_NAME_PART = 80
#: names tried for one page when earlier pulls took the first ones
MAX_NAME_TRIES = 100


def safe_name_part(text: str) -> str:
    """``text`` as one file-name part: ``acme/checkout api`` → ``acme-checkout-api``.

    Never empty, never hidden (no leading dot), never a path.
    """
    cleaned = _UNSAFE.sub("-", text).strip("-.")[:MAX_NAME_PART].strip("-.")
    return cleaned or "unnamed"


def page_file_name(prefix: str, stamp: dt.datetime, number: int) -> str:
    """``<prefix>-<UTC time of the pull>-p<n>.json``."""
    return f"{safe_name_part(prefix)}-{stamp.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}-p{number}.json"


def _kind_folder(inbox: Path, kind: str) -> Path:
    if inbox.is_symlink():
        raise CollectorError(f"the inbox {inbox} is a link; pages are written to a real folder")
    folder = inbox / kind
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise CollectorError(f"{folder} is not a folder (a link or a file); nothing was written")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _place(temporary: str, final: Path) -> bool:
    """Give the temporary file its final name unless that name is taken; whether it was.

    A hard link never replaces an existing name; where links are not supported, the name is
    checked and the file renamed (rename does not follow a link at the final name either).
    """
    try:
        os.link(temporary, final, follow_symlinks=False)
    except FileExistsError:
        return False
    except OSError:
        if final.exists() or final.is_symlink():
            return False
        os.replace(temporary, final)
        return True
    os.unlink(temporary)
    return True


def write_page(inbox: Path, kind: str, name: str, document: Any) -> Path:
    """Write one page as JSON to ``<inbox>/<kind>/<name>``; return its path.

    When the name is taken (two pulls in the same second), ``-2``, ``-3``, ... is added.
    """
    if name != safe_name_part(name) or not name.endswith(".json"):
        raise CollectorError(f"{name!r} is not a safe page file name")
    folder = _kind_folder(inbox, kind)
    data = dumps_literal(document)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        stem = name.removesuffix(".json")
        for attempt in range(1, MAX_NAME_TRIES + 1):
            final = folder / (name if attempt == 1 else f"{stem}-{attempt}.json")
            if _place(temporary, final):
                return final
        raise CollectorError(f"{folder / name} and {MAX_NAME_TRIES - 1} variants exist already")
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
