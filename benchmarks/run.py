"""Run the benchmarks and print (and write to benchmarks/RESULTS.md) their ratios.

Every figure is a ratio against a floor or an alternative measured in the same run, on the
same machine, so the comparison holds when the machine is slower or busier. Each scenario runs
in its own process (``benchmarks.scenarios``), measured inside the process around the work
(imports excluded); whole processes are timed from outside. Everything runs in ``--repeat``
rounds of one run each (a round of the command line with its own floor or pandas script
beside it); a figure is the median over the rounds and a ratio the median of the rounds' own
ratios, which holds when the machine's speed drifts during the run. Peak memory is the
process's maximum resident set size.

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
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "work"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
sys.path.insert(0, str(ROOT))

from benchmarks.scenarios import HISTORY_ROWS, INBOX_HISTORY, NEW_WEEK_ROWS, prepare  # noqa: E402


def run_process(command: list[str], env: dict | None = None) -> tuple[str, float, float]:
    """(stdout, wall seconds, peak RSS in MB) of one child process.

    Linux carries a process's peak RSS into the children it starts, so a child's peak is at
    least this process's size when it started it: nothing big is loaded in this process.
    """
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


def scenario(name: str) -> dict[str, float]:
    """The figures of one run of a scenario."""
    out, _, _ = run_process([sys.executable, "-m", "benchmarks.scenarios", name, str(WORK)])
    return json.loads(out.strip().splitlines()[-1])


#: one round's figures, by scenario
Round = dict[str, dict[str, float]]
#: the in-process scenarios of a round, in order (``incremental`` starts from the warehouse
#: this round's ``full`` built)
ROUND = ("floor", "pandas", "full", "incremental", "pandas_rerun", "render")


def in_rounds(repeat: int) -> list[Round]:
    """``repeat`` rounds of the in-process scenarios. A ratio is taken within each round,
    between figures measured a minute apart, and the median of those is quoted: it holds
    when the machine's speed drifts over the run, as a ratio of medians need not."""
    return [{name: scenario(name) for name in ROUND} for _ in range(repeat)]


def median(items: list[Any], figure: Callable[[Any], float]) -> float:
    """The median over ``items`` (rounds) of ``figure``: a figure, or a ratio taken within
    each round."""
    return statistics.median(figure(item) for item in items)


def seconds(name: str, key: str = "seconds") -> Callable[[Round], float]:
    """One figure of a scenario in a round."""
    return lambda r: r[name][key]


def large() -> dict[str, float]:
    """10M deployments + a year of daily inventory (2,000 services x 4 environments)."""
    folder = WORK / "large"
    inbox = folder / "inbox"
    if not (inbox / "deployments" / "deployments.csv").exists():
        # in a process of its own: Linux counts the RSS a process had when it started a child
        # in the child's peak, so this process must stay small
        run_process([sys.executable, "-m", "benchmarks.generate", str(inbox), "--large"])
    cli, env = _cli(folder)
    _fresh(folder)
    _, ingest_wall, ingest_peak = run_process(
        [*cli, "ingest", str(inbox), "--no-contract-check"], env
    )
    _, run_wall, run_peak = run_process([*cli, "run", "--backfill"], env)
    _, render_wall, _ = run_process([*cli, "report"], env)
    return {
        "ingest_seconds": ingest_wall,
        "run_seconds": run_wall,
        "report_seconds": render_wall,
        "render_seconds": scenario("render_large")["seconds"],
        "ingest_peak_gb": ingest_peak / 1024,
        "run_peak_gb": run_peak / 1024,
    }


def _cli(folder: Path) -> tuple[list[str], dict[str, str]]:
    """The command line of a workspace in ``folder`` (its own config, warehouse, Dagster home)."""
    (folder / "inbox" / "deployments").mkdir(parents=True, exist_ok=True)
    (folder / "dagster").mkdir(exist_ok=True)
    (folder / "release-health.yaml").write_text(
        "warehouse: warehouse.duckdb\ninbox_dir: inbox\nreports_dir: reports\n"
    )
    cli = [
        str(Path(sys.executable).with_name("release-health")),
        "--config",
        str(folder / "release-health.yaml"),
    ]
    return cli, {**os.environ, "DAGSTER_HOME": str(folder / "dagster")}


def _fresh(folder: Path, warehouse: Path | None = None) -> None:
    """An empty warehouse (or a copy of ``warehouse``) and no reports in ``folder``."""
    for stale in folder.glob("warehouse.duckdb*"):
        stale.unlink()
    shutil.rmtree(folder / "reports", ignore_errors=True)
    if warehouse is not None:
        shutil.copy(warehouse, folder / "warehouse.duckdb")


def whole_ingest(repeat: int) -> list[dict[str, float]]:
    """``repeat`` rounds of: the in-process floor, then ``release-health ingest`` of the
    1M-row file as shipped (whole process), with and without the check of record, and of a
    one-row file each way (the start-up to net out)."""
    folder = WORK / "cli-ingest"
    cli, env = _cli(folder)
    one_row = folder / "one-row.csv"
    with open(WORK / "history.csv", encoding="utf-8") as history:
        one_row.write_text(history.readline() + history.readline(), encoding="utf-8")

    def ingest(path: Path, *flags: str) -> float:
        _fresh(folder)
        return run_process([*cli, "ingest", str(path), "--kind", "deployments", *flags], env)[1]

    unchecked = "--no-contract-check"
    return [
        {
            "floor": scenario("floor")["seconds"],
            "startup": ingest(one_row),
            "checked": ingest(WORK / "history.csv"),
            "startup_unchecked": ingest(one_row, unchecked),
            "unchecked": ingest(WORK / "history.csv", unchecked),
        }
        for _ in range(repeat)
    ]


def whole_weekly_run(repeat: int) -> list[dict[str, float]]:
    """``repeat`` rounds of: ``release-health run`` after one new week lands on the five years
    of ``full`` (whole process, the Dagster home already in use), then the pandas script
    re-reading everything as a whole process."""
    folder = WORK / "cli-run"
    cli, env = _cli(folder)
    new_week = WORK / INBOX_HISTORY.with_name("new-week.csv")
    new_week.unlink(missing_ok=True)
    _fresh(folder, WORK / "full.duckdb")
    run_process([*cli, "run"], env)  # the Dagster home a team already has
    script = [
        sys.executable,
        "-m",
        "benchmarks.pandas_baseline",
        str(WORK / "history.csv"),
        str(WORK / "new-week.csv"),
    ]
    rounds = []
    for _ in range(repeat):
        _fresh(folder, WORK / "full.duckdb")
        shutil.copy(WORK / "new-week.csv", new_week)
        run = run_process([*cli, "run"], env)[1]
        rounds.append({"run": run, "pandas": run_process(script, dict(os.environ))[1]})
    new_week.unlink()
    return rounds


Row = tuple[str, str, str, str]


def _ratio_row(label: str, value: float, ratio: str, target: str) -> Row:
    return (label, f"{value:.2f} s", ratio, target)


def measure(repeat: int) -> tuple[list[Row], dict[str, Any]]:
    """Every scenario; the table rows and the raw figures."""
    prepare(WORK)
    rounds = in_rounds(repeat)
    cli = whole_ingest(repeat)
    weekly = whole_weekly_run(repeat)

    def checked(r: dict[str, float]) -> float:  # net of its start-up
        return r["checked"] - r["startup"]

    def unchecked(r: dict[str, float]) -> float:
        return r["unchecked"] - r["startup_unchecked"]

    floor = median(cli, lambda r: r["floor"])
    net_checked, net_unchecked = median(cli, checked), median(cli, unchecked)
    checked_ratio = median(cli, lambda r: checked(r) / r["floor"])
    unchecked_ratio = median(cli, lambda r: unchecked(r) / r["floor"])
    full = median(rounds, seconds("full"))
    incremental = median(rounds, seconds("incremental"))
    rerun = median(rounds, seconds("pandas_rerun"))
    run, script = median(weekly, lambda r: r["run"]), median(weekly, lambda r: r["pandas"])
    run_ratio = median(weekly, lambda r: r["run"] / r["pandas"])
    built = median(rounds, lambda r: r["full"]["as_the_script"] / r["pandas"]["seconds"])
    share = median(rounds, lambda r: r["incremental"]["seconds"] / r["full"]["seconds"])
    as_the_script = median(rounds, seconds("incremental", "as_the_script"))
    faster = median(
        rounds, lambda r: r["pandas_rerun"]["seconds"] / r["incremental"]["as_the_script"]
    )
    faster_all = median(
        rounds, lambda r: r["pandas_rerun"]["seconds"] / r["incremental"]["seconds"]
    )
    rows = [
        _ratio_row("DuckDB read_csv floor, 1M rows", floor, "", ""),
        _ratio_row(
            "`release-health ingest` 1M rows as shipped (check of record), net of start-up",
            net_checked,
            f"{checked_ratio:.2f}x floor",
            "<= 3x floor",
        ),
        _ratio_row(
            "... the same with `--no-contract-check`",
            net_unchecked,
            f"{unchecked_ratio:.2f}x floor",
            "(informational)",
        ),
        _ratio_row(
            "... start-up netted out (`ingest` of one row)",
            median(cli, lambda r: r["startup"]),
            "",
            "",
        ),
        _ratio_row(
            "... start-up netted out without the check",
            median(cli, lambda r: r["startup_unchecked"]),
            "",
            "",
        ),
        _ratio_row(
            "pandas script: read 1M + delivery_weekly", median(rounds, seconds("pandas")), "", ""
        ),
        _ratio_row(
            "full 1M: ingest (check of record) + classify + delivery_weekly",
            median(rounds, seconds("full", "as_the_script")),
            f"{built:.2f}x pandas",
            "<= 1x pandas",
        ),
        _ratio_row("full: ingest + classify + all 5 weekly marts + drift marts", full, "", ""),
        _ratio_row(
            "incremental: one new week onto 5 years, every step to the drift marts (in process)",
            incremental,
            f"{share:.1%} of full",
            "<= 10% of full",
        ),
        _ratio_row(
            "pandas script re-run with the new week (in process)",
            rerun,
            f"{faster_all:.1f}x the incremental",
            "(informational)",
        ),
        _ratio_row(
            "... the incremental's part the script also does: ingest + classify + delivery_weekly",
            as_the_script,
            f"{faster:.1f}x faster than the re-run",
            ">= 20x",
        ),
        _ratio_row("pandas script re-run, whole process", script, "", ""),
        _ratio_row(
            "`release-health run` after one new week lands, whole process",
            run,
            f"{run_ratio:.2f}x pandas process",
            "<= 2x",
        ),
        _ratio_row(
            "render one week's report (5-year warehouse)",
            median(rounds, seconds("render")),
            "",
            "<= 5 s",
        ),
    ]
    steps = {key: median(rounds, seconds("incremental", key)) for key in rounds[0]["incremental"]}
    return rows, {"steps": steps, "run": run}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--large", action="store_true", help="add the 10M-deployment run")
    args = parser.parse_args()
    rows, r = measure(args.repeat)
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
            (
                "... render one week's report (in process)",
                f"{big['render_seconds']:.2f} s",
                "",
                "<= 5 s",
            ),
            ("... `report` (CLI, whole process)", f"{big['report_seconds']:.2f} s", "", ""),
        ]
    table = ["| measure | value | ratio | target |", "|---|---|---|---|"]
    table += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    steps = r["steps"]
    names = ("ingest", "classify", "marts", "drift", "report", "data_docs")
    step_rows = [
        "| step of the weekly run | seconds |",
        "|---|---|",
        *(f"| {name} | {steps[name]:.2f} |" for name in names),
        f"| weeks rebuilt | {steps['weeks_rebuilt']:.0f} |",
        f"| the steps above, in process | {sum(steps[n] for n in names):.2f} |",
        f"| the whole `release-health run` process | {r['run']:.2f} |",
    ]
    header = (
        f"# Benchmark results\n\n{dt.date.today()} · {platform.machine()} · {os.cpu_count()}"
        f" cores · Python {platform.python_version()} · medians of {args.repeat} rounds; each"
        " ratio is the median of the ratios taken within each round."
        f"\n\nInputs: {HISTORY_ROWS:,} deployments over 5 years for 200 services; one new week of"
        f" {NEW_WEEK_ROWS:,} deployments. Produced by `python benchmarks/run.py"
        f"{' --large' if args.large else ''}`.\n\n"
    )
    text = (
        header
        + "\n".join(table)
        + "\n\nWhere the weekly run's time goes (in process, median seconds; the rest of the"
        " whole process is start-up, imports and Dagster's run bookkeeping):\n\n"
        + "\n".join(step_rows)
        + "\n"
    )
    print(text)
    # the team-mode section is written by benchmarks/team.py: keep it
    previous = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    team = previous.find("\n## Team mode")
    RESULTS.write_text(text + (previous[team:] if team >= 0 else ""))


if __name__ == "__main__":
    main()
