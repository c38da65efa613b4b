"""The dispatcher: claims queued jobs while the executor has room and records their results.

It is the only code that joins the queue and the executor. A job's function grades the stored
upload with the same library call as ``grade submit``/``grade batch`` (``grade_submission``),
under the same isolation and limits; its progress lines become events the student watches.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from convgrade.grader.executors import Executor
from convgrade.grader.service import queue
from convgrade.grader.service.course import Course
from convgrade.grader.service.store import Store, Submission

log = logging.getLogger("convgrade.service")

#: grade(path, course_assignment, progress) -> result dict; the default is real grading.
GradeFn = Callable[[Path, Any, Callable[[dict], None]], dict]


def grade_file(path: Path, ca, progress: Callable[[dict], None], backend: str = "auto") -> dict:
    """Grade one file exactly as ``grade submit`` does (isolated, under the spec's limits)."""
    from convgrade.grader.submit import grade_submission

    return grade_submission(
        path, ca.assignment, backend=backend, progress=progress, data_path=ca.data
    ).to_dict()


class Dispatcher:
    """Feeds the executor from the queue in a background thread."""

    def __init__(
        self, course: Course, store: Store, executor: Executor, grade: GradeFn | None = None
    ) -> None:
        self.course, self.store, self.executor = course, store, executor
        self.grade = grade or grade_file
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        queue.recover(self.store)
        self._thread = threading.Thread(target=self._loop, name="dispatcher", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look at the queue now (a job was added)."""
        self._wake.set()

    def stop(self, wait: bool = True) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.executor.shutdown(wait=wait)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                while self.executor.free() > 0 and not self._stop.is_set():
                    job = queue.claim(self.store)
                    if job is None:
                        break
                    self.executor.submit(job, self.run_job, *job, on_done=self._done)
            except Exception:  # a database hiccup must not stop the service
                log.exception("dispatcher")
            self._wake.wait(timeout=0.5)
            self._wake.clear()

    def _done(self, job: tuple[int, int], fut: Future) -> None:
        if fut.exception() is not None:
            log.error("job %s failed: %r", job[0], fut.exception())
        self._wake.set()

    def run_job(self, job_id: int, attempt: int) -> bool:
        """Grade one claimed job and write its result; True when this attempt wrote it."""
        with self.store.read() as s:
            sub = s.get(Submission, job_id)
            assert sub is not None
            content, suffix, name, late = sub.content, sub.suffix, sub.assignment, sub.penalty
        ca = self.course.get(name)
        work = Path(tempfile.mkdtemp(prefix=f"convgrade-job{job_id}-"))
        try:
            path = work / f"submission{suffix}"  # a name the server chose
            path.write_bytes(content)

            def progress(info: dict) -> None:
                queue.add_event(self.store, job_id, attempt, info)

            try:
                result = self.grade(path, ca, progress)
            except Exception as exc:  # a grader bug is that job's error, not the service's
                log.exception("grading job %s", job_id)
                result = {
                    "status": "error",
                    "message": f"internal error: {type(exc).__name__}: {exc}",
                    "score": 0.0,
                    "max_score": ca.assignment.scoring.max_score,
                }
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if self._stop.is_set():
            return False  # the service is stopping: its sandboxes were killed, keep it queued
        result = json.loads(json.dumps(result, default=str))
        ok = result.get("status") == "ok"
        final = round(float(result.get("score") or 0.0) * (1 - late), 2) if ok else 0.0
        return queue.finish(self.store, job_id, attempt, result, final)
