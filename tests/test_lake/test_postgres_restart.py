"""PostgreSQL going away in the middle of a run: a clean failure, then a clean next run."""

from __future__ import annotations

import datetime as dt

from tests.test_lake.conftest import Lake

#: the line the run prints when it starts loading: the catalog is in use from here on
INGEST_STARTED = "ingesting the inbox"
HEADER = "deployment_id,service,environment,version,status,started_at,finished_at\n"


def test_run_fails_cleanly_when_postgres_restarts_and_the_next_run_completes(lake: Lake) -> None:
    inbox = lake.settings.inbox_path / "deployments"
    inbox.mkdir(parents=True)
    (inbox / "d.csv").write_text(
        HEADER
        + "".join(
            f"d-{n},checkout,prod,1.{n}.0,succeeded,"
            f"{dt.datetime(2026, 11, 23 + n % 5, 10):%Y-%m-%dT%H:%MZ},\n"
            for n in range(20)
        ),
        encoding="utf-8",
    )
    running = lake.start_cli("run", "--week", "2026-W48")
    assert running.process.stderr is not None
    seen = []
    for line in running.process.stderr:
        seen.append(line)
        if INGEST_STARTED in line:
            break
    lake.server.stop()
    try:
        result = running.wait_result()
    finally:
        lake.server.start()
    stderr = "".join(seen) + result.stderr

    assert result.returncode == 1, stderr
    assert "Traceback" not in stderr
    failures = [line for line in stderr.splitlines() if line.startswith("release-health:")]
    assert len(failures) == 1, stderr

    again = lake.cli("run", "--week", "2026-W48")
    assert again.returncode == 0, again.stdout + again.stderr
    assert (lake.settings.reports_path / "2026-W48" / "index.html").is_file()
    with lake.connect(read_only=True) as conn:
        (failed,) = conn.execute(
            "SELECT count(*) FROM raw.ingested_files WHERE status NOT IN ('loaded', 'failed')"
        ).fetchone()
        (builds,) = conn.execute(
            "SELECT count(*) FROM raw.report_builds WHERE week_start = DATE '2026-11-23'"
        ).fetchone()
    assert failed == 0
    assert builds == 1
