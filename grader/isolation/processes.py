"""Finding, measuring and killing the processes of one run (on ``psutil``)."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time

import psutil
from convgrade.grader.isolation.cgroups import Cgroups


class Members:
    """The processes of one run: its private uid, its session and process group, its
    descendants and its cgroups' members."""

    def __init__(self, leader: int, uid: int | None, cgroups: Cgroups) -> None:
        self.leader = leader
        self.uid = uid
        self.cgroups = cgroups

    def scan(self) -> list[tuple[int, int]]:
        """[(pid, rss bytes)] of the run's processes (zombies excluded: nothing left to kill)."""
        me = os.getpid()
        grouped = set(self.cgroups.members())
        table: dict[int, tuple[int, int, int]] = {}  # pid -> (ppid, uid, rss)
        for proc in psutil.process_iter(["ppid", "uids", "memory_info", "status"]):
            info = proc.info
            if info["status"] in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD) or proc.pid == me:
                continue
            uids, mem = info["uids"], info["memory_info"]
            table[proc.pid] = (
                info["ppid"] or 0,
                uids.real if uids else -1,
                mem.rss if mem else 0,
            )
        found = []
        for pid, (ppid, uid, rss) in table.items():
            mine = pid == self.leader or pid in grouped
            mine = mine or (self.uid is not None and uid == self.uid) or self._same_session(pid)
            seen = 0
            while not mine and ppid > 1 and seen < 64:
                mine = ppid == self.leader
                ppid = table[ppid][0] if ppid in table else 0
                seen += 1
            if mine:
                found.append((pid, rss))
        return found

    def _same_session(self, pid: int) -> bool:
        try:
            return os.getsid(pid) == self.leader or os.getpgid(pid) == self.leader
        except OSError:
            return False

    def kill_all(self) -> None:
        """SIGKILL the process group, the cgroups and every member, until none is left."""
        for _ in range(50):
            with contextlib.suppress(OSError):
                os.killpg(self.leader, signal.SIGKILL)
            self.cgroups.kill()
            members = [pid for pid, _ in self.scan()]
            if not members:
                return
            for pid in members:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.02)


def pss(procs: list[tuple[int, int]]) -> int:
    """Summed proportional set size of ``procs`` [(pid, rss)]: shared pages are split between
    the processes sharing them. A process whose figure cannot be read counts with its RSS."""
    total = 0
    for pid, rss in procs:
        try:
            total += psutil.Process(pid).memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue  # exited meanwhile
        except (psutil.Error, AttributeError, OSError):
            total += rss
    return total


_live: set[Members] = set()
_live_lock = threading.Lock()


def track(members: Members) -> None:
    """Remember a run in progress (for :func:`stop_all`)."""
    with _live_lock:
        _live.add(members)


def untrack(members: Members) -> None:
    """Forget a finished run."""
    with _live_lock:
        _live.discard(members)


def stop_all() -> None:
    """Kill every run in progress (e.g. when a batch is interrupted)."""
    with _live_lock:
        runs = list(_live)
    for members in runs:
        members.kill_all()
