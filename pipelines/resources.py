"""Resources: the one place that opens the warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from assets.warehouse import connect


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse: a DuckDB file, or a DuckLake (``ducklake:postgres:...``) in team mode.
    Assets ask it for a connection for the length of their work.

    DuckDB has one writer per file, so the definitions run steps in process, one at a time.
    """

    location: str
    #: team mode: where the DuckLake keeps its data files
    lake_data_path: str | None = None
    memory_limit: str | None = None
    #: how long a step waits for another process that holds the file
    wait_seconds: float = 0

    @contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        conn = connect(
            self.location,
            memory_limit=self.memory_limit,
            wait_seconds=self.wait_seconds,
            on_wait=dg.get_dagster_logger().info,
            data_path=self.lake_data_path,
        )
        try:
            yield conn
        finally:
            conn.close()
