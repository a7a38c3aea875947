"""Team-mode benchmarks: several team inboxes ingesting into one DuckLake at once, and a full
build on DuckLake against the DuckDB file. Results go into the "Team mode" section of
benchmarks/RESULTS.md.

    python benchmarks/team.py [--rows 100000]

It starts a throwaway PostgreSQL with scripts/local-postgres under benchmarks/work/ and
removes it at the end. Every figure is a ratio of two measurements of the same run.

* Ingest: each team's inbox is one deployment log of ``--rows`` rows, loaded by the command
  line as shipped (``release-health ingest``, with its contract check of record). One team
  alone, then four teams' processes started together: the time until the last one finishes.
* Full build: ingest, classification and every mart of four teams' logs, in one process, on
  the DuckDB file and on DuckLake.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "work" / "team"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
SCRIPT = ROOT / "scripts" / "local-postgres"
RELEASE_HEALTH = Path(sys.executable).with_name("release-health")
sys.path.insert(0, str(ROOT))

TEAMS = ("payments", "search", "identity", "platform")
SERVICES_PER_TEAM = 20
WEEKS = 52
PORT = 55439
SECTION = "## Team mode"


def _run(command: list[str], **kwargs: object) -> str:
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def _database(name: str) -> str:
    """A fresh catalog database on the benchmark's server; its libpq string."""
    psql = [str(SCRIPT), "psql", str(WORK / "postgres"), "-qc"]
    _run([*psql, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])
    _run([*psql, f"CREATE DATABASE {name}"])
    return f"dbname={name} host=127.0.0.1 port={PORT} user=postgres"


def _lake_folder(name: str, dsn: str) -> Path:
    folder = WORK / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "release-health.yaml").write_text(
        f"warehouse: 'ducklake:postgres:{dsn}'\nlake_data_path: lake-data\n"
        "inbox_dir: inbox\nreports_dir: reports\n"
    )
    return folder


def _ingest_at_once(folder: Path, teams: tuple[str, ...]) -> float:
    """Seconds until every team's ``release-health ingest`` process has finished."""
    config = str(folder / "release-health.yaml")
    # the lake exists before its writers start, as it does in a deployment
    _run([str(RELEASE_HEALTH), "--config", config, "status"])
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            [str(RELEASE_HEALTH), "--config", config, "ingest", str(WORK / "inboxes" / team)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for team in teams
    ]
    for process in processes:
        _, err = process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"ingest failed:\n{err[-3000:]}")
    return time.perf_counter() - started


def _full_build(target: str, data_path: str | None) -> float:
    """Ingest, classify and build every mart of all teams' logs in a child process."""
    code = f"""
import json, time
from pathlib import Path
from assets.settings import parse_settings
from assets.warehouse import open_warehouse
from assets.ingest.loader import ingest_paths
from assets.delivery.marts import (WEEKLY_MARTS, classify_change_failures, data_weeks,
    load_benchmarks, rebuild_mart)
from assets.drift.marts import build_drift_marts
settings = parse_settings({{"warehouse": {target!r}, "lake_data_path": {data_path!r}}})
with open_warehouse(settings) as conn:
    started = time.perf_counter()
    ingest_paths(conn, [Path({str(WORK / "inboxes")!r})], settings, kind="deployments")
    load_benchmarks(conn)
    classify_change_failures(conn, settings)
    weeks = data_weeks(conn, settings)
    for table in WEEKLY_MARTS:
        rebuild_mart(conn, table, weeks, settings)
    build_drift_marts(conn, settings)
    print(json.dumps({{"seconds": time.perf_counter() - started}}))
"""
    out = _run([sys.executable, "-c", code], cwd=ROOT)
    return float(json.loads(out.strip().splitlines()[-1])["seconds"])


def _write_section(rows: int, figures: dict[str, float]) -> None:
    one, four = figures["one_inbox"], figures["four_inboxes"]
    cores = os.cpu_count() or 1
    solo, lake = figures["full_duckdb"], figures["full_lake"]
    lines = [
        SECTION,
        "",
        f"{dt.date.today()} · {platform.machine()} · {os.cpu_count()} cores · "
        f"Python {platform.python_version()} · PostgreSQL on the same machine. Produced by "
        f"`python benchmarks/team.py --rows {rows}`.",
        "",
        f"Inputs: one deployment log per team, {rows:,} rows each ({SERVICES_PER_TEAM} services,"
        f" {WEEKS} weeks), {len(TEAMS)} teams.",
        "",
        "| measure | value | ratio | target |",
        "|---|---|---|---|",
        f"| one team's inbox: `ingest` (CLI) into the lake | {one:.1f} s |  |  |",
        f"| four teams' inboxes at once, four processes | {four:.1f} s | {four / one:.2f}x one"
        " | <= 1.5x one |",
        f"| full build (ingest, classify, every mart), DuckDB file | {solo:.1f} s |  |  |",
        f"| the same on DuckLake (PostgreSQL catalog) | {lake:.1f} s | {lake / solo:.2f}x file"
        " | <= 2x file |",
        "",
        f"Four processes share {cores} cores here, so where the work is CPU-bound (parsing, the"
        f" contract check) four inboxes cannot take less than {len(TEAMS) / cores:.1f}x one;"
        " the rest is commits written again after colliding with another writer's (every file"
        " replaces its held marker in raw.ingested_files). The 1.5x target assumes a core per"
        " writer.",
        "",
    ]
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    # replace an earlier team section (it runs to the next section or the end)
    text = re.sub(rf"\n{SECTION}\n.*?(?=\n## |\Z)", "", text, flags=re.DOTALL).rstrip("\n")
    RESULTS.write_text(text + "\n\n" + "\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows per team's log")
    args = parser.parse_args()
    from benchmarks.generate import write_deployments

    WORK.mkdir(parents=True, exist_ok=True)
    for number, team in enumerate(TEAMS):
        write_deployments(
            WORK / "inboxes" / team / f"deployments-{team}.csv",
            args.rows,
            services=SERVICES_PER_TEAM,
            weeks=WEEKS,
            offset=number * args.rows,
        )
    _run([str(SCRIPT), "start", str(WORK / "postgres"), str(PORT)])
    try:
        figures = {
            "one_inbox": _ingest_at_once(_lake_folder("one", _database("bench_one")), TEAMS[:1]),
            "four_inboxes": _ingest_at_once(_lake_folder("four", _database("bench_four")), TEAMS),
        }
        solo = WORK / "full.duckdb"
        solo.unlink(missing_ok=True)
        figures["full_duckdb"] = _full_build(str(solo), None)
        dsn = _database("bench_full")
        lake = _lake_folder("full", dsn)
        figures["full_lake"] = _full_build(f"ducklake:postgres:{dsn}", str(lake / "lake-data"))
    finally:
        _run([str(SCRIPT), "remove", str(WORK / "postgres")])
    print(json.dumps(figures))
    _write_section(args.rows, figures)


if __name__ == "__main__":
    main()
