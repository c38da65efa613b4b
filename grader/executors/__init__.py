"""Executors: where grading jobs run. One registry, one small interface.

An executor takes a job — a picklable callable and its arguments — and returns a
:class:`concurrent.futures.Future` for its result. ``grade batch`` and the course service hand
their jobs to whichever executor the user chose; the job itself (sandboxing, limits, scoring)
is the same everywhere, so results do not depend on where a submission ran.

- ``local`` (default, embedded): a pool of threads on this machine, each job in its own
  sandboxed worker process.
- ``ray``: each job is a Ray task with declared resources (CPUs, memory, a fraction of a GPU),
  placed on any node of a Ray cluster; a task whose node dies is run again on another node.

Nothing imports Ray unless the ``ray`` executor is chosen.

>>> sorted(EXECUTORS)
['local', 'ray']
>>> with make_executor("local", workers=2) as ex:
...     ex.submit(pow, 2, 10).result()
1024
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from convgrade.exercises.errors import ConvgradeError

#: executor name -> "module:class"; imported only when chosen (Ray is an optional extra).
EXECUTORS: dict[str, str] = {
    "local": "convgrade.grader.executors.local:LocalExecutor",
    "ray": "convgrade.grader.executors.ray:RayExecutor",
}


class ExecutorError(ConvgradeError):
    """An executor cannot start (missing extra, unreachable cluster, bad resources)."""


class Executor(ABC):
    """Runs grading jobs and hands back futures. Use as a context manager."""

    #: the registry name, shown in reports and summaries
    name: str = ""

    @abstractmethod
    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Run ``fn(*args, **kwargs)`` as one job; the future holds its result or exception."""

    @abstractmethod
    def shutdown(self, *, cancel: bool = False) -> None:
        """Wait for running jobs (or, with ``cancel``, stop them and drop queued ones)."""

    @property
    def capacity(self) -> int:
        """How many jobs run at once (a hint for progress displays and queue claims)."""
        return 1

    def describe(self) -> str:
        """One line for summaries, e.g. ``local, 2 workers``."""
        return self.name

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.shutdown(cancel=exc_type is not None)


def make_executor(name: str, **options: Any) -> Executor:
    """The executor registered as ``name``, built with ``options`` (its keyword arguments)."""
    target = EXECUTORS.get(name)
    if target is None:
        choices = ", ".join(sorted(EXECUTORS))
        raise ExecutorError(f"--engine: unknown engine {name!r} (choose from {choices})")
    module, attr = target.split(":")
    return getattr(importlib.import_module(module), attr)(**options)
