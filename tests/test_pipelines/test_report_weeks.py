"""Which weeks get a page: never a future week, never a week without data, and the week still
under way only when asked (then with a warning)."""

import datetime as dt

import pytest

from assets.reporting.build import publishable_week
from pipelines.cli import main

# the inbox of tests/test_pipelines/conftest.py: production deployments 2024-01-01 .. 2024-01-15
FIRST_WEEK = dt.date(2024, 1, 1)  # 2024-W01
LAST_WEEK = dt.date(2024, 1, 15)  # 2024-W03
TODAY_AFTER = dt.date(2024, 2, 1)  # the data's weeks are all over
TODAY_DURING = dt.date(2024, 1, 17)  # a Wednesday of 2024-W03


@pytest.mark.parametrize(
    ("week", "today", "partial", "state"),
    [
        (FIRST_WEEK, TODAY_AFTER, False, "complete"),
        (LAST_WEEK, TODAY_AFTER, False, "complete"),
        (dt.date(2023, 12, 25), TODAY_AFTER, False, "empty"),  # before the first deployment
        (dt.date(2024, 1, 22), TODAY_AFTER, False, "empty"),  # after the last one
        (dt.date(2024, 2, 5), TODAY_AFTER, False, "future"),  # not started
        (LAST_WEEK, TODAY_DURING, False, "unfinished"),
        (LAST_WEEK, TODAY_DURING, True, "partial"),
    ],
)
def test_publishable_week_states(inbox_settings, warehouse_from_inbox, week, today, partial, state):
    conn = warehouse_from_inbox(inbox_settings)
    check = publishable_week(conn, inbox_settings, week, today, allow_partial=partial)
    assert check.state == state
    assert check.publishable is (state in ("complete", "partial"))


def test_empty_week_names_the_span_of_data(inbox_settings, warehouse_from_inbox):
    conn = warehouse_from_inbox(inbox_settings)
    check = publishable_week(conn, inbox_settings, dt.date(2020, 3, 2), TODAY_AFTER)
    assert check.message == (
        "week 2020-W10 holds no data: production deployments span 2024-W01 .. 2024-W03"
    )


def _cli_workspace(inbox_settings, warehouse_from_inbox, tmp_path, monkeypatch):
    warehouse_from_inbox(inbox_settings).close()
    config = tmp_path / "release-health.yaml"
    config.write_text(
        f"warehouse: {inbox_settings.warehouse_path}\n"
        f"inbox_dir: {inbox_settings.inbox_path}\n"
        f"reports_dir: {inbox_settings.reports_path}\n"
    )
    monkeypatch.chdir(tmp_path)
    for variable in ("RELEASE_HEALTH_CONFIG", "RELEASE_HEALTH_WAREHOUSE"):
        monkeypatch.delenv(variable, raising=False)
    return inbox_settings.reports_path


@pytest.mark.parametrize(
    ("week", "code", "says"),
    [
        ("2030-W01", 2, "week 2030-W01 has not started yet"),
        ("2020-W10", 1, "week 2020-W10 holds no data"),
    ],
)
def test_report_refuses_future_and_empty_weeks(
    inbox_settings, warehouse_from_inbox, tmp_path, monkeypatch, capsys, week, code, says
):
    reports = _cli_workspace(inbox_settings, warehouse_from_inbox, tmp_path, monkeypatch)
    assert main(["report", "--week", week]) == code
    assert says in capsys.readouterr().err
    assert not (reports / week).exists()
    assert not (reports / "index.html").exists()


def test_report_of_a_week_with_data_is_published(
    inbox_settings, warehouse_from_inbox, tmp_path, monkeypatch, capsys
):
    reports = _cli_workspace(inbox_settings, warehouse_from_inbox, tmp_path, monkeypatch)
    assert main(["report", "--week", "2024-W02"]) == 0
    assert (reports / "2024-W02" / "index.html").is_file()
    assert sorted(p.name for p in reports.glob("*-W*")) == ["2024-W02"]


def _builds(settings) -> list[tuple]:
    from assets.warehouse import connect

    with connect(settings.warehouse_path, read_only=True) as conn:
        return conn.execute("SELECT week_start, report_path FROM raw.report_builds").fetchall()


def test_a_page_published_by_hand_records_its_build(
    inbox_settings, warehouse_from_inbox, tmp_path, monkeypatch
):
    reports = _cli_workspace(inbox_settings, warehouse_from_inbox, tmp_path, monkeypatch)
    assert main(["report", "--week", "2024-W02"]) == 0
    page = reports.resolve() / "2024-W02" / "index.html"
    assert _builds(inbox_settings) == [(dt.date(2024, 1, 8), str(page))]


def test_a_read_only_warehouse_is_still_published_and_left_as_it_was(
    inbox_settings, warehouse_from_inbox, tmp_path, monkeypatch, capsys
):
    from tests.test_pipelines.test_cli_safety import _read_only_for_us

    reports = _cli_workspace(inbox_settings, warehouse_from_inbox, tmp_path, monkeypatch)
    _read_only_for_us(monkeypatch, inbox_settings.warehouse_path)
    before = inbox_settings.warehouse_path.read_bytes()

    assert main(["report", "--week", "2024-W02"]) == 0

    assert capsys.readouterr().out.strip().endswith("2024-W02/index.html")
    assert (reports / "2024-W02" / "index.html").is_file()
    assert (reports / "index.html").is_file()
    assert inbox_settings.warehouse_path.read_bytes() == before
    assert _builds(inbox_settings) == []


def test_printed_command_runs_as_printed_without_the_venv_on_path(tmp_path, monkeypatch):
    from pipelines.cli import self_command

    program = tmp_path / ".venv" / "bin" / "release-health"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert self_command(str(program)) == ".venv/bin/release-health"
    # on PATH as this very program: the bare name works as printed
    monkeypatch.setenv("PATH", f"{program.parent}:/usr/bin")
    assert self_command(str(program)) == "release-health"


def test_run_refuses_a_future_week_before_running(
    inbox_settings, warehouse_from_inbox, tmp_path, monkeypatch, capsys
):
    reports = _cli_workspace(inbox_settings, warehouse_from_inbox, tmp_path, monkeypatch)
    assert main(["run", "--week", "2031-W10"]) == 2
    assert "week 2031-W10 has not started yet" in capsys.readouterr().err
    assert not reports.exists()


def test_a_run_for_an_empty_week_rebuilds_no_blank_weeks(inbox_settings, warehouse_from_inbox):
    from pipelines.runner import weeks_to_rebuild

    warehouse_from_inbox(inbox_settings).close()
    said = []
    weeks, report_week = weeks_to_rebuild(
        inbox_settings,
        week=dt.date(2020, 3, 2),
        backfill=False,
        today=TODAY_AFTER,
        log=said.append,
    )
    # before: 2020-W10 .. 2024-W03 were rebuilt, some 200 empty pages joining the archive
    assert report_week is None
    assert weeks is None or weeks.first >= FIRST_WEEK
    assert said[-1] == (
        "week 2020-W10 holds no data: production deployments span 2024-W01 .. 2024-W03:"
        " not published"
    )


def test_status_never_names_a_future_week_as_the_last_report(tmp_path):
    from pipelines.cli import last_report

    for week in ("2024-W02", "2024-W03", "2030-W01", "not-a-week-W1"):
        (tmp_path / week).mkdir()
        (tmp_path / week / "index.html").write_text("x")
    assert last_report(tmp_path, TODAY_AFTER) == tmp_path / "2024-W03" / "index.html"
    assert last_report(tmp_path / "nothing", TODAY_AFTER) is None


def test_a_leftover_future_page_does_not_join_the_archive(
    inbox_settings, warehouse_from_inbox, tmp_path
):
    from assets.reporting.build import archive_entries

    conn = warehouse_from_inbox(inbox_settings)
    reports = tmp_path / "site"
    for week in ("2024-W02", "2030-W01", "2024-W99"):
        (reports / week).mkdir(parents=True)
        (reports / week / "index.html").write_text("x")

    entries = archive_entries(conn, reports, today=TODAY_AFTER)

    assert [entry.week for entry in entries] == ["2024-W02"]
