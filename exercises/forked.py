"""Run two parts of one job at once on two cores: a forked copy of this process takes one part
while this process does the other, both drawing shared work from one counter.

Used by ``check-all``: a process forked at the start imports matplotlib and later draws the
report's charts (:class:`Ahead`); both processes read and mark sheets, then each writes the
feedback files of the sheets it marked (:class:`Halves`). :func:`map_shared` and
:func:`alongside` are the same two steps for callers that mark and write separately. Where ``fork``
is not used (outside Linux, or one core), or the forked process fails for any reason, the
caller does everything itself: the outputs are the same either way. Unlike
:mod:`exercises.parallel` (static chunks, a failure raised), the work is handed out one item at a
time (the report makes one side's share uneven) and a failed helper's share is redone here;
whether to fork at all follows :func:`exercises.parallel.jobs`.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import pickle
import struct
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from . import parallel
from .collector import old_objects_frozen

T = TypeVar("T")

#: Below this many work items the fork costs more than it saves.
MIN_ITEMS = 16


def usable(items: int) -> bool:
    """Whether a second process is worth starting for ``items`` work items here."""
    return (
        items >= MIN_ITEMS
        and parallel.jobs() > 1  # CONVGRADE_JOBS, the CPUs, no fork where threads run
        and sys.platform == "linux"  # fork is unsafe with macOS system frameworks
        and "fork" in multiprocessing.get_all_start_methods()
    )


class Counter:
    """Hands out 0, 1, 2 ... across the two processes (each number once)."""

    def __init__(self, shared: bool) -> None:
        self._value = multiprocessing.get_context("fork").Value("l", 0) if shared else None
        self._local = itertools.count()

    def take(self) -> int:
        if self._value is None:
            return next(self._local)
        with self._value.get_lock():
            n = self._value.value
            self._value.value = n + 1
        return n


def alongside(child: Callable[[], None], parent: Callable[[], None]) -> bool:
    """Run ``child()`` in a forked process (:func:`exercises.parallel.fork`) while this process
    runs ``parent()``; wait for both. Returns whether the child finished without an error (if
    not, the caller redoes its part). An error in ``parent()`` is raised after the child has
    been stopped."""
    with old_objects_frozen():  # the child's collector leaves the shared objects' pages alone
        job = parallel.fork(child)
    try:
        parent()
    except BaseException:
        job.kill()
        raise
    try:
        job.result()
    except Exception:  # reported by the child (or it died): the caller does the work itself
        return False
    return True


def map_shared(func: Callable[[T], Any], items: Sequence[T]) -> list[Any]:
    """``[func(x) for x in items]``, computed by this process and a forked one together when
    :func:`usable` (each item once, drawn from a shared counter; the forked process sends its
    results back pickled). ``func`` must not raise, and must not depend on which process runs
    it; whatever the forked process did not deliver is computed here."""
    if not usable(len(items)):
        return [func(x) for x in items]
    counter = Counter(shared=True)
    done: dict[int, Any] = {}

    def work(into: dict[int, Any]) -> dict[int, Any]:
        while (i := counter.take()) < len(items):
            into[i] = func(items[i])
        return into

    with old_objects_frozen():  # the child's collector leaves the shared objects' pages alone
        job = parallel.fork(lambda: work({}))
    try:
        work(done)
    except BaseException:
        job.kill()
        raise
    # if the forked process failed, what it did not send is computed below
    with contextlib.suppress(Exception):
        done.update(job.result())
    return [done[i] if i in done else func(x) for i, x in enumerate(items)]


_UNSET = object()


class Ahead:
    """``func(arg)`` computed by a process forked before ``arg`` is known: it runs ``prepare()``
    at once (an import, on the other core while this process reads its input), then waits for
    :meth:`send`. :meth:`result` gives ``func(arg)``, computed here when no process was forked
    (:func:`usable`), or it failed. Leaving the ``with`` block stops a process not waited for.
    ``func`` and ``prepare`` must not depend on which process runs them."""

    def __init__(self, prepare: Callable[[], Any], func: Callable[[Any], T]) -> None:
        self._func, self._arg = func, _UNSET
        self._job: parallel.Forked | None = None
        self._write: int | None = None
        if not usable(MIN_ITEMS):
            return
        read, write = os.pipe()

        def task() -> T:
            os.close(write)  # only the parent writes: its exit ends the wait below
            with os.fdopen(read, "rb") as pipe:
                prepare()
                size = pipe.read(8)
                if len(size) < 8:  # the parent went away without sending
                    raise EOFError("nothing was sent")
                return func(pickle.loads(pipe.read(struct.unpack("<Q", size)[0])))

        self._job = parallel.fork(task)
        os.close(read)
        self._write = write

    def send(self, arg: Any) -> None:
        """Hand over ``func``'s argument (once); the forked process computes from it now."""
        self._arg = arg
        if self._write is None:
            return
        write, self._write = self._write, None
        try:
            data = pickle.dumps(arg, protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write, "wb") as pipe:
                pipe.write(struct.pack("<Q", len(data)) + data)
        except Exception:  # unpicklable, or the process is gone: computed here instead
            self.close()

    def result(self) -> T:
        """``func(arg)`` for the ``arg`` sent: from the forked process, else computed here."""
        if self._arg is _UNSET:
            raise RuntimeError("Ahead.result() before send()")
        job, self._job = self._job, None
        if job is not None:
            with contextlib.suppress(Exception):  # reported by the child (or it died)
                return job.result()
        return self._func(self._arg)

    def close(self) -> None:
        """Stop the forked process if it is still there (nothing more will be asked of it)."""
        if self._write is not None:
            os.close(self._write)
            self._write = None
        job, self._job = self._job, None
        if job is not None:
            job.kill()

    def __enter__(self) -> Ahead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _send(fd: int, value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    with os.fdopen(fd, "wb") as pipe:
        pipe.write(struct.pack("<Q", len(data)) + data)


def _receive(fd: int) -> Any:
    """One value :func:`_send` wrote; ``EOFError`` where the writer went away first."""
    with os.fdopen(fd, "rb") as pipe:
        size = pipe.read(8)
        if len(size) < 8:
            raise EOFError("the other process went away")
        data = pipe.read(struct.unpack("<Q", size)[0])
    return pickle.loads(data)


class Halves:
    """Two steps over ``items`` by this process and a forked one, each item's second step done
    by the process that did its first: ``first(item)`` for every item (drawn from a shared
    counter, as :func:`map_shared`), then, once this process has seen all first results and
    chosen the items that go on, ``second(arg, i, first_result)`` for each chosen ``i``.

    What the second step reads is then the forked process's own memory: objects shared with a
    forked process cost a copy-on-write fault for every page either process writes a reference
    count on, which is what a second fork for the second step spent most of its time on.
    Whatever the forked process does not deliver (it failed, or was not started: :func:`usable`)
    is done here. ``first`` and ``second`` must not raise, and must not depend on which process
    runs them. Use as a context manager: leaving it stops a forked process still running."""

    def __init__(
        self,
        first: Callable[[T], Any],
        items: Sequence[T],
        second: Callable[[Any, int, Any], None],
    ) -> None:
        self._first, self._items, self._second = first, items, second
        self._results: dict[int, Any] = {}
        self._theirs: set[int] = set()  # the items whose second step the forked process does
        self._job: parallel.Forked | None = None
        self._from_child = self._to_child = -1
        if not usable(len(items)):
            return
        counter = Counter(shared=True)
        up_read, up_write = os.pipe()  # the forked process's first results
        down_read, down_write = os.pipe()  # this process's choice, for the second step

        def forked_part() -> int:
            os.close(up_read)
            os.close(down_write)
            own = self._take(counter)
            _send(up_write, own)
            arg, chosen = _receive(down_read)
            for i in sorted(chosen & own.keys()):
                second(arg, i, own[i])
            return len(own)

        self._job = parallel.fork(forked_part)
        os.close(up_write)
        os.close(down_read)
        self._from_child, self._to_child = up_read, down_write
        self._counter = counter

    def _take(self, counter: Counter) -> dict[int, Any]:
        done = {}
        while (i := counter.take()) < len(self._items):
            done[i] = self._first(self._items[i])
        return done

    def first_results(self) -> list[Any]:
        """``first(item)`` for every item, in order."""
        if self._job is None:
            self._results = {i: self._first(x) for i, x in enumerate(self._items)}
            return list(self._results.values())
        self._results = self._take(self._counter)
        fd, self._from_child = self._from_child, -1
        try:
            theirs = _receive(fd)
        except Exception:  # the forked process failed: its items are done here
            self.close()
            theirs = {}
        self._theirs = set(theirs)
        self._results.update(theirs)
        return [
            self._results[i] if i in self._results else self._first(x)
            for i, x in enumerate(self._items)
        ]

    def second_steps(self, arg: Any, chosen: set[int], alongside: Callable[[], None]) -> None:
        """``second(arg, i, ...)`` for every ``i`` in ``chosen`` (after :meth:`first_results`),
        this process's share here while the forked process does its own; ``alongside()`` runs
        here first."""
        mine = set(chosen)
        if self._job is not None:
            fd, self._to_child = self._to_child, -1
            try:
                _send(fd, (arg, set(chosen)))
                mine -= self._theirs
            except Exception:  # the forked process is gone: everything here
                self.close()
        alongside()
        for i in sorted(mine):
            self._second(arg, i, self._results[i])
        job, self._job = self._job, None
        if job is not None:
            try:
                job.result()
            except Exception:  # reported by the child (or it died): its share is redone here
                for i in sorted(set(chosen) & self._theirs):
                    self._second(arg, i, self._results[i])

    def close(self) -> None:
        """Stop the forked process if it is still there."""
        for name in ("_from_child", "_to_child"):
            fd = getattr(self, name)
            if fd >= 0:
                os.close(fd)
                setattr(self, name, -1)
        job, self._job = self._job, None
        if job is not None:
            job.kill()

    def __enter__(self) -> Halves:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
