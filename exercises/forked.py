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
import fcntl
import itertools
import multiprocessing
import os
import pickle
import select
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


class _Stoppable:
    """A forked helper used as a context manager: leaving the block calls ``close()``."""

    def close(self) -> None:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def __enter__(self: T) -> T:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Ahead(_Stoppable):
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


#: a frame's head: the item's index (-1: the end) and the length of its pickled result
_FRAME = struct.Struct("<qQ")


class _Frames:
    """Reads the ``(index, result)`` frames a forked process streams, as they arrive."""

    def __init__(self, fd: int) -> None:
        self.fd, self.buf, self.ended = fd, bytearray(), False
        os.set_blocking(fd, False)

    def poll(self, into: dict[int, Any], wait: bool = False) -> None:
        """Add the complete frames that have arrived to ``into``; with ``wait``, until the end
        (``EOFError`` where the writer went away before it)."""
        while not self.ended:
            try:
                chunk = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                if not wait:
                    return
                select.select([self.fd], [], [])
                continue
            if not chunk:
                raise EOFError("the forked process went away")
            self.buf += chunk
            self._parse(into)

    def _parse(self, into: dict[int, Any]) -> None:
        head = _FRAME.size
        while len(self.buf) >= head:
            i, size = _FRAME.unpack_from(self.buf)
            if len(self.buf) < head + size:
                return
            if i < 0:
                self.ended = True
            else:
                into[i] = pickle.loads(memoryview(self.buf)[head : head + size])
            del self.buf[: head + size]


def _frame(i: int, value: Any = None) -> bytes:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return _FRAME.pack(i, len(data)) + data


class Halves(_Stoppable):
    """Two steps over ``items`` by this process and a forked one: ``first(item)`` for every
    item (drawn from a shared counter, as :func:`map_shared`; the forked process streams its
    results here as it goes), then, once this process has seen all first results and chosen the
    items that go on, ``second(arg, i, first_result)`` for each chosen ``i``: the forked process
    on the items it did first, from its own results, this process on its own and then on the
    forked process's last ones, from their copies (each item once, claimed in shared memory).

    Why not a second fork: objects shared with a forked process cost a copy-on-write fault for
    every page either process writes a reference count on (20-35 us each on a virtual machine),
    and a second step reads every first result. Whatever the forked process does not deliver
    (it failed, or was not started: :func:`usable`) is done here. ``first`` and ``second`` must
    not raise, and must not depend on which process runs them. Use as a context manager:
    leaving it stops a forked process still running."""

    def __init__(
        self,
        first: Callable[[T], Any],
        items: Sequence[T],
        second: Callable[[Any, int, Any], None],
    ) -> None:
        self._first, self._items, self._second = first, items, second
        self._results: dict[int, Any] = {}
        self._theirs: set[int] = set()  # the items the forked process did first
        self._job: parallel.Forked | None = None
        self._frames: _Frames | None = None
        self._to_child = -1
        if not usable(len(items)):
            return
        self._counter = Counter(shared=True)
        self._claimed = multiprocessing.get_context("fork").Array("b", len(items))
        up_read, up_write = os.pipe()  # the forked process's first results, item by item
        down_read, down_write = os.pipe()  # this process's choice, for the second step
        with contextlib.suppress(OSError):  # room for many results: the writer rarely waits
            fcntl.fcntl(up_write, fcntl.F_SETPIPE_SZ, 1 << 20)

        def forked_part() -> int:
            os.close(up_read)
            os.close(down_write)
            own: dict[int, Any] = {}
            with os.fdopen(up_write, "wb", buffering=0) as up:
                while (i := self._counter.take()) < len(items):
                    own[i] = first(items[i])
                    up.write(_frame(i, own[i]))
                up.write(_frame(-1))
            with os.fdopen(down_read, "rb") as down:
                arg, chosen = pickle.load(down)
            for i in sorted(chosen & own.keys()):
                if self._claim(i):
                    second(arg, i, own[i])
            return len(own)

        self._job = parallel.fork(forked_part)
        os.close(up_write)
        os.close(down_read)
        self._frames, self._to_child = _Frames(up_read), down_write

    def _claim(self, i: int) -> bool:
        with self._claimed.get_lock():
            if self._claimed[i]:
                return False
            self._claimed[i] = 1
            return True

    def first_results(self) -> list[Any]:
        """``first(item)`` for every item, in order."""
        if self._job is None or self._frames is None:
            self._results = {i: self._first(x) for i, x in enumerate(self._items)}
            return list(self._results.values())
        theirs: dict[int, Any] = {}
        while (i := self._counter.take()) < len(self._items):
            self._results[i] = self._first(self._items[i])
            self._frames.poll(theirs)  # read as they come: less to read at the end
        try:
            self._frames.poll(theirs, wait=True)
        except Exception:  # the forked process failed: what it did not send is done here
            self.close()
        self._close_frames()
        self._theirs = set(theirs)
        self._results.update(theirs)
        for i, x in enumerate(self._items):
            if i not in self._results:
                self._results[i] = self._first(x)
        return [self._results[i] for i in range(len(self._items))]

    def second_steps(self, arg: Any, chosen: set[int], alongside: Callable[[], None]) -> None:
        """``second(arg, i, ...)`` for every ``i`` in ``chosen`` (after :meth:`first_results`);
        ``alongside()`` runs here first, while the forked process starts on its own items."""
        chosen = set(chosen)
        theirs = chosen & self._theirs if self._job is not None else set()
        if self._job is not None:
            fd, self._to_child = self._to_child, -1
            try:
                with os.fdopen(fd, "wb") as down:
                    pickle.dump((arg, chosen), down, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # the forked process is gone: everything here
                self.close()
                theirs = set()
        alongside()
        for i in sorted(chosen - theirs):
            self._second(arg, i, self._results[i])
        for i in sorted(theirs, reverse=True):  # the forked process's last ones, unless taken
            if self._claim(i):
                self._second(arg, i, self._results[i])
        job, self._job = self._job, None
        if job is not None:
            try:
                job.result()
            except Exception:  # reported by the child (or it died): its share is redone here
                for i in sorted(theirs):
                    self._second(arg, i, self._results[i])

    def _close_frames(self) -> None:
        if self._frames is not None:
            os.close(self._frames.fd)
            self._frames = None

    def close(self) -> None:
        """Stop the forked process if it is still there."""
        self._close_frames()
        if self._to_child >= 0:
            os.close(self._to_child)
            self._to_child = -1
        job, self._job = self._job, None
        if job is not None:
            job.kill()
