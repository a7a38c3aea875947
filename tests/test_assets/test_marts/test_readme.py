"""The README's mart tables are what the mart specs give (``make docs`` writes them)."""

from __future__ import annotations

import pytest

from assets.marts import mart_specs
from assets.marts.readme import (
    BEGIN,
    END,
    README,
    main,
    mart_entry,
    mart_tables,
    with_mart_tables,
)


def test_the_readme_mart_tables_are_up_to_date_with_the_specs() -> None:
    text = README.read_text(encoding="utf-8")
    assert with_mart_tables(text) == text, "the README's mart tables are stale: run make docs"


def test_each_mart_and_each_of_its_columns_has_its_line() -> None:
    tables = mart_tables()
    for spec in mart_specs():
        entry = mart_entry(spec)
        assert entry in tables
        assert entry.startswith(f"#### `{spec.qualified_name}`\n")
        assert f"One row per {spec.grain}. {spec.description}" in entry
        rows = [line for line in entry.splitlines() if line.startswith("| `")]
        assert len(rows) == len(spec.columns)
        for row, column in zip(rows, spec.columns, strict=True):
            name, sql_type, doc = (cell.strip() for cell in row.strip("|").split(" | "))
            assert name == f"`{column.name}`"
            assert sql_type == column.type + (" NOT NULL" if column.not_null else "")
            assert doc == column.doc


def test_make_docs_rewrites_only_the_generated_part(tmp_path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n\nbefore\n\n{BEGIN}\nstale | rows\n{END}\n\nafter\n")
    assert main([str(readme)]) == 0
    written = readme.read_text()
    assert written == f"# title\n\nbefore\n\n{mart_tables()}\n\nafter\n"
    assert main([str(readme)]) == 0
    assert readme.read_text() == written


def test_a_readme_without_the_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="no generated part"):
        with_mart_tables("# title\n\n" + END + "\n" + BEGIN + "\n")
