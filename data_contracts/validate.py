"""Great Expectations validation of a pandas frame: the contract check of record.

GX takes seconds to import, so it is imported inside :func:`validate_frame`, never at module
import. GX's SQL path does not work against DuckDB in GX 1.24, so frames are validated in
pandas (moved from DuckDB through Arrow).
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import json
import logging
import math
import os
import sys
import types
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from data_contracts.sql import format_reason
from data_contracts.suite import Suite

if TYPE_CHECKING:
    import pandas as pd


_POSITION = "suite_position"


@dataclass
class ContractResult:
    """What GX found: per record number, the reasons it breaks the suite."""

    suite: str
    success: bool
    rows: int
    evaluated_expectations: int
    failed_expectations: list[str] = field(default_factory=list)
    failures: dict[int, list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    #: GX's validation result as JSON (what its Data Docs render), long lists trimmed
    document: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "success": self.success,
            "rows": self.rows,
            "evaluated_expectations": self.evaluated_expectations,
            "failed_expectations": self.failed_expectations,
            "failing_rows": len(self.failures),
            "errors": self.errors,
        }


#: modules GX imports when it is imported, for expectations no suite here uses (distribution
#: tests and their charts): most of a second and a half of the GX worker's start
DEFERRED_MODULES = ("scipy.stats", "altair")


class _Deferred(types.ModuleType):
    """A module imported on the first use of one of its names, not when it is imported."""

    def __getattr__(self, attribute: str) -> Any:
        name = self.__name__
        if sys.modules.get(name) is self:
            del sys.modules[name]
        module = importlib.import_module(name)
        self.__dict__.update(module.__dict__)  # for whoever holds this one
        return getattr(module, attribute)


def prepare_gx() -> None:
    """Before GX is imported: no usage analytics, its log to errors only, and the modules in
    :data:`DEFERRED_MODULES` imported on first use (those GX never uses here)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    if "great_expectations" in sys.modules:
        return
    for name in DEFERRED_MODULES:
        if name not in sys.modules and importlib.util.find_spec(name) is not None:
            sys.modules[name] = _Deferred(name)


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        import pandas as pd

        if value is pd.NaT or value is pd.NA:
            return None
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    return value


@cache
def _context() -> Any:
    """One ephemeral GX context per process (each new one creates a temporary folder)."""
    prepare_gx()
    import great_expectations as gx
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every pandas batch by hashing the whole frame, twice per validation,
    # for a batch marker nothing here reads (the file's SHA-256 identifies the input): on a
    # large file that costs more than the expectations themselves. Frames of at least this
    # many bytes are not fingerprinted, so 0 turns it off.
    pandas_execution_engine.HASH_THRESHOLD = 0
    _shorten_gx()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    return context


#: while a validation of this module runs (in this thread): what GX would otherwise work out
#: anew each time it asks, by what it was worked out from
_KEPT: ContextVar[dict[Any, tuple[Any, ...]] | None] = ContextVar("gx_kept", default=None)

#: the plain JSON values GX's ``to_id`` may hash as they are (see :func:`_plain_json`)
_JSON_SCALARS = (str, int, bool, type(None))


def _plain_json(value: Any) -> bool:
    """Whether ``value`` is text, whole numbers, truth values, nulls, non-NaN floats, and lists,
    tuples and dicts (text keys) of them: values GX's JSON conversion leaves as they are,
    tuples apart, which the encoder writes as lists all the same."""
    kind = type(value)
    if kind in _JSON_SCALARS:
        return True
    if kind is float:
        return not math.isnan(value)  # GX writes NaN as null
    if kind in (list, tuple):
        return all(_plain_json(item) for item in value)
    if isinstance(value, dict) and not hasattr(value, "to_json_dict"):
        return all(type(key) is str and _plain_json(item) for key, item in value.items())
    return False


def _kept_for(owner: Any, make: Callable[[Any], Any]) -> Any:
    """``make(owner)``, or what it gave earlier in this validation for ``owner`` with the same
    fields (compared with a deep copy taken then, so a field changed in place is seen)."""
    kept = _KEPT.get()
    assert kept is not None
    key = (make, id(owner))
    hit = kept.get(key)
    if hit is None or hit[0] is not owner or hit[1] != owner.__dict__:
        hit = kept[key] = (owner, copy.deepcopy(owner.__dict__), make(owner))
    return hit[2]


def _shorten_gx() -> None:
    """Spare GX work it repeats within a validation, where it comes to the same result.

    Each shortcut is taken only while :func:`validation_shortcuts` is in effect (elsewhere GX
    runs as it comes), and GX's results are the same with and without them:

    * GX's ``Expectation.configuration`` builds a new configuration from the expectation's
      fields each time it is read, about a hundred times per expectation per validation, and
      ``ExpectationConfiguration.to_domain_obj`` a new expectation from the configuration's,
      for each metric the expectation needs: the first one made is returned again for as long
      as the fields it was made from are the same.
    * Each metric of an expectation with a row condition filters the frame again (a pandas
      query, parsed every time): the rows a condition keeps of a frame are kept once.
    * Every metric's id is a hash of its arguments' JSON, which GX first converts value by
      value: arguments that are plain JSON already (nearly all) are written as they are, to
      the same text and so the same id.
    """
    import hashlib

    from great_expectations.core.id_dict import IDDict
    from great_expectations.execution_engine.pandas_execution_engine import (
        PandasExecutionEngine,
    )
    from great_expectations.expectations.expectation import Expectation
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    build = Expectation.configuration.fget
    if getattr(build, "shortened", False):
        return
    make_expectation = ExpectationConfiguration.to_domain_obj
    row_filter = PandasExecutionEngine._apply_row_condition_filter
    to_id = IDDict.to_id

    def configuration(self: Any) -> Any:
        return build(self) if _KEPT.get() is None else _kept_for(self, build)

    def to_domain_obj(self: Any) -> Any:
        return make_expectation(self) if _KEPT.get() is None else _kept_for(self, make_expectation)

    def apply_row_condition_filter(
        self: Any, data: Any, row_condition: Any, domain_kwargs: dict
    ) -> Any:
        kept = _KEPT.get()
        if kept is None:
            return row_filter(self, data, row_condition, domain_kwargs)
        key = ("rows", id(data), repr(row_condition), domain_kwargs.get("condition_parser"))
        hit = kept.get(key)
        if hit is None or hit[0] is not data:
            hit = kept[key] = (data, row_filter(self, data, row_condition, domain_kwargs))
        return hit[1]

    def plain_to_id(self: Any, id_keys: Any = None, id_ignore_keys: Any = None) -> Any:
        if _KEPT.get() is None:
            return to_id(self, id_keys, id_ignore_keys)
        keys = set(self.keys() if id_keys is None else id_keys)
        keys -= set(self._id_ignore_keys if id_ignore_keys is None else id_ignore_keys)
        values = {key: self[key] for key in keys}
        if len(keys) < 2 or not _plain_json(values):
            return to_id(self, id_keys, id_ignore_keys)
        text = json.dumps(values, sort_keys=True)
        return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()

    configuration.shortened = True  # type: ignore[attr-defined]
    for shortcut, original in (
        (configuration, build),
        (to_domain_obj, make_expectation),
        (apply_row_condition_filter, row_filter),
        (plain_to_id, to_id),
    ):
        shortcut.__doc__ = original.__doc__
    Expectation.configuration = property(configuration)
    ExpectationConfiguration.to_domain_obj = to_domain_obj
    PandasExecutionEngine._apply_row_condition_filter = apply_row_condition_filter
    IDDict.to_id = plain_to_id


@contextmanager
def validation_shortcuts() -> Iterator[None]:
    """GX validations in this block take the shortcuts of :func:`_shorten_gx`; what they kept
    is let go at its end."""
    _context()
    token = _KEPT.set({})
    try:
        yield
    finally:
        _KEPT.reset(token)


def _raised(info: Any) -> list[str]:
    """Exception messages in a GX result's exception info (flat, or nested per metric)."""
    if not isinstance(info, dict):
        return []
    if info.get("raised_exception"):
        return [str(info.get("exception_message"))]
    return [message for value in info.values() for message in _raised(value)]


#: result keys listing every failing row or value: Data Docs show the partial lists instead
_FULL_LISTS = ("unexpected_list", "unexpected_index_list", "unexpected_index_query")


def _document(outcome: Any) -> dict[str, Any]:
    """GX's result as JSON, without the lists of every failing row (the quarantine has those)."""
    document = outcome.to_json_dict()
    for item in document.get("results", []):
        for key in _FULL_LISTS:
            (item.get("result") or {}).pop(key, None)
    return document


def warm_up() -> None:
    """Import GX and make its context (what a first check would otherwise wait for)."""
    _context()
    from great_expectations.render.renderer import ValidationResultsPageRenderer  # noqa: F401


def validate_frame(
    suite: Suite,
    frame: pd.DataFrame,
    index_column: str = "record_number",
    parameters: Mapping[str, Any] | None = None,
    listed: Collection[int] = (),
) -> ContractResult:
    """Validate ``frame`` against ``suite`` with GX; return row-level failures by index column.

    ``parameters`` gives the suite parameters' values (GX's ``expectation_parameters``); the
    suite's ``{"$PARAMETER": name}`` kwargs stay as they are in the suite given to GX.
    ``listed`` names (by position in the suite) the expectations the caller expects to find
    failing rows: GX lists their rows at once, and counts the rows of the others (see
    :func:`validate_here`). Runs in the GX worker when this process started one
    (``data_contracts.worker``), else here.
    """
    missing = suite.parameters - set(parameters or {})
    if missing:
        raise ValueError(
            f"suite {suite.name!r} needs suite parameter(s) {', '.join(sorted(missing))}"
        )
    from data_contracts import worker

    try:
        return worker.call("validate_frame", suite, frame, index_column, parameters, listed)
    except worker.WorkerGone:
        return validate_here(suite, frame, index_column, parameters, listed)


@lru_cache(maxsize=64)
def _gx_suite(document: str, positions: tuple[int, ...]) -> Any:
    """GX's suite of the expectations at ``positions`` of a suite (its JSON document), made
    once per process: building it took as long as a tenth of a week's check."""
    from great_expectations.core import ExpectationSuite
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    suite = json.loads(document)
    gx_suite = ExpectationSuite(name=suite["name"])
    for position in positions:
        expectation = suite["expectations"][position]
        # GX may return results in another order; the position in meta maps them back
        gx_suite.add_expectation_configuration(
            ExpectationConfiguration(
                type=expectation["type"],
                kwargs=expectation["kwargs"],
                meta={**expectation["meta"], _POSITION: position},
            )
        )
    return gx_suite


@cache
def _batch_definition(name: str) -> Any:
    """GX's whole-frame batch definition for a suite's frames, made once per process."""
    source = _context().data_sources.add_or_update_pandas(f"{name}_frames")
    return source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("batch")


def _found_rows(item: Any) -> bool:
    """Whether a counted expectation's result found failing rows (a raised one found none)."""
    if _raised(item.exception_info):
        return False
    return not item.success or bool((item.result or {}).get("unexpected_count"))


def _combined(name: str, results: list[Any], meta: dict[str, Any], batch_ids: set[Any]) -> Any:
    """One GX suite validation result of the results of several runs on one batch."""
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
    )
    from great_expectations.validator.validation_statistics import calc_validation_statistics

    statistics = calc_validation_statistics(results)._asdict()
    return ExpectationSuiteValidationResult(
        success=statistics.pop("success"),
        results=results,
        suite_name=name,
        statistics=statistics,
        meta=meta,
        batch_id=batch_ids.pop() if len(batch_ids) == 1 else None,
    )


def validate_here(
    suite: Suite,
    frame: pd.DataFrame,
    index_column: str,
    parameters: Mapping[str, Any] | None,
    listed: Collection[int] = (),
) -> ContractResult:
    """:func:`validate_frame` in this process.

    Listing every failing row (GX's ``COMPLETE`` result format) costs more than counting them
    (``BASIC``) for every expectation, failing or not: a third of a clean week's check. So the
    expectations in ``listed`` are run listing their rows, the others counting them, and any
    of the others that counted a failing row is run again listing them. Every verdict is thus
    GX's, and every failing row is named by GX, whatever was expected.
    """
    document = json.dumps(suite.to_gx_dict(), default=str)
    batch = _batch_definition(suite.name).get_batch(batch_parameters={"dataframe": frame})
    results: dict[int, Any] = {}
    meta: dict[str, Any] = {}
    batch_ids: set[str | None] = set()

    def run(positions: Collection[int], listing: bool) -> None:
        if not positions:
            return
        result_format: dict[str, Any] = {"result_format": "BASIC"}
        if listing:
            result_format = {
                "result_format": "COMPLETE",
                "unexpected_index_column_names": [index_column],
            }
        outcome = batch.validate(
            _gx_suite(document, tuple(sorted(positions))),
            result_format=result_format,
            expectation_parameters=dict(parameters) if parameters else None,
        )
        meta.update(outcome.meta)
        batch_ids.add(outcome.batch_id)
        for item in outcome.results:
            results[int(item.expectation_config.meta[_POSITION])] = item

    listed = set(listed)
    counted = [p for p in range(len(suite.expectations)) if p not in listed]
    with validation_shortcuts():
        run(listed, listing=True)
        run(counted, listing=False)
        run([p for p in counted if _found_rows(results[p])], listing=True)
    outcome = _combined(suite.name, [results[p] for p in sorted(results)], meta, batch_ids)
    result = ContractResult(
        suite=suite.name,
        success=bool(outcome.success),
        rows=len(frame),
        evaluated_expectations=len(outcome.results),
        document=_document(outcome),
    )
    by_index = frame.set_index(index_column, drop=False) if len(frame) else frame
    for position, item in sorted(results.items()):
        expectation = suite.expectations[position]
        raised = _raised(item.exception_info)
        if raised:
            result.errors.extend(f"{expectation.type}: {message}" for message in raised)
            continue
        if item.success:
            continue
        result.failed_expectations.append(f"{expectation.reason} ({expectation.field})")
        for entry in item.result.get("unexpected_index_list") or []:
            record = int(entry[index_column])
            value = (
                _plain(by_index.at[record, expectation.show])
                if expectation.show in by_index
                else None
            )
            result.failures.setdefault(record, []).append(format_reason(expectation, value))
    result.success = result.success and not result.errors
    return result
