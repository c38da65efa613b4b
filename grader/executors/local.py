"""The local executor: a pool of N threads on this machine, each driving one isolated grading
process at a time (``grade_submission`` runs every submission in its own sandboxed process,
exactly as ``grade batch --workers N`` does)."""

from __future__ import annotations

import threading
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
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grade")
        self._lock = threading.Lock()
        self._running = 0

    def submit(
        self, job_id: Any, fn: Callable[..., Any], *args: Any, on_done: DoneCallback | None = None
    ) -> Future:
        with self._lock:
            self._running += 1
        fut = self._pool.submit(fn, *args)

        def done(f: Future) -> None:
            with self._lock:
                self._running -= 1
            if on_done is not None:
                on_done(job_id, f)

        fut.add_done_callback(done)
        return fut

    def running(self) -> int:
        with self._lock:
            return self._running

    def shutdown(self, wait: bool = True) -> None:
        if not wait:
            from convgrade.grader.isolation import stop_all

            stop_all()
        self._pool.shutdown(wait=wait, cancel_futures=True)

    def describe(self) -> str:
        return f"local, {self.capacity} worker{'s' if self.capacity != 1 else ''}"
