"""Scale inputs for the benchmarks, generated set-based in DuckDB (fast, deterministic).

Pseudo-random values come from ``hash(row, stream)``, so the output does not depend on the
number of threads. Deployments use the canonical CSV of the deployment log; inventories the
canonical CSV with ``config.`` and ``dep.`` columns, one file per ISO week of daily captures.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import duckdb

SECONDS_PER_WEEK = 7 * 86400
HISTORY_START = dt.datetime(2021, 11, 29, tzinfo=dt.UTC)  # a Monday

DEPLOYMENTS = """
WITH base AS (
    SELECT
        i,
        hash(i, 1) % $services AS s,
        $first + hash(i, 2) % ($weeks * 604800) AS t0,
        hash(i, 3) % 100 AS env_roll,
        hash(i, 4) % 100 AS status_roll,
        60 + hash(i, 5) % 1800 AS duration,
        hash(i, 6) % 30 AS changes,
        3600 + hash(i, 7) % 172800 AS lead
    FROM range($offset, $offset + $rows) r(i)
)
SELECT
    'd' || i AS deployment_id,
    'svc-' || s AS service,
    CASE WHEN env_roll < 60 THEN 'prod' WHEN env_roll < 80 THEN 'staging'
         WHEN env_roll < 90 THEN 'test' ELSE 'dev' END AS environment,
    -- the minor version is the week of the whole history, so a later week's versions
    -- continue the earlier weeks' instead of starting again (a rollback of every service)
    '1.' || ((t0 - $origin) // 604800) || '.' || (i % 7) AS version,
    CASE WHEN status_roll < 90 THEN 'succeeded' WHEN status_roll < 96 THEN 'failed'
         WHEN status_roll < 98 THEN 'rolled_back' ELSE 'cancelled' END AS status,
    strftime(to_timestamp(t0), '%Y-%m-%dT%H:%M:%SZ') AS started_at,
    strftime(to_timestamp(t0 + duration), '%Y-%m-%dT%H:%M:%SZ') AS finished_at,
    'team-' || (s // 20) AS team,
    changes AS change_count,
    strftime(to_timestamp(t0 + duration - lead), '%Y-%m-%dT%H:%M:%SZ') AS first_commit_at,
    md5(CAST(i AS VARCHAR)) AS commit_sha,
    'regular' AS change_type,
    'ci-bot' AS triggered_by
FROM base
ORDER BY t0
"""

INVENTORY = """
WITH grid AS (
    SELECT s, e.environment, e.lag, d
    FROM range($services) a(s),
         (VALUES ('dev', 0), ('test', 1), ('staging', 2), ('prod', 5)) e(environment, lag),
         range($day_from, $day_to) b(d)
)
SELECT
    strftime(to_timestamp($first + d * 86400 + 21600), '%Y-%m-%dT%H:%M:%SZ') AS captured_at,
    environment,
    'svc-' || s AS service,
    '1.' || greatest(d - lag, 0) // 7 || '.0' AS version,
    'registry.example.com:5000/svc-' || s || ':1.' || greatest(d - lag, 0) // 7 || '.0' AS image,
    CASE WHEN environment = 'prod' AND s % 50 = 0 THEN 'debug' ELSE 'info' END
        AS "config.log_level",
    CASE WHEN environment = 'prod' THEN '4' ELSE '2' END AS "config.replicas",
    CASE WHEN environment = 'prod' AND s % 40 = 0 THEN '15.2' ELSE '16.1' END AS "dep.postgres"
FROM grid
ORDER BY d, environment, s
"""


def write_deployments(
    path: Path, rows: int, *, services: int, weeks: int, offset: int = 0, first_week: int = 0
) -> Path:
    """``rows`` deployments over ``weeks`` weeks starting ``first_week`` weeks into history."""
    path.parent.mkdir(parents=True, exist_ok=True)
    origin = int(HISTORY_START.timestamp())
    first = origin + first_week * SECONDS_PER_WEEK
    with duckdb.connect() as conn:
        conn.execute(
            f"COPY ({DEPLOYMENTS}) TO '{path}' (HEADER, DELIMITER ',')",
            {
                "rows": rows,
                "services": services,
                "weeks": weeks,
                "first": first,
                "origin": origin,
                "offset": offset,
            },
        )
    return path


def write_inventory(folder: Path, *, services: int, days: int) -> list[Path]:
    """Daily captures of every service in four environments, one CSV per week."""
    folder.mkdir(parents=True, exist_ok=True)
    first = int(HISTORY_START.timestamp())
    paths = []
    with duckdb.connect() as conn:
        for week_day in range(0, days, 7):
            path = folder / f"inventory-{week_day // 7:03d}.csv"
            conn.execute(
                f"COPY ({INVENTORY}) TO '{path}' (HEADER, DELIMITER ',')",
                {
                    "services": services,
                    "first": first,
                    "day_from": week_day,
                    "day_to": min(week_day + 7, days),
                },
            )
            paths.append(path)
    return paths


def write_large_inbox(inbox: Path) -> None:
    """The 10M run's inbox: 10M deployments of 2,000 services over a year, and a year of
    daily inventory of each in four environments."""
    write_deployments(
        inbox / "deployments" / "deployments.csv", 10_000_000, services=2_000, weeks=52
    )
    write_inventory(inbox / "inventory", services=2_000, days=365)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path, help="the deployments CSV, or with --large an inbox")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--weeks", type=int, default=260)
    parser.add_argument("--large", action="store_true", help="write the 10M run's inbox")
    args = parser.parse_args()
    if args.large:
        write_large_inbox(args.out)
    else:
        write_deployments(args.out, args.rows, services=args.services, weeks=args.weeks)


if __name__ == "__main__":
    main()
