"""The local executor: a pool of N threads on this machine, each driving one isolated grading
process at a time (``grade_submission`` runs every submission in its own sandboxed process,
exactly as ``grade batch --workers N`` does)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from convgrade.grader.executors import DoneCallback, Executor, ExecutorError


class LocalExecutor(Executor):
    """``workers`` jobs at once on this machine."""

    def __init__(self, workers: int = 1) -> None:
        if workers < 1:
            raise ExecutorError(f"--workers: expected at least 1, got {workers}")
        self.capacity = workers
        super().__init__()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grade")

    def submit(
        self, job_id: Any, fn: Callable[..., Any], *args: Any, on_done: DoneCallback | None = None
    ) -> Future:
        fut = self._pool.submit(fn, *args)
        return self._track(job_id, fut, fut, on_done)

    def shutdown(self, wait: bool = True) -> None:
        if not wait:
            from convgrade.grader.isolation import stop_all

            stop_all()
        self._pool.shutdown(wait=wait, cancel_futures=True)

    def describe(self) -> str:
        return f"local, {self.capacity} worker{'s' if self.capacity != 1 else ''}"
