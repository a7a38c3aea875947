"""The Great Expectations worker: same verdicts as in process, and a fallback when it is gone."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest

from assets.ingest.kinds import kind_named
from data_contracts import worker
from data_contracts.docs import render_validation_page
from data_contracts.validate import validate_frame, validate_here
from tests.test_data_contracts.test_contracts import PARAMETERS, deployment, frame_of

KIND = kind_named("deployments")


@pytest.fixture
def started() -> Iterator[None]:
    worker.start()
    yield
    worker.stop()


def _frame():
    return frame_of(
        [deployment(1), deployment(2, status="deployed"), deployment(3, service=None)],
        ("started_at", "finished_at", "first_commit_at"),
        ("change_count",),
    )


def test_the_worker_gives_the_verdict_of_the_check_in_process(started: None) -> None:
    in_worker = validate_frame(KIND.suite, _frame(), parameters=PARAMETERS)
    here = validate_here(KIND.suite, _frame(), "record_number", PARAMETERS)

    assert sorted(in_worker.failures) == [2, 3]
    assert in_worker.failures == here.failures
    assert (in_worker.success, in_worker.evaluated_expectations) == (False, 18)
    assert in_worker.document["statistics"] == here.document["statistics"]


def test_a_dead_worker_falls_back_to_the_check_in_process(started: None) -> None:
    worker._worker._process.kill()

    result = validate_frame(KIND.suite, _frame(), parameters=PARAMETERS)

    assert sorted(result.failures) == [2, 3]
    assert worker._worker is None  # gone for the rest of the process: no second wait


def test_an_error_in_the_worker_is_raised_in_the_caller(started: None) -> None:
    with pytest.raises(AttributeError, match="'str' object has no attribute 'items'"):
        render_validation_page({"results": "not a list"})

    assert worker._worker is not None  # the worker answered (with the error) and stays


def test_the_calling_process_never_imports_great_expectations() -> None:
    script = textwrap.dedent(
        """
        import sys
        from data_contracts import worker
        worker.start()
        from assets.ingest.kinds import kind_named
        from data_contracts.validate import validate_frame
        from tests.test_data_contracts.test_contracts import PARAMETERS, deployment, frame_of
        frame = frame_of([deployment(1), deployment(2, status="deployed")],
                         ("started_at", "finished_at", "first_commit_at"), ("change_count",))
        result = validate_frame(kind_named("deployments").suite, frame, parameters=PARAMETERS)
        print(sorted(result.failures), "great_expectations" in sys.modules)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300
    ).stdout

    assert out.strip() == "[2] False"


def test_the_modules_gx_never_uses_here_load_only_when_used() -> None:
    """GX imports distribution tests and their charts when it is imported; the check and Data
    Docs never use them, so they are loaded on first use instead: a check and a page leave
    them unloaded, and they work in full once something uses them."""
    script = textwrap.dedent(
        """
        import sys
        from assets.ingest.kinds import kind_named
        from data_contracts.docs import render_here
        from data_contracts.validate import validate_here
        from tests.test_data_contracts.test_contracts import PARAMETERS, deployment, frame_of
        frame = frame_of([deployment(1), deployment(2, status="deployed")],
                         ("started_at", "finished_at", "first_commit_at"), ("change_count",))
        result = validate_here(kind_named("deployments").suite, frame, "record_number",
                               PARAMETERS)
        page = render_here(result.document)
        print(sorted(result.failures), "<html" in page.lower(),
              "scipy.stats._stats_py" in sys.modules, "altair.vegalite" in sys.modules)
        from scipy import stats
        import altair
        print(round(float(stats.entropy([0.5, 0.5], [0.9, 0.1])), 4),
              altair.Chart.__name__, "scipy.stats._stats_py" in sys.modules)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300
    ).stdout.splitlines()

    assert out[0] == "[2] True False False"
    # KL divergence of (1/2, 1/2) from (0.9, 0.1): 0.5 ln(0.5/0.9) + 0.5 ln(0.5/0.1)
    assert out[1] == "0.5108 Chart True"
