"""The Monday schedule and the inbox sensor, evaluated with Dagster's test contexts."""

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg

from assets.settings import parse_settings
from assets.warehouse import connect
from pipelines.automation import inbox_files
from pipelines.definitions import build_definitions


def test_schedule_builds_the_previous_week_on_monday_morning(inbox_settings):
    settings = parse_settings(
        {**inbox_settings.model_dump(exclude={"base_dir"}), "timezone": "Europe/London"}
    )
    defs = build_definitions(settings)
    schedule = defs.resolve_schedule_def("weekly_report_schedule")
    assert schedule.cron_schedule == "0 6 * * 1"
    assert schedule.execution_timezone == "Europe/London"
    monday = dt.datetime(2026, 11, 23, 6, 0, tzinfo=ZoneInfo("Europe/London"))
    context = dg.build_schedule_context(
        scheduled_execution_time=monday, repository_def=defs.get_repository_def()
    )
    (request,) = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == "2026-11-16"  # Monday to Sunday before
    assert request.job_name in (None, "weekly")


def test_sensor_ingests_new_files_then_rebuilds_the_changed_weeks(inbox_settings):
    defs = build_definitions(inbox_settings)
    sensor = defs.resolve_sensor_def("inbox_sensor")
    instance = dg.DagsterInstance.ephemeral()

    first = sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
    (request,) = first.run_requests
    assert request.job_name == "ingest"
    assert request.tags["release-health/new-files"] == "3"
    assert json.loads(first.cursor) == inbox_files(inbox_settings.inbox_path)

    # run what the sensor asked for, then tick again with its cursor
    ingest = defs.resolve_job_def("ingest").execute_in_process(instance=instance)
    assert ingest.success
    second = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=first.cursor))
    (rebuild,) = second.run_requests
    assert rebuild.job_name == "weekly"
    assert rebuild.tags["dagster/asset_partition_range_start"] == "2024-01-01"
    assert rebuild.tags["dagster/asset_partition_range_end"] == "2024-01-15"

    weekly = defs.resolve_job_def("weekly").execute_in_process(instance=instance, tags=rebuild.tags)
    assert weekly.success
    third = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=first.cursor))
    assert not third.run_requests
    assert "no new inbox files" in third.skip_message


WRITER = """
import sys
from assets.warehouse import connect
conn = connect(sys.argv[1])
print("holding", flush=True)
sys.stdin.read()  # keep the write lock until the test closes our stdin
"""


def test_sensor_waits_while_another_process_writes_the_warehouse(inbox_settings):
    defs = build_definitions(inbox_settings)
    sensor = defs.resolve_sensor_def("inbox_sensor")
    cursor = json.dumps(inbox_files(inbox_settings.inbox_path))
    connect(inbox_settings.warehouse_path).close()
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(inbox_settings.warehouse_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    try:
        assert writer.stdout.readline().strip() == "holding"
        result = sensor.evaluate_tick(dg.build_sensor_context(cursor=cursor))
    finally:
        writer.communicate(timeout=60)
    assert not result.run_requests
    assert "being written" in result.skip_message


def test_sensor_keys_a_rewrite_of_the_same_size_and_time_as_new(
    make_settings, write_input, tmp_path
):
    """A file rewritten with the same size and modification time is a change (its content
    is), and the same content seen again is not."""
    defs = build_definitions(make_settings(warehouse=str(tmp_path / "w.duckdb")))
    sensor = defs.resolve_sensor_def("inbox_sensor")
    path = write_input("d.csv", "deployment_id,service\nd1,api\n")
    stamp = path.stat().st_mtime_ns

    first = sensor.evaluate_tick(dg.build_sensor_context(cursor=None))
    path.write_text("deployment_id,service\nd2,web\n")  # same size
    os.utime(path, ns=(stamp, stamp))
    second = sensor.evaluate_tick(dg.build_sensor_context(cursor=first.cursor))
    third = sensor.evaluate_tick(dg.build_sensor_context(cursor=second.cursor))
    path.write_text("deployment_id,service\nd1,api\n")  # back to the first content
    os.utime(path, ns=(stamp, stamp))
    fourth = sensor.evaluate_tick(dg.build_sensor_context(cursor=second.cursor))

    (one,), (two,), (four,) = first.run_requests, second.run_requests, fourth.run_requests
    assert {one.job_name, two.job_name, four.job_name} == {"ingest"}
    assert len({one.run_key, two.run_key, four.run_key}) == 3
    assert json.loads(second.cursor) == {
        "deployments/d.csv": hashlib.sha256(b"deployment_id,service\nd2,web\n").hexdigest()
    }
    assert not third.run_requests  # unchanged: nothing new, no warehouse yet
    assert "no new inbox files" in third.skip_message


def test_sensor_does_not_read_through_a_planted_link(settings, write_input, tmp_path):
    outside = tmp_path / "outside.csv"
    outside.write_text("deployment_id\nsecret\n")
    link = write_input("real.csv", "deployment_id\nd1\n").with_name("link.csv")
    link.symlink_to(outside)

    files = inbox_files(settings.inbox_path)

    assert files["deployments/link.csv"] == hashlib.sha256(f"link:{outside}".encode()).hexdigest()
    assert files["deployments/real.csv"] == hashlib.sha256(b"deployment_id\nd1\n").hexdigest()
