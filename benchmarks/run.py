"""Run the benchmarks and print (and write to benchmarks/RESULTS.md) their ratios.

Every figure is a ratio against a floor or an alternative measured in the same run, on the
same machine, so the comparison holds when the machine is slower or busier. Each scenario runs
in its own process (``benchmarks.scenarios``); times are the median of ``--repeat`` runs,
measured inside the process around the work (imports excluded); peak memory is the process's
maximum resident set size.

    python benchmarks/run.py [--repeat 3] [--large]

``--large`` adds the full-scale run: 10 million deployments and a year of daily inventory for
2,000 services in four environments, through the command line (``ingest``, then
``run --backfill``), timed and measured as whole processes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "work"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
sys.path.insert(0, str(ROOT))

from benchmarks.scenarios import HISTORY_ROWS, NEW_WEEK_ROWS, prepare  # noqa: E402


def run_process(command: list[str], env: dict | None = None) -> tuple[str, float, float]:
    """(stdout, wall seconds, peak RSS in MB) of one child process."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=err, text=True, env=env, cwd=ROOT)
        _, status, usage = os.wait4(child.pid, 0)  # the child's own rusage: its peak memory
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{err.read()[-3000:]}")
        return out.read(), wall, usage.ru_maxrss / 1024


def scenario(name: str, repeat: int) -> dict[str, float]:
    """Median of each figure of a scenario over ``repeat`` runs."""
    runs = []
    for _ in range(repeat):
        out, _, _ = run_process([sys.executable, "-m", "benchmarks.scenarios", name, str(WORK)])
        runs.append(json.loads(out.strip().splitlines()[-1]))
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def large() -> dict[str, float]:
    """10M deployments + a year of daily inventory (2,000 services x 4 environments)."""
    from benchmarks.generate import write_deployments, write_inventory

    folder = WORK / "large"
    inbox = folder / "inbox"
    if not (inbox / "deployments" / "deployments.csv").exists():
        write_deployments(
            inbox / "deployments" / "deployments.csv", 10_000_000, services=2_000, weeks=52
        )
        write_inventory(inbox / "inventory", services=2_000, days=365)
    for stale in folder.glob("warehouse.duckdb*"):
        stale.unlink()
    (folder / "release-health.yaml").write_text(
        "warehouse: warehouse.duckdb\ninbox_dir: inbox\nreports_dir: reports\n"
    )
    cli = [
        str(Path(sys.executable).with_name("release-health")),
        "--config",
        str(folder / "release-health.yaml"),
    ]
    env = {**os.environ, "DAGSTER_HOME": str(folder / "dagster")}
    (folder / "dagster").mkdir(exist_ok=True)
    _, ingest_wall, ingest_peak = run_process(
        [*cli, "ingest", str(inbox), "--no-contract-check"], env
    )
    _, run_wall, run_peak = run_process([*cli, "run", "--backfill"], env)
    _, render_wall, _ = run_process([*cli, "report"], env)
    return {
        "ingest_seconds": ingest_wall,
        "run_seconds": run_wall,
        "report_seconds": render_wall,
        "ingest_peak_gb": ingest_peak / 1024,
        "run_peak_gb": run_peak / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--large", action="store_true", help="add the 10M-deployment run")
    args = parser.parse_args()
    prepare(WORK)
    r = {
        name: scenario(name, args.repeat)
        for name in ("floor", "ingest", "ingest_checked", "pandas")
    }
    r["full"] = scenario("full", 1)
    for name in ("incremental", "render", "pandas_rerun"):
        r[name] = scenario(name, args.repeat)
    ingest_and_weekly = r["full"]["ingest"] + r["full"]["classify"] + r["full"]["delivery_weekly"]
    rows = [
        ("DuckDB read_csv floor, 1M rows", f"{r['floor']['seconds']:.2f} s", "", ""),
        (
            "ingest 1M rows (parse + contract + staging)",
            f"{r['ingest']['seconds']:.2f} s",
            f"{r['ingest']['seconds'] / r['floor']['seconds']:.2f}x floor",
            "<= 3x floor",
        ),
        (
            "ingest 1M rows with the GX check of record",
            f"{r['ingest_checked']['seconds']:.2f} s",
            f"{r['ingest_checked']['seconds'] / r['floor']['seconds']:.2f}x floor",
            "(informational)",
        ),
        ("pandas script: read 1M + delivery_weekly", f"{r['pandas']['seconds']:.2f} s", "", ""),
        (
            "ingest + classify + delivery_weekly, 1M",
            f"{ingest_and_weekly:.2f} s",
            f"{ingest_and_weekly / r['pandas']['seconds']:.2f}x pandas",
            "<= 1x pandas",
        ),
        ("full: ingest + classify + all 5 weekly marts", f"{r['full']['seconds']:.2f} s", "", ""),
        (
            "incremental: one new week onto 5 years",
            f"{r['incremental']['seconds']:.2f} s",
            f"{r['incremental']['seconds'] / r['full']['seconds']:.1%} of full",
            "<= 10% of full",
        ),
        (
            "pandas script re-run with the new week",
            f"{r['pandas_rerun']['seconds']:.2f} s",
            f"{r['pandas_rerun']['seconds'] / r['incremental']['seconds']:.1f}x faster incremental",
            ">= 20x",
        ),
        (
            "render one week's report (5-year warehouse)",
            f"{r['render']['seconds']:.2f} s",
            "",
            "<= 5 s",
        ),
    ]
    if args.large:
        big = large()
        rows += [
            (
                "10M deployments + 2.9M inventory rows: ingest (CLI)",
                f"{big['ingest_seconds']:.0f} s",
                "",
                "",
            ),
            (
                "... run --backfill (CLI, all weeks and reports)",
                f"{big['run_seconds']:.0f} s",
                "",
                "",
            ),
            (
                "... peak RSS of ingest / of the run",
                f"{big['ingest_peak_gb']:.2f} GB / {big['run_peak_gb']:.2f} GB",
                "",
                "<= 4 GB",
            ),
            ("... report (CLI, whole process)", f"{big['report_seconds']:.2f} s", "", "<= 5 s"),
        ]
    table = ["| measure | value | ratio | target |", "|---|---|---|---|"]
    table += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    header = (
        f"# Benchmark results\n\n{dt.date.today()} · {platform.machine()} · {os.cpu_count()}"
        f" cores · Python {platform.python_version()} · median of {args.repeat} runs (the full"
        " build once)."
        f"\n\nInputs: {HISTORY_ROWS:,} deployments over 5 years for 200 services; one new week of"
        f" {NEW_WEEK_ROWS:,} deployments. Produced by `python benchmarks/run.py"
        f"{' --large' if args.large else ''}`.\n\n"
    )
    text = (
        header
        + "\n".join(table)
        + "\n\nIncremental steps (median seconds): "
        + ", ".join(f"{k} {v:.2f}" for k, v in r["incremental"].items() if k != "seconds")
        + "\n"
    )
    print(text)
    # the team-mode section is written by benchmarks/team.py: keep it
    previous = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    team = previous.find("\n## Team mode")
    RESULTS.write_text(text + (previous[team:] if team >= 0 else ""))


if __name__ == "__main__":
    main()
