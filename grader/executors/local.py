"""The embedded executor: a pool of threads on this machine, each job in its own sandbox."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from convgrade.grader.executors import Executor, ExecutorError


class LocalExecutor(Executor):
    """``workers`` jobs at once in threads; each job starts its own isolated worker process."""

    name = "local"

    def __init__(self, workers: int = 1) -> None:
        if workers < 1:
            raise ExecutorError(f"--workers: expected at least 1, got {workers}")
        self.workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grade")

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, *, cancel: bool = False) -> None:
        if cancel:
            from convgrade.grader.isolation import stop_all

            stop_all()  # the sandboxes of running jobs; their threads then return
        self._pool.shutdown(wait=True, cancel_futures=cancel)

    @property
    def capacity(self) -> int:
        return self.workers

    def describe(self) -> str:
        return f"local, {self.workers} worker{'s' if self.workers != 1 else ''}"
