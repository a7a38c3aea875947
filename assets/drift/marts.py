"""Building the drift marts: environment matrix, drift per as-of day, promotion lag.

The states of every environment per as-of day are found in SQL; each distinct pair of
(baseline, production) states is classified once in Python by :func:`classify_drift` (the
number of distinct pairs grows with changes, not with days); the runs, ages and expectations
across days are SQL again.

A build recomputes only the as-of days from the first day whose facts changed
(:func:`first_changed_day`); the runs continue from the kept rows of the day before.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
from collections import defaultdict
from typing import Any

import duckdb
import pyarrow as pa

from assets.drift.drift import ServiceHistory, State, Verdict, classify_drift, parse_map
from assets.settings import Settings
from assets.warehouse import bound, read_sql, run_script, sql_file

DRIFT_MARTS = ("environment_matrix", "drift", "promotion_lag")


def drift_params(settings: Settings) -> dict[str, Any]:
    environments = settings.environments
    return {
        "tz": settings.timezone,
        "chain": list(environments.chain),
        "baseline": environments.baseline,
        "production": environments.production,
        "sla_hours": settings.drift.promotion_sla_hours,
    }


def _histories(conn: duckdb.DuckDBPyConnection) -> dict[str, ServiceHistory]:
    """The part of temp table ``version_history`` the pairs of ``drift_pairs`` are judged by:
    per service, the baseline's versions and the versions of its pairs (no other is compared).

    first_seen is in epoch microseconds, which order the same as the moments and come out of
    DuckDB without a time-zone conversion per row. Read in service order, so each service's
    maps are built from slices of whole columns."""
    table = conn.execute(
        "WITH compared AS ("
        " SELECT service, baseline_version AS version FROM drift_pairs"
        " UNION SELECT service, target_version FROM drift_pairs)"
        " SELECT h.service, h.version, epoch_us(h.first_seen) AS first_seen, h.in_baseline,"
        " h.change_count, epoch_us(h.baseline_at) AS baseline_at FROM version_history h"
        " LEFT JOIN compared c ON c.service = h.service AND c.version = h.version"
        " WHERE h.in_baseline OR c.version IS NOT NULL"
        " ORDER BY h.service, NOT h.in_baseline"
    ).fetch_arrow_table()
    services, versions, first_seen, in_baseline, changes, baseline_at = (
        table.column(name).to_pylist() for name in table.column_names
    )
    histories: dict[str, ServiceHistory] = defaultdict(ServiceHistory)
    start = 0
    while start < len(services):
        service = services[start]
        end = bisect.bisect_right(services, service, lo=start)
        # the baseline's versions come first within a service
        split = start + sum(in_baseline[start:end])
        history = histories[service]
        history.first_seen = dict(zip(versions[start:end], first_seen[start:end], strict=True))
        history.baseline_changes = dict(
            zip(versions[start:split], changes[start:split], strict=True)
        )
        history.baseline_at = dict(
            zip(versions[start:split], baseline_at[start:split], strict=True)
        )
        start = end
    return histories


def _state(
    version: str | None,
    digest: str | None,
    config: str | None,
    dependencies: str | None,
    config_hash: str | None,
) -> State | None:
    if version is None:
        return None
    return State(version, digest, parse_map(config), parse_map(dependencies), config_hash)


def classify_pairs(conn: duckdb.DuckDBPyConnection, settings: Settings) -> pa.Table:
    """A verdict for each distinct pair of states in temp table ``drift_pairs``, by the
    histories of temp table ``version_history``."""
    pairs = conn.execute(
        "SELECT DISTINCT ON (pair_key) pair_key, service, baseline_version, target_version,"
        " baseline_digest, target_digest, baseline_config, target_config,"
        " baseline_dependencies, target_dependencies, baseline_config_hash,"
        " target_config_hash FROM drift_pairs"
    ).fetchall()
    histories = _histories(conn)
    ignored = settings.drift.ignore_config_keys
    columns: dict[str, list[Any]] = defaultdict(list)
    for row in pairs:
        (key, service, b_version, t_version, b_digest, t_digest, b_config, t_config,
         b_deps, t_deps, b_hash, t_hash) = row  # fmt: skip
        history = histories[service]
        verdict: Verdict = classify_drift(
            _state(b_version, b_digest, b_config, b_deps, b_hash),
            _state(t_version, t_digest, t_config, t_deps, t_hash),
            history,
            ignored,
        )
        columns["pair_key"].append(key)
        columns["drift_kind"].append(verdict.kind.value)
        # the versions waited for, with their arrival in the baseline: as of each day only
        # those that had arrived count (drift.sql), so a later hotfix does not change history
        columns["waiting_at"].append([history.baseline_at[v] for v in verdict.waiting])
        columns["waiting_changes"].append(
            [history.baseline_changes.get(v) for v in verdict.waiting]
        )
        columns["differing"].append(", ".join(verdict.differing) or None)
        columns["only_ignored"].append(verdict.only_ignored)
    return pa.table(
        {
            "pair_key": pa.array(columns["pair_key"], pa.string()),
            "drift_kind": pa.array(columns["drift_kind"], pa.string()),
            "waiting_at": pa.array(columns["waiting_at"], pa.list_(pa.int64())),
            "waiting_changes": pa.array(columns["waiting_changes"], pa.list_(pa.int64())),
            "differing": pa.array(columns["differing"], pa.string()),
            "only_ignored": pa.array(columns["only_ignored"], pa.bool_()),
        }
    )


#: the version of the marts' logic: increase it with any change to it, so that the next
#: build recomputes every day
DRIFT_LOGIC = 3
_EPOCH = dt.date(1970, 1, 1)
#: how far before a changed fact's UTC day its effect may reach a local snapshot day (a day
#: for time zones up to 14 hours from UTC, a day for the floor of times before 1970)
_MARGIN_DAYS = 2


def _built_from(conn: duckdb.DuckDBPyConnection, settings: Settings, params: dict) -> str:
    """What, besides the facts, the marts depend on: the drift settings, which environments
    have inventory (a first capture changes every earlier day's states) and the logic."""
    inventoried = [
        e
        for (e,) in conn.execute(
            "SELECT DISTINCT environment FROM staging.inventory"
            " WHERE list_contains($chain, environment) ORDER BY 1",
            {"chain": params["chain"]},
        ).fetchall()
    ]
    return json.dumps(
        {
            **params,
            "ignore_config_keys": list(settings.drift.ignore_config_keys),
            "inventoried": inventoried,
            "logic": DRIFT_LOGIC,
        },
        sort_keys=True,
    )


def first_changed_day(conn: duckdb.DuckDBPyConnection, built_from: str) -> dt.date | None:
    """The first snapshot day to recompute: ``date.min`` when the marts were built otherwise
    (or never), None when no fact changed since the last build, and never later than the day
    after the last day built.

    A day's states and verdicts depend only on facts up to its end (versions behind count
    only versions in the baseline by then), so every earlier day stays as it is.
    """
    if conn.execute("SELECT settings FROM raw.drift_build").fetchall() != [(built_from,)]:
        return dt.date.min
    last, history = conn.execute(
        "SELECT (SELECT max(as_of) FROM marts.environment_matrix),"
        " EXISTS (FROM raw.version_history)"
    ).fetchone()
    if last is None or not history:
        return dt.date.min  # nothing to continue from (or the marts were emptied by hand)
    (first,) = conn.execute(
        "SELECT min(day) FROM drift_inputs latest FULL JOIN raw.drift_input_days built USING (day)"
        " WHERE latest.digest IS DISTINCT FROM built.digest"
    ).fetchone()
    if first is None:
        return None
    try:
        changed = _EPOCH + dt.timedelta(days=first - _MARGIN_DAYS)
    except OverflowError:
        return dt.date.min if first < 0 else dt.date.max
    # the days after the last one built were never built: without inventory every Sunday is
    # a day, so facts that land after weeks without any leave those weeks' Sundays to build
    return min(changed, last + dt.timedelta(days=1))


#: the rows of each drift mart a build replaces: the snapshot days from ``from_day`` on, and
#: any kept day that is no longer a snapshot day (facts taken out of the end of the history
#: shorten it); for promotion lag, the rows of the versions whose history changed and every
#: version of their services not in production yet (every row when ``from_ts`` is NULL: a
#: rebuild)
_DAYS_REPLACED = "as_of >= $from_day OR as_of NOT IN (SELECT as_of FROM as_of_days)"
_REPLACED = {
    "environment_matrix": _DAYS_REPLACED,
    "drift": _DAYS_REPLACED,
    "promotion_lag": (
        "$from_ts IS NULL OR m.service IN (SELECT service FROM version_changes)"
        " AND (m.production_at IS NULL OR EXISTS (SELECT 1 FROM version_changes c"
        " WHERE c.service = m.service AND c.version = m.version))"
    ),
}


def _replace(conn: duckdb.DuckDBPyConnection, table: str, params: dict[str, Any]) -> None:
    """Replace the mart's rows this build recomputes (``_REPLACED``)."""
    delete = f"DELETE FROM marts.{table} m WHERE {_REPLACED[table]}"
    conn.execute(delete, bound(delete, params))
    select = read_sql(sql_file(__file__, table))
    conn.execute(
        f"INSERT INTO marts.{table} BY NAME SELECT * FROM ({select})",
        bound(select, params),
    )


def _recompute(conn: duckdb.DuckDBPyConnection, settings: Settings, params: dict) -> None:
    run_script(conn, sql_file(__file__, "environment_states"), params)
    _replace(conn, "environment_matrix", params)
    run_script(conn, sql_file(__file__, "drift_pairs"), params)
    run_script(conn, sql_file(__file__, "version_history"), params)
    conn.register("verdicts", classify_pairs(conn, settings))
    _replace(conn, "drift", params)
    conn.unregister("verdicts")
    _replace(conn, "promotion_lag", params)


def _from_moment(from_day: dt.date) -> dt.datetime | None:
    """Where the version history is brought up to date from (None: from the start)."""
    if from_day == dt.date.min:
        return None
    return dt.datetime.combine(from_day, dt.time(), tzinfo=dt.UTC)


def build_drift_marts(
    conn: duckdb.DuckDBPyConnection, settings: Settings, *, rebuild: bool = False
) -> dict[str, int]:
    """Bring the three drift marts up to date with staging; return their row counts.

    Only the snapshot days from the first day whose facts changed are recomputed (every day
    when ``rebuild``, the settings changed or the marts were never built); the version
    history (``raw.version_history``) is brought up to date from the facts that arrived from
    that day on, and promotion lag recomputed for the versions it changed.
    ``counts["recomputed_from"]`` is that first day's ordinal (0: nothing changed).
    """
    params = drift_params(settings)
    conn.begin()
    try:
        run_script(conn, sql_file(__file__, "drift_inputs"))
        built_from = _built_from(conn, settings, params)
        from_day = dt.date.min if rebuild else first_changed_day(conn, built_from)
        if from_day is not None:
            moment = _from_moment(from_day)
            _recompute(conn, settings, {**params, "from_day": from_day, "from_ts": moment})
            conn.execute("DELETE FROM raw.drift_input_days")
            conn.execute("INSERT INTO raw.drift_input_days SELECT day, digest FROM drift_inputs")
            conn.execute("DELETE FROM raw.drift_build")
            conn.execute("INSERT INTO raw.drift_build VALUES ($s, now())", {"s": built_from})
        counts = {
            table: int(conn.execute(f"SELECT count(*) FROM marts.{table}").fetchone()[0])
            for table in DRIFT_MARTS
        }
        conn.commit()
    except Exception:
        conn.rollback()
        raise
    counts["recomputed_from"] = from_day.toordinal() if from_day else 0
    return counts
