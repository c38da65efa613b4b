"""Fork-based parallelism for the build's big independent steps (generation, LMS writers).

:func:`run` runs a few callables at once: the first in this process, the others in forked
children that send their results back pickled through a pipe. Forking shares everything already
loaded (modules, compiled templates, generated exercises) at no cost, so closures work and no
worker pool has to start. Where ``os.fork`` is missing, with one CPU, with ``CONVGRADE_JOBS=1``,
or in a process with threads (a server; unless ``CONVGRADE_JOBS`` says otherwise), everything
runs here, in order: results never depend on the split.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TypeVar

T = TypeVar("T")
JOBS_ENV = "CONVGRADE_JOBS"
#: True while :func:`run` runs tasks (here and in its children): no nested forks.
_busy = False


def jobs() -> int:
    """How many processes a step may use: ``$CONVGRADE_JOBS``, else the CPUs this process may
    run on (at most 4: the steps are split in as many chunks), else 1 in a process with threads
    (a server: a fork may copy a lock another thread holds)."""
    if _busy or not hasattr(os, "fork"):
        return 1
    text = os.environ.get(JOBS_ENV, "").strip()
    if text.isdigit() and int(text) >= 1:
        return int(text)
    if threading.active_count() > 1:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 4))


def split(items: Sequence[T], n: int) -> list[Sequence[T]]:
    """``items`` in ``n`` (or fewer) contiguous chunks of near-equal length, in order."""
    n = max(1, min(n, len(items)))
    size, extra = divmod(len(items), n)
    out, start = [], 0
    for i in range(n):
        end = start + size + (i < extra)
        out.append(items[start:end])
        start = end
    return out


class ChildError(RuntimeError):
    """A task failed in a child and its exception could not be sent back as it was."""


def run(tasks: Sequence[Callable[[], T]]) -> list[T]:
    """Each task's result, in order: the first task runs here, the others in forked children
    (all at once). A task's exception is raised here, the first one in task order."""
    global _busy
    if len(tasks) <= 1 or _busy or not hasattr(os, "fork"):
        return [task() for task in tasks]
    _busy = True
    try:
        return _run(tasks)
    finally:
        _busy = False


def _run(tasks: Sequence[Callable[[], T]]) -> list[T]:
    children = [fork(task) for task in tasks[1:]]
    results: list = []
    error: BaseException | None = None
    try:
        results.append(tasks[0]())
    except BaseException as exc:
        error = exc
    for child in children:
        try:
            value = child.result()
        except BaseException as exc:
            error = error or exc
            continue
        if error is None:
            results.append(value)
    if error is not None:
        raise error
    return results


class Forked:
    """A task running in a forked child (:func:`fork`); :meth:`result` waits for it."""

    def __init__(self, pid: int, read: int) -> None:
        self.pid, self._read = pid, read

    def result(self) -> object:
        """The task's return value, or its exception raised here."""
        with os.fdopen(self._read, "rb") as f:
            data = f.read()
        _, status = os.waitpid(self.pid, 0)
        if not data:
            raise ChildError(f"a build worker (pid {self.pid}) exited with status {status}")
        ok, value = pickle.loads(data)
        if not ok:
            raise value
        return value

    def kill(self) -> None:
        """Stop the child now and reap it (a caller that is failing anyway)."""
        with suppress(ProcessLookupError):  # already gone
            os.kill(self.pid, signal.SIGKILL)
        os.close(self._read)
        os.waitpid(self.pid, 0)


def fork(task: Callable[[], T]) -> Forked:
    """Run ``task`` in a forked child at once; its result comes back pickled through a pipe."""
    sys.stdout.flush()
    sys.stderr.flush()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        os.close(read)
        code = 0
        try:
            with os.fdopen(write, "wb") as out:
                try:
                    payload = (True, task())
                except BaseException as exc:  # sent back and raised in the parent
                    payload = (False, exc)
                try:
                    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
                except Exception:
                    text = "".join(traceback.format_exception(payload[1]))
                    data = pickle.dumps((False, ChildError(text)))
                out.write(data)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write)
    return Forked(pid, read)


def map_chunks(fn: Callable[[Sequence[T]], list], items: Sequence[T], n: int | None = None) -> list:
    """``fn`` over ``n`` contiguous chunks of ``items`` (see :func:`run`), results concatenated
    in order: the same list as ``fn(items)`` for an ``fn`` that maps item by item."""
    chunks = split(items, n or jobs())
    return [x for part in run([lambda c=c: fn(c) for c in chunks]) for x in part]


def map_followed(
    make: Callable[[Sequence[T]], list],
    items: Sequence[T],
    worth: bool,
    each: Callable[[Iterable, str], Iterable],
    label: str,
) -> list:
    """``make(items)``, in :func:`jobs` contiguous chunks made at once (see :func:`run`) when
    splitting is ``worth`` its fork, else here; results in order; a progress bar
    ``each(chunk, label)`` follows this process's chunk."""
    chunks = split(items, jobs() if worth else 1)
    first = lambda: make(list(each(chunks[0], label)))  # noqa: E731
    done = run([first, *(lambda c=c: make(c) for c in chunks[1:])])
    return [x for part in done for x in part]


def run_steps(steps: dict[str, tuple[float, Callable[[], T]]]) -> dict[str, tuple[T, float]]:
    """Named steps ``{name: (estimated cost, fn)}`` spread over :func:`jobs` processes (the
    costliest first, each to the least loaded process): ``{name: (result, seconds)}`` in the
    order of ``steps``."""
    n = min(jobs(), len(steps))
    groups: list[list[str]] = [[] for _ in range(n)]
    load = [0.0] * n
    for name in sorted(steps, key=lambda k: -steps[k][0]):
        i = load.index(min(load))
        groups[i].append(name)
        load[i] += steps[name][0]

    def group(names: list[str]) -> dict[str, tuple[T, float]]:
        out = {}
        for name in names:
            t = time.perf_counter()
            result = steps[name][1]()
            out[name] = (result, time.perf_counter() - t)
        return out

    groups = [g for g in groups if g]
    order = list(steps)
    done: dict[str, tuple[T, float]] = {}
    for part in run([lambda g=g: group(sorted(g, key=order.index)) for g in groups]):
        done.update(part)
    return {name: done[name] for name in steps}


@contextmanager
def no_gc() -> Iterator[None]:
    """The cyclic garbage collector off for a step that builds millions of long-lived objects
    and frees few (a build: collections rescanned every exercise again and again)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
