"""Grade a whole class: one submission per student, several at once, resumable.

Layout of ``out``::

    out/<student>/result.json, results.json, report.html   one folder per student
    out/gradebook-canvas.csv                                Canvas gradebook import
    out/gradebook-moodle.csv                                Moodle "Import grades from CSV"
    out/gradebook.csv                                       plain gradebook (as check-all's)
    out/results.csv                                         every student's status and score
    out/summary.json                                        counts by status, timings

A student's folder appears only when its grading finished (it is built under ``out/.staging``
and renamed into place), so an interrupted batch leaves no half-written results and
``--resume`` skips exactly the students whose ``result.json`` exists.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from convgrade.exercises.errors import ConvgradeError
from convgrade.exercises.gradebook import Entry, Gradebook, csv_text, points_text
from convgrade.exercises.gradebook import write as write_gradebook
from convgrade.exercises.gradebook import write_atomic as _write_atomic
from convgrade.grader.executors import Executor

#: file name suffixes a submission file may have (the student id is the name without them).
SUBMISSION_SUFFIXES = (".py", ".ipynb")
STAGING = ".staging"
RESULT = "result.json"

#: grade(path, out_dir) -> an object with .to_dict() (or a dict); writes into out_dir.
GradeFn = Callable[[Path, Path], Any]


class BatchError(ConvgradeError):
    """A problem with the batch's inputs or output folder (not with a submission)."""


@dataclass
class Submission:
    student: str
    path: Path


@dataclass
class BatchSummary:
    """What a batch did: ``counts`` by status over all students, graded now vs skipped."""

    total: int
    graded: int
    skipped: int
    counts: dict[str, int]
    wall_s: float
    out: Path
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def per_minute(self) -> float:
        return self.graded / self.wall_s * 60 if self.wall_s > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "graded": self.graded,
            "skipped": self.skipped,
            "counts": self.counts,
            "wall_s": round(self.wall_s, 2),
            "submissions_per_minute": round(self.per_minute, 2),
        }


def discover(folder: Path) -> list[Submission]:
    """One submission per entry of ``folder``: a file (``alice.py`` -> ``alice``) or a folder.

    Hidden entries and ``__pycache__`` are ignored. Two entries for one student, or none at
    all, are errors naming the folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise BatchError(f"{folder}: not a folder of submissions")
    found: dict[str, Path] = {}
    for entry in sorted(folder.iterdir()):
        name = entry.name
        if name.startswith((".", "_")):
            continue
        if entry.is_dir():
            student = name
        elif entry.is_file() and entry.suffix in SUBMISSION_SUFFIXES:
            student = entry.stem
        else:
            continue
        if student in found:
            raise BatchError(
                f"{folder}: two submissions for student {student!r}: "
                f"{found[student].name} and {name}"
            )
        found[student] = entry
    if not found:
        raise BatchError(
            f"{folder}: no submissions (expected one .py/.ipynb file or one folder per student)"
        )
    return [Submission(s, p) for s, p in found.items()]


def submission_file(path: Path) -> Path:
    """The file to grade: ``path`` itself, or the one .py/.ipynb file at the top of a folder."""
    if not path.is_dir():
        return path
    files = sorted(
        p
        for p in path.iterdir()
        if p.is_file() and p.suffix in SUBMISSION_SUFFIXES and not p.name.startswith((".", "_"))
    )
    if len(files) != 1:
        found = ", ".join(p.name for p in files[:5]) or "none"
        raise BatchError(
            f"{path.name}/: expected exactly one .py or .ipynb file in the folder, found {found}"
        )
    return files[0]


def finished(out: Path, student: str) -> bool:
    """True when ``student`` has a complete result in ``out``."""
    return (out / student / RESULT).is_file()


def read_result(out: Path, student: str) -> dict[str, Any] | None:
    try:
        return json.loads((out / student / RESULT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def run_batch(
    folder: Path,
    out: Path,
    grade: GradeFn,
    *,
    workers: int = 1,
    resume: bool = False,
    regrade: bool = False,
    on_start: Callable[[int, int], None] | None = None,
    on_done: Callable[[str, dict[str, Any], Counter], None] | None = None,
    title: str = "",
    max_score: float | None = None,
    executor: Executor | None = None,
) -> BatchSummary:
    """Grade every submission in ``folder`` into ``out``, on ``executor`` (default: a local pool
    of ``workers`` at once).

    ``grade(path, out_dir)`` grades one submission into ``out_dir`` and returns its result; it
    runs wherever the executor places it (a thread here, a Ray node), on a copy of the
    submission, and only the finished result comes back to be stored here — exactly once per
    student, whatever was retried on the way. A submission that crashes the grading itself gets
    status "error"; no single submission stops the others. Without ``resume`` or ``regrade``, an
    ``out`` that already holds results is refused (nothing is overwritten by accident).
    """
    if resume and regrade:
        raise BatchError("--resume and --regrade exclude each other")
    if workers < 1:
        raise BatchError(f"--workers: expected at least 1, got {workers}")
    subs = discover(folder)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(out / STAGING, ignore_errors=True)  # leftovers of an interrupted batch
    done = [s for s in subs if finished(out, s.student)]
    if done and not (resume or regrade):
        raise BatchError(
            f"{out}: already holds results for {len(done)} of {len(subs)} students; "
            "pass --resume to keep them and grade the rest, or --regrade to grade all again"
        )
    todo = subs if regrade else [s for s in subs if not finished(out, s.student)]
    counts: Counter = Counter()
    for s in subs:
        if s not in todo:
            counts[str((read_result(out, s.student) or {}).get("status", "error"))] += 1

    if on_start is not None:
        on_start(len(subs), len(subs) - len(todo))
    start = time.monotonic()
    if executor is None:
        from convgrade.grader.executors.local import LocalExecutor

        executor, owned = LocalExecutor(workers), True
    else:
        owned = False
    futures: dict[Future, Submission] = {}
    try:
        for s in todo:
            futures[_submit(executor, grade, s)] = s
        pending = set(futures)
        while pending:
            finished_now, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished_now:
                sub = futures[fut]
                result = _store(sub, out, _outcome(sub, fut))
                counts[str(result.get("status", "error"))] += 1
                if on_done is not None:
                    on_done(sub.student, result, counts)
    except BaseException:
        # results of runs cut short by the interruption are not kept: --resume grades them
        executor.shutdown(wait=False)
        raise
    if owned:
        executor.shutdown()
    wall = time.monotonic() - start

    rows = [_row(s.student, read_result(out, s.student)) for s in subs]
    summary = BatchSummary(
        total=len(subs),
        graded=len(todo),
        skipped=len(subs) - len(todo),
        counts=dict(sorted(counts.items())),
        wall_s=wall,
        out=out,
        rows=rows,
    )
    with contextlib.suppress(OSError):
        (out / STAGING).rmdir()  # empty unless something could not be moved
    write_gradebooks(out, rows, title=title, max_score=max_score)
    _write_atomic(out / "summary.json", json.dumps(summary.to_dict(), indent=2) + "\n")
    return summary


#: what a grading job sends back: the result and the files it wrote (name -> bytes)
Graded = tuple[dict[str, Any], dict[str, bytes]]


def grade_copy(grade: GradeFn, student: str, name: str, source: bytes) -> Graded:
    """Grade a copy of ``student``'s submission file (``name``, ``source``) in fresh temporary
    folders (the copy lies in a folder named after the student).

    This is the job an executor runs, on this machine or another: it needs nothing of the
    batch's folders. Never raises for a submission's or the grader's failure (an "error"
    result names it).
    """
    with tempfile.TemporaryDirectory(prefix="convgrade-job-") as tmp:
        src, work = Path(tmp) / student, Path(tmp) / ".out"
        src.mkdir()
        work.mkdir()
        path = src / name
        path.write_bytes(source)
        files: dict[str, bytes] = {}
        try:
            result = grade(path, work)
            data = result.to_dict() if hasattr(result, "to_dict") else dict(result)
        except ConvgradeError as exc:
            data = _error_result(name, f"could not grade: {exc}")
        except Exception as exc:  # a grader bug must not stop the batch
            data = _error_result(name, f"internal error: {type(exc).__name__}: {exc}")
            files["error.log"] = traceback.format_exc().encode()
        for f in sorted(work.iterdir()):
            if f.is_file() and not f.is_symlink() and f.name != RESULT:
                files[f.name] = f.read_bytes()
        return data, files


def _submit(executor: Executor, grade: GradeFn, sub: Submission) -> Future:
    """Hand one student's submission to the executor (a read error is an immediate result)."""
    try:
        path = submission_file(sub.path)
        source = path.read_bytes()
    except (ConvgradeError, OSError) as exc:
        fut: Future = Future()
        fut.set_result((_error_result(sub.path.name, f"could not grade: {exc}"), {}))
        return fut
    return executor.submit(sub.student, grade_copy, grade, sub.student, path.name, source)


def _outcome(sub: Submission, fut: Future) -> Graded:
    """The job's result; an executor failure (lost node past its retries) is an error result."""
    try:
        return fut.result()
    except Exception as exc:
        return _error_result(sub.path.name, f"could not grade: {type(exc).__name__}: {exc}"), {}


def _store(sub: Submission, out: Path, graded: Graded) -> dict[str, Any]:
    """Write one student's result folder: staged, then renamed into place (never half-written)."""
    data, files = graded
    data["student"] = sub.student
    staging = out / STAGING
    staging.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{sub.student}-", dir=staging))
    try:
        for name, content in files.items():
            (work / Path(name).name).write_bytes(content)
        _write_atomic(work / RESULT, json.dumps(data, indent=2, default=str) + "\n")
        _move_into_place(work, out / sub.student, staging)
        return data
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _error_result(submission: str, message: str) -> dict[str, Any]:
    return {"status": "error", "message": message, "submission": submission, "score": 0.0}


def _move_into_place(src: Path, dest: Path, staging: Path) -> None:
    if dest.exists():
        old = Path(tempfile.mkdtemp(prefix="old-", dir=staging))
        os.replace(dest, old / "x")
        os.replace(src, dest)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(src, dest)


def _row(student: str, result: dict[str, Any] | None) -> dict[str, Any]:
    result = result or {"status": "error", "message": "no result"}
    ok = result.get("status") == "ok"
    return {
        "student": student,
        "status": result.get("status", "error"),
        "score": float(result.get("score") or 0.0) if ok else 0.0,
        "max_score": result.get("max_score"),
        "accuracy": result.get("accuracy"),
        "message": " ".join(str(result.get("message", "")).split())[:500],
        "backend": result.get("backend", ""),
        "wall_seconds": result.get("wall_seconds"),
    }


# --------------------------------------------------------------------------------------------
# Gradebooks (the formats live in convgrade.exercises.gradebook, shared with `grade check-all`)

RESULTS_COLUMNS = [
    "student",
    "status",
    "score",
    "max_score",
    "accuracy",
    "message",
    "backend",
    "wall_seconds",
]


def gradebook_of(
    rows: list[dict[str, Any]], *, title: str = "", max_score: float | None = None
) -> Gradebook:
    """The batch as a :class:`~convgrade.exercises.gradebook.Gradebook`: only ``ok`` results
    earn points; any other status gets 0 and its message in the feedback."""
    if max_score is None:
        max_score = next((r["max_score"] for r in rows if r.get("max_score") is not None), None)
    entries = [
        Entry(
            student=row["student"],
            points=float(row["score"] or 0.0),
            status=str(row["status"]),
            message=(
                f"{points_text(row['score'])}/{points_text(max_score)} points"
                if row["status"] == "ok"
                else str(row.get("message", ""))
            ),
        )
        for row in rows
    ]
    return Gradebook(title or "Model assignment", max_score, entries)


def write_gradebooks(
    out: Path, rows: list[dict[str, Any]], *, title: str = "", max_score: float | None = None
) -> None:
    """Write the registered gradebooks (Canvas, Moodle, plain CSV) and results.csv, atomically."""
    write_gradebook(gradebook_of(rows, title=title, max_score=max_score), out)
    _write_atomic(
        out / "results.csv",
        csv_text(
            [
                RESULTS_COLUMNS,
                *([row.get(k) for k in RESULTS_COLUMNS] for row in rows),
            ]
        ),
    )
