"""Great Expectations in a process of its own, started before it is needed.

Importing GX takes seconds, longer than checking a week of new rows. A command that will run
the check of record (``run``, ``ingest``) starts this worker first thing: it imports GX on
the other core while the command imports Dagster, opens the warehouse and reads the files.
The check (:func:`data_contracts.validate.validate_frame`) and the Data Docs rendering
(:func:`data_contracts.docs.render_validation_page`) are then sent to it; without a worker,
or if it died, they run in the calling process as before.

The protocol is pickle over the worker's stdin and stdout, between two processes of this
program only: a request is ``(function name, args)``, a reply ``(ok, value or exception)``.
"""

from __future__ import annotations

import atexit
import gc
import pickle
import subprocess
import sys
import threading
from typing import Any

#: the worker's functions, by name (imported in the worker only)
_FUNCTIONS = {
    "validate_frame": ("data_contracts.validate", "validate_here"),
    "render_validation_page": ("data_contracts.docs", "render_here"),
}


class WorkerGone(Exception):
    """The worker is not running (never started, or died): do the work here."""


class GxWorker:
    """One worker process; requests are answered one at a time, in order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "data_contracts.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    def call(self, name: str, *args: Any) -> Any:
        """``name(*args)`` in the worker; its exception is raised here."""
        with self._lock:
            try:
                pickle.dump((name, args), self._process.stdin, pickle.HIGHEST_PROTOCOL)
                self._process.stdin.flush()
                ok, value = pickle.load(self._process.stdout)
            except (OSError, EOFError, pickle.UnpicklingError) as exc:
                self.close()
                raise WorkerGone(str(exc)) from exc
        if not ok:
            raise value
        return value

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()


_worker: GxWorker | None = None


def start() -> None:
    """Start the worker for this process (once); it is stopped when the process exits."""
    global _worker
    if _worker is None:
        _worker = GxWorker()
        atexit.register(stop)


def stop() -> None:
    global _worker
    if _worker is not None:
        _worker.close()
        _worker = None


def call(name: str, *args: Any) -> Any:
    """``name(*args)`` in the worker; :class:`WorkerGone` when there is none."""
    if _worker is None:
        raise WorkerGone("no worker")
    try:
        return _worker.call(name, *args)
    except WorkerGone:
        stop()  # gone for the rest of this process: later calls do not wait on it again
        raise


def _serve() -> None:
    import importlib

    from data_contracts.validate import warm_up

    warm_up()
    gc.freeze()  # GX's objects live as long as the worker (see ``pipelines.cli.cmd_run``)
    functions = {
        name: getattr(importlib.import_module(module), attribute)
        for name, (module, attribute) in _FUNCTIONS.items()
    }
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            name, args = pickle.load(requests)
        except EOFError:
            return
        try:
            reply = (True, functions[name](*args))
        except Exception as exc:  # every failure goes back to the caller
            reply = (False, exc)
        pickle.dump(reply, replies, pickle.HIGHEST_PROTOCOL)
        replies.flush()


if __name__ == "__main__":
    _serve()
