"""The command line: exit codes 0/1/2, one-line errors, per-file summaries."""

import subprocess
import sys
from pathlib import Path

from pipelines.cli import main

GOOD = """\
deployment_id,service,environment,version,status,started_at
d1,api,prod,1.0.0,succeeded,2024-03-04T10:00:00Z
d2,api,prod,1.0.1,succeeded,2024-03-05T10:00:00Z
"""


def test_unknown_config_key_exits_2_naming_it(workspace, capsys):
    (workspace / "bad.yaml").write_text("metrics:\n  benchmrk: dora_2023\n")
    assert main(["--config", "bad.yaml", "status"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0] == "release-health: config error: bad.yaml: metrics.benchmrk: unknown key"


def test_wrong_type_and_production_outside_the_chain_exit_2(workspace, capsys):
    (workspace / "types.yaml").write_text("metrics: {trailing_weeks: twelve}\n")
    assert main(["--config", "types.yaml", "status"]) == 2
    assert "metrics.trailing_weeks" in capsys.readouterr().err
    (workspace / "chain.yaml").write_text("environments: {chain: [dev, prod], production: live}\n")
    assert main(["--config", "chain.yaml", "status"]) == 2
    assert "environments.production: 'live' is not in the chain" in capsys.readouterr().err


def test_ingest_good_file_exits_0_with_a_summary(workspace, capsys):
    path = workspace / "deployments.csv"
    path.write_text(GOOD)
    assert main(["ingest", str(path), "--kind", "deployments", "--no-contract-check"]) == 0
    out = capsys.readouterr().out
    assert "read 2, accepted 2, rejected 0, duplicate 0" in out
    assert "1 file(s), 2 row(s) read" in out


def test_unreadable_file_exits_1_and_the_other_files_load(workspace, capsys):
    folder = workspace / "drop" / "deployments"
    folder.mkdir(parents=True)
    (folder / "good.csv").write_text(GOOD)
    (folder / "broken.csv").write_bytes("deployment_id,service\n".encode("utf-16"))
    assert main(["ingest", str(workspace / "drop"), "--no-contract-check"]) == 1
    captured = capsys.readouterr()
    assert "failed    deployments" in captured.out and "broken.csv" in captured.out
    assert captured.err.strip().splitlines()[-1].startswith("release-health: could not use:")
    assert main(["status"]) == 0
    assert "deployments              2" in capsys.readouterr().out


def test_bad_week_is_a_usage_error(workspace, capsys):
    assert main(["report", "--week", "2024-53x"]) == 2
    assert "is not of the form YYYY-Www" in capsys.readouterr().err


def test_missing_path_is_a_usage_error(workspace, capsys):
    assert main(["ingest", "nowhere.csv"]) == 2
    assert "no such file or folder: nowhere.csv" in capsys.readouterr().err


def test_argument_errors_exit_2():
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "ingest"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    assert result.returncode == 2
    assert "the following arguments are required: PATH" in result.stderr


def test_a_closed_pipe_ends_quietly(workspace):
    (workspace / "deployments.csv").write_text(GOOD)
    assert main(["ingest", "deployments.csv", "--kind", "deployments", "--no-contract-check"]) == 0
    result = subprocess.run(
        f"{sys.executable} -m pipelines.cli status | head -1",
        shell=True,
        capture_output=True,
        text=True,
        cwd=workspace,
        env={"PYTHONPATH": str(Path(__file__).parents[2]), "PATH": "/usr/bin:/bin"},
    )
    assert result.stdout.startswith("warehouse")
    assert "BrokenPipeError" not in result.stderr


def test_ingest_summary_says_what_an_export_held_besides_records(workspace, capsys):
    pods = (
        Path(__file__).resolve().parents[1] / "fixtures" / "native" / "kubectl_pods_with_jobs.json"
    )
    assert main(["ingest", str(pods), "--kind", "inventory", "--no-contract-check"]) == 0
    out = capsys.readouterr().out
    # two services; three pods of Jobs/CronJobs skipped, and said so
    assert (
        "read 2, accepted 2, rejected 0, duplicate 0; new 2, updated 0; skipped 3 (job_pod 3)"
        in out
    )
