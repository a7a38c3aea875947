"""The persistent Dagster instance: where command-line runs are recorded, and the UI on it.

``release-health run`` records its runs in the instance folder of :func:`dagster_home`
(``$DAGSTER_HOME``, else ``dagster/`` beside the warehouse); ``release-health dev`` starts
``dagster dev`` on that same folder, so the UI shows what the command line built.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import dagster as dg

from pipelines.config import CONFIG_ENV, DAGSTER_HOME_ENV, Settings, dagster_home

#: a new instance folder's ``dagster.yaml``: local SQLite storage (Dagster's default), and no
#: usage statistics sent from a command-line tool
DEFAULT_INSTANCE_YAML = """\
# Written by release-health: the Dagster instance that records `release-health run`.
# `release-health dev` opens the Dagster UI on it. Storage is SQLite in this folder.
telemetry:
  enabled: false
"""
#: the code location the UI loads (the same module as workspace.yaml names)
DEFINITIONS_MODULE = "pipelines.definitions"


def prepare_home(settings: Settings) -> Path:
    """The instance folder, created with a default ``dagster.yaml`` when it has none."""
    home = dagster_home(settings)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() and not config.is_symlink():
        config.write_text(DEFAULT_INSTANCE_YAML, encoding="utf-8")
    return home


def dagster_instance(settings: Settings) -> dg.DagsterInstance:
    """The persistent instance that records this configuration's runs; the caller disposes
    of it. A folder that has its own ``dagster.yaml`` (a deployment's) is used as it is."""
    return dg.DagsterInstance.from_config(str(prepare_home(settings)))


def dev_command(
    home: Path,
    config: str | None,
    extra: Sequence[str],
    env: Mapping[str, str],
) -> tuple[list[str], dict[str, str]]:
    """(argv, environment) of ``dagster dev`` on the instance folder ``home``.

    The config file travels as ``$RELEASE_HEALTH_CONFIG`` (absolute, since the code location
    may run in another folder); ``extra`` arguments (``--port 3001``) are passed on.
    """
    dagster = Path(sys.executable).with_name("dagster")
    argv = [str(dagster), "dev", "-m", DEFINITIONS_MODULE, *extra]
    environment = {**env, DAGSTER_HOME_ENV: str(home)}
    if config:
        environment[CONFIG_ENV] = str(Path(config).resolve())
    return argv, environment
