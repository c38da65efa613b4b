"""The dispatcher: claims queued jobs while the executor has room and records their results.

It is the only code that joins the queue and the executor. A job's function grades the stored
upload with the same library call as ``grade submit``/``grade batch`` (``grade_submission``),
under the same isolation and limits; its progress lines become events the student watches.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from convgrade.grader.batch import grade_copy
from convgrade.grader.executors import Executor
from convgrade.grader.service import queue
from convgrade.grader.service.course import Course
from convgrade.grader.service.store import Store, Submission

log = logging.getLogger("convgrade.service")

#: grade(path, course_assignment, progress) -> result dict; the default is real grading.
GradeFn = Callable[[Path, Any, Callable[[dict], None]], dict]


def grade_file(
    path: Path, ca, progress: Callable[[dict], None], backend: str = "auto", nice: int = 0
) -> dict:
    """Grade one file exactly as ``grade submit`` does (isolated, under the spec's limits),
    at CPU priority ``nice`` (``grade serve`` passes ``--worker-nice``, by default 10: its web
    layer, at 0, is then served first and uploads and status stay quick while the workers
    train on every core; on an otherwise idle machine the workers get whatever it leaves)."""
    from convgrade.grader.submit import default_limits, grade_submission

    limits = replace(default_limits(ca.assignment), nice=nice)
    return grade_submission(
        path, ca.assignment, limits=limits, backend=backend, progress=progress, data_path=ca.data
    ).to_dict()


def warm_up(course: Course) -> list[str]:
    """Load what grading needs before the first upload: the grader's modules and each
    assignment's data split (cached for every job). Done lazily, the first jobs spent about
    2 s holding the interpreter exactly when a deadline's burst of uploads arrived. Returns
    the problems (a data set that cannot be loaded: its jobs will report it)."""
    from convgrade.exercises.errors import ConvgradeError
    from convgrade.grader.submit import prepare

    problems = []
    for ca in course.assignments.values():
        try:
            prepare(ca.assignment, ca.data)
        except ConvgradeError as exc:
            problems.append(f"{ca.name}: {exc}")
    return problems


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
                    self._submit(job)
            except Exception:  # a database hiccup must not stop the service
                log.exception("dispatcher")
            self._wake.wait(timeout=0.5)
            self._wake.clear()

    def _done(self, job: tuple[int, int], fut: Future) -> None:
        if fut.exception() is not None:
            log.error("job %s failed: %r", job[0], fut.exception())
        self._wake.set()

    def _submit(self, job: tuple[int, int]) -> None:
        """Hand a claimed job to the executor: the whole job on a local one; on a remote one
        (Ray) only the grading, with the upload's bytes, and the result is recorded here."""
        if not self.executor.remote:
            self.executor.submit(job, self.run_job, *job, on_done=self._done)
            return
        content, suffix, ca, late = self._load(job[0])
        queue.add_event(self.store, job[0], job[1], {"stage": "grading on the cluster"})

        def record(job: tuple[int, int], fut: Future) -> None:
            try:
                result = fut.result()
            except Exception as exc:  # the cluster lost it past its retries: that job's error
                result = _internal_error(exc, ca)
            if not self._stop.is_set():
                self._record(job[0], job[1], result, late)
            self._done(job, fut)

        self.executor.submit(job, grade_upload, self.grade, suffix, content, ca, on_done=record)

    def _load(self, job_id: int) -> tuple[bytes, str, Any, float]:
        """A job's upload, suffix, course assignment and late penalty."""
        with self.store.read() as s:
            sub = s.get(Submission, job_id)
            assert sub is not None
            content, suffix, name, late = sub.content, sub.suffix, sub.assignment, sub.penalty
        return content, suffix, self.course.get(name), late

    def _record(self, job_id: int, attempt: int, result: dict, late: float) -> bool:
        """Write a job's result (only the attempt that claimed it can); True when written."""
        result = json.loads(json.dumps(result, default=str))
        ok = result.get("status") == "ok"
        final = round(float(result.get("score") or 0.0) * (1 - late), 2) if ok else 0.0
        return queue.finish(self.store, job_id, attempt, result, final)

    def run_job(self, job_id: int, attempt: int) -> bool:
        """Grade one claimed job and write its result; True when this attempt wrote it."""
        content, suffix, ca, late = self._load(job_id)

        def progress(info: dict) -> None:
            queue.add_event(self.store, job_id, attempt, info)

        result = grade_upload(self.grade, suffix, content, ca, progress)
        if self._stop.is_set():
            return False  # the service is stopping: its sandboxes were killed, keep it queued
        return self._record(job_id, attempt, result, late)


def grade_upload(
    grade: GradeFn,
    suffix: str,
    content: bytes,
    ca: Any,
    progress: Callable[[dict], None] | None = None,
) -> dict:
    """Grade one upload's bytes in fresh temporary folders; never raises.

    The same job as ``grade batch``'s (:func:`convgrade.grader.batch.grade_copy`): it needs
    neither the database nor the server's folders (the file gets a name the server chose), so
    a remote executor runs it on its node.
    """
    job = partial(_grade_for_service, grade, ca, progress or _no_progress)
    result, files = grade_copy(job, "submission", f"submission{suffix}", content)
    if "error.log" in files:  # a grader bug: the traceback goes to the server's log
        log.error("grading failed:\n%s", files["error.log"].decode(errors="replace"))
    result.setdefault("max_score", ca.assignment.scoring.max_score)
    return result


def _grade_for_service(
    grade: GradeFn, ca: Any, progress: Callable[[dict], None], path: Path, out_dir: Path
) -> dict:
    """``grade_copy``'s ``grade(path, out_dir)`` for the service's ``grade(path, ca, progress)``
    (a module-level function, so a remote executor can pickle the job)."""
    return grade(path, ca, progress)


def _no_progress(info: dict) -> None:
    pass


def _internal_error(exc: BaseException, ca: Any) -> dict:
    return {
        "status": "error",
        "message": f"internal error: {type(exc).__name__}: {exc}",
        "score": 0.0,
        "max_score": ca.assignment.scoring.max_score,
    }
