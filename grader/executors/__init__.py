"""Executors: where grading jobs run. One interface, one registry.

An :class:`Executor` runs ``fn(*args)`` for a job and reports back through a callback; it knows
nothing about the web layer or the queue (the service's dispatcher claims jobs from the queue
and hands them over while ``free()`` > 0). To add an executor, subclass :class:`Executor` and
list it in :data:`EXECUTORS` (``"module:Class"``, imported only when used).

- ``local`` (default, embedded): a pool of threads on this machine, each job in its own
  sandboxed worker process.
- ``ray``: each job is a Ray task with declared resources (CPUs, memory, a fraction of a GPU)
  on any node of a Ray cluster; a task whose node dies runs again on another node. Nothing
  imports Ray unless it is chosen.

>>> executor_names()
['local', 'ray']
>>> with get_executor("local", workers=2) as ex:
...     ex.submit("job-1", pow, 2, 10).result()
1024
"""

from __future__ import annotations

import importlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from convgrade.exercises.errors import ConvgradeError

#: name -> "module:Class"; the only place executors are registered.
EXECUTORS: dict[str, str] = {
    "local": "convgrade.grader.executors.local:LocalExecutor",
    "ray": "convgrade.grader.executors.ray:RayExecutor",
}

#: on_done(job_id, future): called once per job when it has finished (result or exception).
DoneCallback = Callable[[Any, Future], None]


class ExecutorError(ConvgradeError):
    """An executor cannot start (a missing extra, an unreachable cluster, bad resources)."""


class Executor(ABC):
    """Runs grading jobs somewhere, ``capacity`` at a time. Use as a context manager."""

    def __init__(self) -> None:
        self._jobs: dict[Any, Any] = {}
        self._jobs_lock = threading.Lock()

    #: how many jobs run at once.
    capacity: int
    #: True when jobs run in other processes or machines: a job must then be a picklable
    #: function of its arguments alone (no open database, no local folders, no callbacks).
    remote: bool = False

    @abstractmethod
    def submit(
        self, job_id: Any, fn: Callable[..., Any], *args: Any, on_done: DoneCallback | None = None
    ) -> Future:
        """Start ``fn(*args)`` for ``job_id``; the future holds its return value or exception."""

    def running(self) -> int:
        """How many submitted jobs have not finished yet."""
        with self._jobs_lock:
            return len(self._jobs)

    def _track(self, job_id: Any, handle: Any, fut: Future, on_done: DoneCallback | None) -> Future:
        """Count ``job_id`` (with its executor-specific ``handle``) as running until ``fut``
        finishes, then call ``on_done``. Subclasses' ``submit`` ends with this."""
        with self._jobs_lock:
            self._jobs[job_id] = handle

        def done(f: Future) -> None:
            with self._jobs_lock:
                self._jobs.pop(job_id, None)
            if on_done is not None:
                on_done(job_id, f)

        fut.add_done_callback(done)
        return fut

    def _handles(self) -> list[Any]:
        """The handles of the jobs running now."""
        with self._jobs_lock:
            return list(self._jobs.values())

    def free(self) -> int:
        """How many more jobs may be submitted now without queueing inside the executor."""
        return max(0, self.capacity - self.running())

    @abstractmethod
    def shutdown(self, wait: bool = True) -> None:
        """Stop taking jobs; with ``wait``, return when the running ones have finished;
        without, stop the running ones."""

    def describe(self) -> str:
        """One line for summaries and reports, e.g. ``local, 2 workers``."""
        return f"{type(self).__name__}, capacity {self.capacity}"

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.shutdown(wait=exc_type is None)


def executor_names() -> list[str]:
    return list(EXECUTORS)


def get_executor(name: str, **options: Any) -> Executor:
    """A new executor of kind ``name`` (``workers=N`` and other options go to its class)."""
    target = EXECUTORS.get(name)
    if target is None:
        raise ExecutorError(
            f"--engine: unknown engine {name!r}; expected one of {', '.join(EXECUTORS)}"
        )
    module, attr = target.split(":")
    return getattr(importlib.import_module(module), attr)(**options)
