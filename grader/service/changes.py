"""In-process change notices: the server's own writes wake the event streams waiting on them
and invalidate the cached status views.

Every state change the server makes to a submission (queued, claimed, a progress line, the
result, a regrade) ends, after its commit, with :meth:`Changes.job`; a change that can move
queue places (a claim, a regrade, crash recovery) also calls :meth:`Changes.queue`. A reader
takes a :meth:`Changes.stamp` *before* it reads the database: if the stamp is still current
afterwards, nothing it read has changed since. Writers in other processes are not seen here:
streams re-check the database every few seconds and cached views expire (see ``app.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import defaultdict


class Changes:
    """Version counters per submission and for the queue's order, and the streams waiting."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[int, int] = defaultdict(int)
        self._queue = 0
        #: job id -> (loop, event, also woken by queue moves) of each waiting stream
        self._waiters: dict[int, set[tuple[asyncio.AbstractEventLoop, asyncio.Event, bool]]] = (
            defaultdict(set)
        )

    def stamp(self, job_id: int) -> tuple[int, int]:
        """(this submission's version, the queue's version), to compare later."""
        with self._lock:
            return self._jobs.get(job_id, 0), self._queue

    def job(self, *job_ids: int) -> None:
        """These submissions changed (call after the commit)."""
        with self._lock:
            for j in job_ids:
                self._jobs[j] += 1
            woken = [w for j in job_ids for w in self._waiters.get(j, ())]
        _wake(woken)

    def queue(self) -> None:
        """Queue places may have moved (call after the commit)."""
        with self._lock:
            self._queue += 1
            woken = [w for ws in self._waiters.values() for w in ws if w[2]]
        _wake(woken)

    async def wait(
        self, job_id: int, since: tuple[int, int], timeout: float, queued: bool = True
    ) -> bool:
        """Wait until ``job_id`` changes after ``since`` (a stamp), or the queue does when
        ``queued`` (the job waits for its turn); False when ``timeout`` seconds passed first."""
        waiter = (asyncio.get_running_loop(), asyncio.Event(), queued)
        with self._lock:
            if self._jobs.get(job_id, 0) != since[0] or (queued and self._queue != since[1]):
                return True
            self._waiters[job_id].add(waiter)
        try:
            await asyncio.wait_for(waiter[1].wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False
        finally:
            with self._lock:
                ws = self._waiters.get(job_id)
                if ws is not None:
                    ws.discard(waiter)
                    if not ws:
                        del self._waiters[job_id]


def _wake(waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event, bool]]) -> None:
    for loop, event, _ in waiters:
        with contextlib.suppress(RuntimeError):  # that stream's loop has closed
            loop.call_soon_threadsafe(event.set)
