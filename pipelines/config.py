"""Reads the configuration once: ``release-health.yaml`` plus environment overrides for paths."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import yaml

from assets.settings import (
    CONFIG_MAX_BYTES,
    ConfigError,
    Settings,
    check_config_yaml,
    parse_settings,
)

__all__ = ["ConfigError", "Settings", "dagster_home", "load_settings", "parse_settings"]

DEFAULT_CONFIG_FILE = "release-health.yaml"
CONFIG_ENV = "RELEASE_HEALTH_CONFIG"
DAGSTER_HOME_ENV = "DAGSTER_HOME"
#: the instance folder's name beside the warehouse file (or the config file, for a lake)
INSTANCE_FOLDER = "dagster"
PATH_ENV_OVERRIDES = {
    "warehouse": "RELEASE_HEALTH_WAREHOUSE",
    "reports_dir": "RELEASE_HEALTH_REPORTS_DIR",
    "inbox_dir": "RELEASE_HEALTH_INBOX_DIR",
}


def load_settings(
    config_path: Path | str | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Read the config file (``--config``, ``$RELEASE_HEALTH_CONFIG`` or ``./release-health.yaml``).

    A missing default file means "all defaults"; a missing explicitly named file is an error.
    Environment variables override the path keys (see ``PATH_ENV_OVERRIDES``).
    """
    env = os.environ if env is None else env
    explicit = config_path or env.get(CONFIG_ENV)
    path = Path(explicit or DEFAULT_CONFIG_FILE)
    if path.exists():
        if path.is_file() and path.stat().st_size > CONFIG_MAX_BYTES:
            raise ConfigError(f"{path}: larger than {CONFIG_MAX_BYTES} bytes: not a config file")
        try:
            text = path.read_text(encoding="utf-8")
            check_config_yaml(text)
            raw = yaml.safe_load(text)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" line {mark.line + 1}" if mark else ""
            raise ConfigError(f"{path}{where}: not valid YAML") from None
        if raw is not None and not isinstance(raw, dict):
            raise ConfigError(f"{path}: expected a mapping of keys at the top level")
    elif explicit:
        raise ConfigError(f"config file {path} does not exist")
    else:
        raw = {}
    raw = dict(raw or {})
    for key, variable in PATH_ENV_OVERRIDES.items():
        if env.get(variable):
            raw[key] = env[variable]
    try:
        return parse_settings(raw, base_dir=path.resolve().parent)
    except ConfigError as exc:
        raise ConfigError(f"{path.name}: {exc}") from None


def dagster_home(settings: Settings, env: Mapping[str, str] | None = None) -> Path:
    """The folder of the persistent Dagster instance that records every run.

    ``$DAGSTER_HOME`` wins (a team's deployment points it at its ``dagster.yaml``); otherwise
    a ``dagster`` folder beside the warehouse file, so ``release-health run`` and
    ``release-health dev`` share one history without any setup. A warehouse that is not a
    file (a DuckLake catalog) keeps the instance in ``data/dagster`` beside the config file.
    """
    env = os.environ if env is None else env
    if env.get(DAGSTER_HOME_ENV):
        return Path(env[DAGSTER_HOME_ENV]).resolve()
    warehouse = settings.warehouse_path
    if ":" in settings.warehouse and not warehouse.is_absolute():
        return (Path(settings.base_dir) / "data" / INSTANCE_FOLDER).resolve()
    return warehouse.resolve().parent / INSTANCE_FOLDER
