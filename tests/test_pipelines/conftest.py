"""A small inbox (the delivery-metrics organisation plus one inventory snapshot) for the graph,
and a command-line workspace."""

import pytest

from assets.settings import parse_settings

DEPLOYMENTS = """\
deployment_id,service,team,environment,version,status,started_at,finished_at,change_count,first_commit_at
a1,api,core,prod,1.0.0,succeeded,2024-01-01T10:00:00Z,2024-01-01T10:10:00Z,3,2023-12-31T10:10:00Z
a2,api,core,prod,1.1.0,succeeded,2024-01-02T20:00:00Z,2024-01-02T20:30:00Z,8,2024-01-02T08:30:00Z
a3,api,core,prod,1.0.0,succeeded,2024-01-04T11:00:00Z,2024-01-04T11:05:00Z,0,
a4,api,core,prod,1.2.0,failed,2024-01-06T14:00:00Z,2024-01-06T14:20:00Z,25,
s1,api,core,staging,1.2.1,succeeded,2024-01-08T09:00:00Z,2024-01-08T09:10:00Z,2,
a5,api,core,prod,1.2.1,succeeded,2024-01-09T10:00:00Z,2024-01-09T10:30:00Z,2,2024-01-09T09:00:00Z
w1,web,shop,prod,2.0,succeeded,2024-01-01T15:00:00Z,2024-01-01T15:10:00Z,1,
w2,web,shop,prod,2.1,succeeded,2024-01-04T09:30:00Z,2024-01-04T09:40:00Z,4,2024-01-03T09:40:00Z
w3,web,shop,prod,2.2,succeeded,2024-01-15T16:00:00Z,2024-01-15T16:10:00Z,2,
"""
INCIDENTS = """\
incident_id,service,opened_at,resolved_at
i1,web,2024-01-04T12:00:00Z,2024-01-04T14:00:00Z
"""
INVENTORY = """\
captured_at,environment,service,version,config.log_level
2024-01-16T06:00:00Z,staging,api,1.2.1,info
2024-01-16T06:00:00Z,prod,api,1.2.1,debug
2024-01-16T06:00:00Z,staging,web,2.2,info
2024-01-16T06:00:00Z,prod,web,2.1,info
"""


@pytest.fixture
def inbox_settings(tmp_path):
    """Settings whose inbox holds one file of each kind; warehouse and reports in tmp_path."""
    inbox = tmp_path / "inbox"
    for kind, text in (
        ("deployments", DEPLOYMENTS),
        ("incidents", INCIDENTS),
        ("inventory", INVENTORY),
    ):
        (inbox / kind).mkdir(parents=True)
        (inbox / kind / f"{kind}.csv").write_text(text)
    return parse_settings(
        {
            "warehouse": str(tmp_path / "warehouse.duckdb"),
            "inbox_dir": str(inbox),
            "reports_dir": str(tmp_path / "reports"),
        }
    )


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """A folder with a config file pointing every path inside it, as the current folder."""
    (tmp_path / "release-health.yaml").write_text(
        "warehouse: w.duckdb\ninbox_dir: inbox\nreports_dir: reports\n"
    )
    monkeypatch.chdir(tmp_path)
    for variable in ("RELEASE_HEALTH_CONFIG", "RELEASE_HEALTH_WAREHOUSE"):
        monkeypatch.delenv(variable, raising=False)
    return tmp_path
