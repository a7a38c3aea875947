"""The typed shape of ``release-health.yaml``: every key, its default and its validation.

The file itself is read once, in ``pipelines.config``; everything else receives a
:class:`Settings` object. Every key has a default, so an empty file is valid.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_FIELD_PREFIX = re.compile(r"^(\w+): ")
#: a team's name becomes part of its sensor's name: letters, digits and ``_``
_TEAM_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
#: a warehouse written as ``ducklake:<catalog>`` is a DuckLake (team mode), not a DuckDB file
LAKE_SCHEME = "ducklake:"
_MEMORY = re.compile(r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)
#: the config file is user input too: bounded before it is read. Its deepest key is three levels
#: down (``services.teams.<name>``), so this leaves room for any real file.
CONFIG_MAX_DEPTH = 16
CONFIG_MAX_BYTES = 1_048_576
_YAML_LOADER = yaml.SafeLoader  # streams events one by one (libyaml stops on its own limit)


class ConfigError(ValueError):
    """An invalid configuration; the message names the offending key."""


def _timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc
    return name


TimeZoneName = Annotated[str, AfterValidator(_timezone)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class BusinessHours(_Section):
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"]
    )
    start: str = "09:00"
    end: str = "18:00"

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.match(value):
            raise ValueError(f"expected HH:MM, got {value!r}")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> BusinessHours:
        if self.end <= self.start:
            raise ValueError(f"end: {self.end} must be after start {self.start}")
        return self

    @property
    def iso_weekdays(self) -> list[int]:
        """Business days as ISO weekday numbers (1 = Monday)."""
        return [WEEKDAYS.index(day) + 1 for day in self.days]

    @property
    def start_minute(self) -> int:
        hours, minutes = self.start.split(":")
        return int(hours) * 60 + int(minutes)

    @property
    def end_minute(self) -> int:
        hours, minutes = self.end.split(":")
        return int(hours) * 60 + int(minutes)


class Environments(_Section):
    chain: list[str] = Field(default_factory=lambda: ["dev", "test", "staging", "prod"])
    production: str = "prod"
    baseline: str = "staging"
    aliases: dict[str, str] = Field(
        default_factory=lambda: {
            "production": "prod",
            "prd": "prod",
            "stg": "staging",
            "stage": "staging",
            "qa": "test",
        }
    )

    @model_validator(mode="after")
    def _in_chain(self) -> Environments:
        if self.production not in self.chain:
            raise ValueError(
                f"production: {self.production!r} is not in the chain {list(self.chain)}"
            )
        if self.baseline not in self.chain:
            raise ValueError(f"baseline: {self.baseline!r} is not in the chain {list(self.chain)}")
        if self.chain.index(self.baseline) >= self.chain.index(self.production):
            raise ValueError("baseline: must come before production in the chain")
        return self


class Services(_Section):
    teams: dict[str, str] = Field(default_factory=dict)
    aliases: dict[str, str] = Field(default_factory=dict)


class Incidents(_Section):
    attribution_window_hours: float = Field(default=72, gt=0)

    @field_validator("attribution_window_hours", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


class Metrics(_Section):
    benchmark: Literal["dora_2021", "dora_2023"] = "dora_2023"
    trailing_weeks: int = Field(default=12, ge=2, le=104)


class Drift(_Section):
    ignore_config_keys: list[str] = Field(default_factory=lambda: ["replicas", "*_url", "*_host"])
    promotion_sla_hours: float = Field(default=168, gt=0)

    @field_validator("promotion_sla_hours", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


class Kubernetes(_Section):
    namespace_environments: dict[str, str] = Field(default_factory=dict)
    cluster_environments: dict[str, str] = Field(default_factory=dict)


class ArgoCD(_Section):
    environment_label: str = "env"
    name_prefixes: dict[str, str] = Field(default_factory=dict)
    #: what an application's version is: the tag of its main image when Argo CD reports
    #: images (Image Updater deployments), else the target revision; or always the revision
    version_from: Literal["image", "revision"] = "image"


class GitHubActions(_Section):
    #: workflow name or path (``.github/workflows/deploy.yml``) -> environment it deploys to
    deploy_workflows: dict[str, str] = Field(default_factory=dict)


class JenkinsJob(_Section):
    service: str
    environment: str


class Jenkins(_Section):
    #: job name (as in ``/job/<name>/``) -> the service and environment it deploys
    jobs: dict[str, JenkinsJob] = Field(default_factory=dict)


class Contracts(_Section):
    max_reject_ratio: float = Field(default=0.5, ge=0, le=1)
    #: timestamps before this date, or later than now + max_future_hours, are quarantined
    #: ``timestamp_out_of_range``
    min_timestamp: str = "2000-01-01"
    max_future_hours: float = Field(default=24, ge=0)
    #: files with more candidate rows than this are checked by Great Expectations on a
    #: deterministic sample of about this many rows plus every rejected row
    check_sample_rows: int = Field(default=100_000, ge=1_000)

    @field_validator("max_reject_ratio", "max_future_hours", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("min_timestamp", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        if isinstance(value, dt.date):  # YAML reads an unquoted date as a date
            value = value.isoformat()
        if not isinstance(value, str):
            return value
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}") from exc
        if not dt.date(1900, 1, 1) <= day <= dt.date(2200, 1, 1):
            raise ValueError(f"expected a date between 1900 and 2200, got {value!r}")
        return day.isoformat()

    @property
    def min_timestamp_utc(self) -> dt.datetime:
        return dt.datetime.combine(dt.date.fromisoformat(self.min_timestamp), dt.time(), dt.UTC)


class Limits(_Section):
    """Bounds on the work one input file may cause; hitting one fails that file, named."""

    #: deepest nesting of JSON arrays/objects or YAML collections
    max_depth: int = Field(default=64, ge=2, le=10_000)
    #: longest physical line (a CSV header or row, a JSON Lines record)
    max_line_bytes: int = Field(default=1_048_576, ge=1024)
    #: largest input file; null means no limit
    max_file_bytes: int | None = Field(default=None, ge=1)
    #: whether YAML anchors and aliases (``&a`` / ``*a``) are allowed at all
    yaml_aliases: bool = False


#: an environment variable name (the collectors read a token from the one named)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: ``owner/name`` of a GitHub repository (GitHub allows letters, digits, ``-``, ``_``, ``.``)
_GITHUB_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
#: a GitLab project: its numeric id, or its full path ``group[/subgroup...]/project``
_GITLAB_PROJECT = re.compile(r"^(\d+|[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+)$")
#: a PagerDuty service id (``PIJ90N7``)
_PAGERDUTY_ID = re.compile(r"^[A-Za-z0-9]+$")


def _api_base_url(value: str) -> str:
    """An http(s) URL of an API root: no credentials, query or fragment; no trailing slash."""
    parsed = urlsplit(value.strip())
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        raise ValueError(f"expected an http(s) URL such as https://api.example.com, got {value!r}")
    if parsed.username or parsed.password or parsed.query or parsed.fragment:
        raise ValueError(
            f"expected a plain URL without credentials, query or fragment, got {value!r}"
        )
    return value.strip().rstrip("/")


def _env_name(value: str) -> str:
    if not _ENV_NAME.match(value):
        raise ValueError(f"expected the name of an environment variable, got {value!r}")
    return value


def _names(pattern: re.Pattern[str], what: str) -> Any:
    def check(values: list[str]) -> list[str]:
        for value in values:
            if not pattern.match(value) or ".." in value.split("/") or "." in value.split("/"):
                raise ValueError(f"expected {what}, got {value!r}")
        if len(set(values)) != len(values):
            raise ValueError(f"each {what} once, got {values!r}")
        return values

    return AfterValidator(check)


ApiBaseUrl = Annotated[str, AfterValidator(_api_base_url)]
EnvName = Annotated[str, AfterValidator(_env_name)]


class GitHubCollector(_Section):
    """``release-health pull github``: deployments (+ statuses) and Actions workflow runs."""

    base_url: ApiBaseUrl = "https://api.github.com"
    token_env: EnvName = "GITHUB_TOKEN"
    repos: Annotated[list[str], _names(_GITHUB_REPO, "a repository owner/name")] = Field(
        default_factory=list
    )


class GitLabCollector(_Section):
    """``release-health pull gitlab``: deployments of each project."""

    base_url: ApiBaseUrl = "https://gitlab.com/api/v4"
    token_env: EnvName = "GITLAB_TOKEN"
    projects: Annotated[
        list[str], _names(_GITLAB_PROJECT, "a project path group/name or a numeric id")
    ] = Field(default_factory=list)

    @field_validator("projects", mode="before")
    @classmethod
    def _ids_as_text(cls, value: Any) -> Any:
        # a numeric project id written unquoted in YAML arrives as a number
        if isinstance(value, list):
            return [
                str(item) if isinstance(item, int) and not isinstance(item, bool) else item
                for item in value
            ]
        return value


class PagerDutyCollector(_Section):
    """``release-health pull pagerduty``: incidents, of the services listed or of all."""

    base_url: ApiBaseUrl = "https://api.pagerduty.com"
    token_env: EnvName = "PAGERDUTY_TOKEN"
    services: Annotated[list[str], _names(_PAGERDUTY_ID, "a service id such as PIJ90N7")] = Field(
        default_factory=list
    )


class Collectors(_Section):
    github: GitHubCollector = GitHubCollector()
    gitlab: GitLabCollector = GitLabCollector()
    pagerduty: PagerDutyCollector = PagerDutyCollector()


class Jira(_Section):
    """Which Jira issues are incidents, and where their service is written."""

    #: issue types (``fields.issuetype.name``) that are incidents
    incident_issue_types: list[str] = Field(default_factory=lambda: ["Incident"])
    #: labels that make any issue an incident (besides its type)
    incident_labels: list[str] = Field(default_factory=list)
    #: the field naming the service: ``components`` (their names) or a field id such as
    #: ``customfield_10042`` (text, an option ``{"value": ..}`` or a list of them)
    service_field: str = "components"


class Opsgenie(_Section):
    #: impacted service id -> service name (the incident API lists services by id only)
    services: dict[str, str] = Field(default_factory=dict)


class JsonMap(_Section):
    """A user's map of a JSON export onto canonical records, in JMESPath."""

    kind: Literal["deployments", "incidents", "inventory"]
    #: selects the list of records from the whole document
    records: str
    #: canonical field -> expression evaluated on one record
    fields: dict[str, str]
    #: evaluated on the whole document: the map applies only where it is truthy
    match: str | None = None
    #: the ``source`` the records are stored under (default: the map's name)
    source: str | None = None

    @model_validator(mode="after")
    def _compiles(self) -> JsonMap:
        import jmespath
        from jmespath.exceptions import JMESPathError

        from assets.ingest.kinds import kind_named

        known = kind_named(self.kind).fields
        unknown = [name for name in self.fields if name not in known]
        if unknown:
            raise ValueError(
                f"fields: {', '.join(unknown)} is not a field of {self.kind}"
                f" (expected some of {', '.join(known)})"
            )
        expressions = {"records": self.records, "match": self.match}
        expressions |= {f"fields.{name}": text for name, text in self.fields.items()}
        for key, text in expressions.items():
            if text is None:
                continue
            try:
                jmespath.compile(text)
            except JMESPathError as exc:
                where = getattr(exc, "lex_position", None)
                at = f" at character {where + 1}" if isinstance(where, int) else ""
                raise ValueError(f"{key}: not a JMESPath expression{at}: {text!r}") from None
        return self


class Calendar(_Section):
    """How release-calendar events are classified and how far recurring ones expand."""

    #: a category (or a word of the summary) naming a change freeze
    freeze_categories: list[str] = Field(default_factory=lambda: ["FREEZE"])
    #: a category (or a word of the summary) naming a planned release
    release_categories: list[str] = Field(default_factory=lambda: ["RELEASE"])
    #: how far ahead of now events are accepted and recurring events expand
    horizon_days: int = Field(default=400, ge=1, le=3660)
    #: occurrences one file may expand to; past this the file fails ``too_many_occurrences``
    max_occurrences: int = Field(default=20_000, ge=1)
    #: a planned release shipped up to this long before its start or after its end is on time
    release_tolerance_hours: float = Field(default=24, ge=0)

    @field_validator("release_tolerance_hours", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("freeze_categories", "release_categories")
    @classmethod
    def _upper(cls, value: list[str]) -> list[str]:
        return [name.strip().upper() for name in value if name.strip()]


NOTIFY_EVENTS = ("weekly", "held_file", "drift_past_sla")


class Notify(_Section):
    """Where notifications go (apprise URLs) and on which events."""

    urls: list[str] = Field(default_factory=list)
    #: the published reports' base URL; the message links ``<base>/<YYYY>-W<ww>/index.html``
    report_base_url: str | None = None
    on: list[Literal["weekly", "held_file", "drift_past_sla"]] = Field(
        default_factory=lambda: list(NOTIFY_EVENTS)
    )
    #: seconds one destination may take before its delivery counts as failed
    timeout_seconds: float = Field(default=10, gt=0, le=300)

    @field_validator("timeout_seconds", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


class Publish(_Section):
    """Where the finished marts are copied for BI tools (team mode)."""

    # the config key is `schema`; dumps use it too, so a dumped config parses again
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, serialize_by_alias=True)

    #: libpq connection string of the PostgreSQL database that receives the copy; null: none
    postgres: str | None = None
    #: the schema the copy lands in, replaced as a whole on each publish
    schema_name: str = Field(default="release_health", alias="schema")
    #: the role BI tools log in as; it may read the schema and nothing more
    reader_role: str = "release_health_reader"

    @field_validator("schema_name", "reader_role")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not _IDENTIFIER.match(value):
            raise ValueError(f"expected a plain name (letters, digits, _), got {value!r}")
        return value


class Settings(_Section):
    """Validated configuration. Paths are resolved against the config file's folder."""

    warehouse: str = "data/warehouse.duckdb"
    inbox_dir: str = "data/inbox"
    reports_dir: str = "data/reports"
    timezone: TimeZoneName = "UTC"
    source_timezone: TimeZoneName = "UTC"
    week_start: Literal["monday"] = "monday"
    business_hours: BusinessHours = BusinessHours()
    environments: Environments = Environments()
    services: Services = Services()
    incidents: Incidents = Incidents()
    metrics: Metrics = Metrics()
    drift: Drift = Drift()
    kubernetes: Kubernetes = Kubernetes()
    argocd: ArgoCD = ArgoCD()
    github_actions: GitHubActions = GitHubActions()
    jenkins: Jenkins = Jenkins()
    contracts: Contracts = Contracts()
    limits: Limits = Limits()
    collectors: Collectors = Collectors()
    calendar: Calendar = Calendar()
    notify: Notify = Notify()
    #: how long a command waits for another process that holds the warehouse
    warehouse_wait_seconds: float = Field(default=60, ge=0)
    column_map: dict[str, str] = Field(default_factory=dict)
    jira: Jira = Jira()
    opsgenie: Opsgenie = Opsgenie()
    #: name -> a map of a JSON export nobody wrote an adapter for
    json_map: dict[str, JsonMap] = Field(default_factory=dict)
    #: DuckDB's memory budget for the warehouse; larger work spills to disk beside the file
    memory_limit: str = "2GB"
    #: team mode: team -> inbox folder (kind folders inside, like inbox_dir); one sensor each
    inboxes: dict[str, str] = Field(default_factory=dict)
    #: team mode: where the DuckLake warehouse keeps its data files (a folder or object store)
    lake_data_path: str | None = None
    #: team mode: a BI copy of the marts in PostgreSQL
    publish: Publish = Publish()
    base_dir: str = Field(default=".", exclude=True)

    @field_validator("warehouse_wait_seconds", mode="before")
    @classmethod
    def _seconds(cls, value: Any) -> Any:
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("inboxes")
    @classmethod
    def _inboxes(cls, value: dict[str, str]) -> dict[str, str]:
        for team, folder in value.items():
            if not _TEAM_NAME.match(team):
                raise ValueError(
                    f"team name {team!r} may hold only letters, digits and _ (it names a sensor)"
                )
            if not folder.strip():
                raise ValueError(f"{team}: expected a folder, got an empty string")
        folders = [Path(f) for f in value.values()]
        if len(set(folders)) != len(folders):
            raise ValueError("two teams share one inbox folder")
        return value

    @field_validator("memory_limit")
    @classmethod
    def _memory(cls, value: str) -> str:
        if not _MEMORY.match(value.strip()):
            raise ValueError(f"expected a size such as 3GB or 512MB, got {value!r}")
        return value.strip()

    def path(self, key: Literal["warehouse", "inbox_dir", "reports_dir"]) -> Path:
        """Absolute path for a path key (relative paths are relative to the config file)."""
        value = getattr(self, key)
        if key == "warehouse" and ":" in value and not Path(value).is_absolute():
            return Path(value)
        path = Path(value)
        return path if path.is_absolute() else Path(self.base_dir) / path

    @property
    def warehouse_path(self) -> Path:
        return self.path("warehouse")

    @property
    def is_lake(self) -> bool:
        """Whether the warehouse is a DuckLake catalog (team mode) rather than a DuckDB file."""
        return self.warehouse.startswith(LAKE_SCHEME)

    @property
    def warehouse_target(self) -> str:
        """What to open: the DuckLake ``ducklake:...`` string as written, else the file path."""
        return self.warehouse if self.is_lake else str(self.warehouse_path)

    @property
    def lake_data_location(self) -> str | None:
        """``lake_data_path`` resolved like other paths (URLs such as ``s3://`` as written)."""
        value = self.lake_data_path
        if value is None or "://" in value:
            return value
        path = Path(value)
        return str(path if path.is_absolute() else Path(self.base_dir) / path)

    @property
    def inbox_path(self) -> Path:
        return self.path("inbox_dir")

    @property
    def reports_path(self) -> Path:
        return self.path("reports_dir")

    @property
    def team_inboxes(self) -> dict[str, Path]:
        """Each team's inbox folder, absolute (relative ones are relative to the config file)."""
        return {
            team: path if path.is_absolute() else Path(self.base_dir) / path
            for team, path in ((team, Path(folder)) for team, folder in self.inboxes.items())
        }

    def for_inbox(self, team: str) -> Settings:
        """These settings reading ``team``'s inbox folder in place of ``inbox_dir``."""
        return self.model_copy(update={"inbox_dir": str(self.team_inboxes[team])})


def check_config_yaml(text: str) -> None:
    """Refuse YAML aliases and nesting deeper than ``CONFIG_MAX_DEPTH`` before composing.

    Works on the parser's event stream, so an alias bomb or a 100,000-deep nesting stops at
    the first alias or the first level too deep, in bounded memory and time. Raises
    :class:`ConfigError` naming the line; ``yaml.YAMLError`` for text that is not YAML.
    """
    if len(text.encode("utf-8", errors="replace")) > CONFIG_MAX_BYTES:
        raise ConfigError(f"larger than {CONFIG_MAX_BYTES} bytes: not a config file")
    depth = 0
    for event in yaml.parse(text, Loader=_YAML_LOADER):
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, yaml.AliasEvent):
            raise ConfigError(f"line {line}: YAML aliases (*name) are not allowed in the config")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > CONFIG_MAX_DEPTH:
                raise ConfigError(f"line {line}: nested deeper than {CONFIG_MAX_DEPTH} levels")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _describe(error: Mapping[str, Any]) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{key}: unknown key"
    message = str(error["msg"]).removeprefix("Value error, ")
    field = _FIELD_PREFIX.match(message)
    if field:  # a model-level check names the field it is about
        key, message = f"{key}.{field.group(1)}", message[field.end() :]
    value = error.get("input")
    if kind != "missing" and not isinstance(value, dict) and repr(value) not in message:
        return f"{key}: {message} (got {value!r})"
    return f"{key}: {message}"


def parse_settings(raw: Mapping[str, Any] | None, base_dir: Path | str = ".") -> Settings:
    """Validate a config mapping; raise :class:`ConfigError` naming the first bad key."""
    data = dict(raw or {})
    if "base_dir" in data:
        raise ConfigError("base_dir: unknown key")
    try:
        return Settings(**data, base_dir=str(base_dir))
    except ValidationError as exc:
        raise ConfigError(_describe(exc.errors()[0])) from None
