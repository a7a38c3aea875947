"""A lake's mart tables are created from the mart specs, as a DuckDB file's are."""

from __future__ import annotations

from tests.conftest import mart_columns, spec_columns
from tests.test_lake.conftest import Lake


def test_a_fresh_lake_has_every_mart_as_its_spec_declares(lake: Lake) -> None:
    with lake.connect() as conn:
        assert mart_columns(conn) == spec_columns()
        conn.execute("INSERT INTO marts.cadence VALUES ('2024-01-01', 'a', 2, 2, 0, 2, 'steady')")
    # another process sets the same lake up again: the tables and their rows stay as they are
    (lake.folder / "nothing").mkdir()
    result = lake.cli("ingest", "nothing")
    assert result.returncode == 0, result.stderr
    with lake.connect() as conn:
        assert mart_columns(conn) == spec_columns()
        assert conn.execute("SELECT team FROM marts.cadence").fetchall() == [("a",)]
