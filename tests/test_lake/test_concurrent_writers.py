"""Several processes ingesting different teams' files into one lake at once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.test_lake.conftest import Lake

TEAMS = ("payments", "search", "identity", "platform")
FILES_PER_TEAM = 2
ROWS_PER_FILE = 40
HEADER = "deployment_id,service,environment,version,status,started_at,finished_at,team\n"
#: every file ends with one row that breaks the contract (a status nobody knows)
BAD_ROWS_PER_FILE = 1


def team_file(folder: Path, team: str, number: int) -> Path:
    """A deployment log of ``ROWS_PER_FILE`` good rows and one bad one for ``team``."""
    start = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC) + dt.timedelta(days=number)
    lines = [HEADER]
    for row in range(ROWS_PER_FILE):
        at = start + dt.timedelta(minutes=10 * row)
        end = at + dt.timedelta(minutes=5)
        lines.append(
            f"{team}-{number}-{row},{team}-api,prod,1.{number}.{row},succeeded,"
            f"{at:%Y-%m-%dT%H:%M:%SZ},{end:%Y-%m-%dT%H:%M:%SZ},{team}\n"
        )
    lines.append(
        f"{team}-{number}-bad,{team}-api,prod,9.9.9,exploded,{start:%Y-%m-%dT%H:%M:%SZ},,{team}\n"
    )
    path = folder / team / f"deployments-{team}-{number}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_four_processes_ingest_into_one_lake_at_once(lake: Lake) -> None:
    inboxes = lake.folder / "teams"
    for team in TEAMS:
        for number in range(FILES_PER_TEAM):
            team_file(inboxes, team, number)
    # the lake exists before the writers start, as it does once a deployment runs
    lake.connect().close()

    running = [lake.start_cli("ingest", str(inboxes / team)) for team in TEAMS]
    results = [process.wait_result() for process in running]

    for result in results:
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
    files = len(TEAMS) * FILES_PER_TEAM
    with lake.connect(read_only=True) as conn:
        ids = conn.execute(
            "SELECT deployment_id, count(*) FROM staging.deployments GROUP BY ALL"
        ).fetchall()
        assert len(ids) == files * ROWS_PER_FILE
        assert {count for _, count in ids} == {1}
        assert {i.rsplit("-", 2)[0] for i, _ in ids} == set(TEAMS)
        rows = conn.execute(
            "SELECT status, count(*), sum(rows_read), sum(rows_accepted), sum(rows_rejected),"
            " sum(rows_duplicate), sum(records_counted)"
            " FROM raw.ingested_files GROUP BY ALL"
        ).fetchall()
        per_file = ROWS_PER_FILE + BAD_ROWS_PER_FILE
        assert rows == [
            (
                "loaded",
                files,
                files * per_file,
                files * ROWS_PER_FILE,
                files * BAD_ROWS_PER_FILE,
                0,
                files * per_file,
            )
        ]
        (quarantined,) = conn.execute(
            "SELECT count(*) FROM quarantine.rejected_rows WHERE record_number = $last",
            {"last": per_file},
        ).fetchone()
        assert quarantined == files * BAD_ROWS_PER_FILE
