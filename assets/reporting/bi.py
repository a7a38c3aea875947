"""The BI copy: the finished marts copied into a PostgreSQL schema a read-only role can read.

Grafana, Metabase or Superset connect to PostgreSQL as ``publish.reader_role`` and chart the
``publish.schema`` tables. A publish builds the copy in a schema of its own, then swaps it in
with one PostgreSQL transaction, so readers see the old copy or the new one, never half.
"""

from __future__ import annotations

import duckdb

from assets.settings import Settings
from assets.warehouse import (
    LakeUnavailable,
    first_line,
    load_lake_extensions,
    shown,
    sql_text,
)

#: the attached BI database's name in the warehouse connection
BI_CATALOG = "bi"
#: where a copy is built before it replaces the published one
BUILDING_SUFFIX = "_building"


def mart_tables(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """The warehouse's mart tables, by name."""
    rows = conn.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts'"
        " AND database_name = current_database() ORDER BY table_name"
    ).fetchall()
    return [name for (name,) in rows]


def _swap_sql(schema: str, building: str, role: str) -> str:
    """One PostgreSQL transaction: replace the schema, make sure the role exists, grant it
    reading and nothing else. Names are checked identifiers (config validation)."""
    return f"""
        BEGIN;
        DROP SCHEMA IF EXISTS {schema} CASCADE;
        ALTER SCHEMA {building} RENAME TO {schema};
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
            END IF;
        END $$;
        REVOKE ALL ON SCHEMA {schema} FROM PUBLIC;
        GRANT USAGE ON SCHEMA {schema} TO {role};
        GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role};
        COMMIT;
    """


def publish_marts(conn: duckdb.DuckDBPyConnection, settings: Settings) -> dict[str, int]:
    """Copy every mart into ``publish.schema`` of ``publish.postgres``; rows per table.

    Does nothing (an empty result) when ``publish.postgres`` is not set.
    """
    target = settings.publish.postgres
    if not target:
        return {}
    schema, role = settings.publish.schema_name, settings.publish.reader_role
    building = f"{schema}{BUILDING_SUFFIX}"
    tables = mart_tables(conn)
    load_lake_extensions(conn)
    try:
        conn.execute(f"ATTACH {sql_text(target)} AS {BI_CATALOG} (TYPE postgres)")
    except duckdb.Error as exc:
        raise LakeUnavailable(
            f"publish.postgres {shown(target)} cannot be reached: {first_line(exc)}"
        ) from None
    try:
        run = f"CALL postgres_execute({sql_text(BI_CATALOG)}, $statement)"
        conn.execute(
            run,
            {"statement": f"DROP SCHEMA IF EXISTS {building} CASCADE; CREATE SCHEMA {building}"},
        )
        conn.execute("CALL pg_clear_cache()")
        counts = {}
        for table in tables:
            conn.execute(
                f"CREATE TABLE {BI_CATALOG}.{building}.{table} AS SELECT * FROM marts.{table}"
            )
            (counts[table],) = conn.execute(f"SELECT count(*) FROM marts.{table}").fetchone()
        conn.execute(run, {"statement": _swap_sql(schema, building, role)})
    finally:
        conn.execute(f"DETACH {BI_CATALOG}")
    return counts
