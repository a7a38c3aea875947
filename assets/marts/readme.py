"""The README's mart tables, written from the mart specs (``make docs``).

The part of the README's "Warehouse tables" section between :data:`BEGIN` and :data:`END`
is generated: one entry per mart with its grain, description and a table of its columns. A
test fails while the README differs from what the specs give.
"""

from __future__ import annotations

import sys
from pathlib import Path

from assets.marts import MartSpec, mart_specs

README = Path(__file__).parents[2] / "README.md"
BEGIN = "<!-- mart tables: generated from assets/marts/*.yaml by `make docs` -->"
END = "<!-- end of the generated mart tables -->"


def _cell(text: str) -> str:
    """``text`` fit for a Markdown table cell."""
    return text.replace("|", "\\|")


def mart_entry(spec: MartSpec) -> str:
    """One mart's entry: heading, grain and description, then its columns."""
    lines = [
        f"#### `{spec.qualified_name}`",
        "",
        f"One row per {spec.grain}. {spec.description}",
        "",
        "| column | type | meaning |",
        "|---|---|---|",
    ]
    lines += [
        f"| `{column.name}` | {column.type}{' NOT NULL' if column.not_null else ''} "
        f"| {_cell(column.doc)} |"
        for column in spec.columns
    ]
    return "\n".join(lines)


def mart_tables() -> str:
    """The generated part, markers included."""
    entries = "\n\n".join(mart_entry(spec) for spec in mart_specs())
    return f"{BEGIN}\n\n{entries}\n\n{END}"


def with_mart_tables(text: str) -> str:
    """``text`` (the README) with its generated part written again from the specs."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the README has no generated part: put {BEGIN} and {END} in it")
    return text[:start] + mart_tables() + text[end + len(END) :]


def main(argv: list[str]) -> int:
    """Rewrite the README given (default: the project's) if its mart tables are stale."""
    readme = Path(argv[0]) if argv else README
    text = readme.read_text(encoding="utf-8")
    written = with_mart_tables(text)
    if written == text:
        print(f"{readme}: the mart tables are up to date")
    else:
        readme.write_text(written, encoding="utf-8")
        print(f"{readme}: mart tables written from the specs")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
