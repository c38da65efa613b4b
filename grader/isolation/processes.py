"""Finding, measuring and killing the processes of one run (/proc on Linux, else ``psutil``)."""

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
        grouped = set(self.cgroups.members())
        table = _table(self.uid is not None)
        found = []
        for pid, (ppid, pgrp, sid, uid, rss) in table.items():
            mine = pid == self.leader or pid in grouped or self.leader in (sid, pgrp)
            mine = mine or (self.uid is not None and uid == self.uid)
            seen = 0
            while not mine and ppid > 1 and seen < 64:
                mine = ppid == self.leader
                ppid = table[ppid][0] if ppid in table else 0
                seen += 1
            if mine:
                found.append((pid, rss))
        return found

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


#: pid -> (ppid, process group, session, real uid or -1, rss bytes)
Table = dict[int, tuple[int, int, int, int, int]]
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _table(uids: bool) -> Table:
    """Every live process but this one. On Linux one read of ``/proc/PID/stat`` each (plus
    ``status`` where ``uids``): the watchdog scans four times a second per running job, and
    psutil's three files, objects and two syscalls a process made that most of a server's CPU."""
    if not os.path.isdir("/proc/self"):
        return _table_psutil()
    me = os.getpid()
    table: Table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        row = _stat_row(int(name), uids)
        if row is not None:
            table[int(name)] = row
    return table


def _stat_row(pid: int, uids: bool) -> tuple[int, int, int, int, int] | None:
    """One process from ``/proc/PID/stat`` (fields after the command name, which may hold
    spaces and parentheses); None for a zombie or a process gone meanwhile."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        fields = stat[stat.rindex(b")") + 2 :].split()
        if fields[0] in (b"Z", b"X", b"x"):
            return None
        uid = -1
        if uids:
            with open(f"/proc/{pid}/status", "rb") as f:
                for line in f:
                    if line.startswith(b"Uid:"):
                        uid = int(line.split()[1])  # real uid
                        break
        # state ppid pgrp session ... rss (the 24th field of the whole line, in pages)
        return int(fields[1]), int(fields[2]), int(fields[3]), uid, int(fields[21]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


def _table_psutil() -> Table:
    me = os.getpid()
    table: Table = {}
    for proc in psutil.process_iter(["ppid", "uids", "memory_info", "status"]):
        info = proc.info
        if info["status"] in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD) or proc.pid == me:
            continue
        uids, mem = info["uids"], info["memory_info"]
        try:
            sid, pgrp = os.getsid(proc.pid), os.getpgid(proc.pid)
        except OSError:
            sid = pgrp = -1
        rss = mem.rss if mem else 0
        table[proc.pid] = (info["ppid"] or 0, pgrp, sid, uids.real if uids else -1, rss)
    return table


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
