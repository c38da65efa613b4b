"""Supervising one run: output read live (without ever blocking on a pipe a stray process keeps
open), the work folder's growth, memory, the clock; then the outcome."""

from __future__ import annotations

import contextlib
import os
import selectors
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from convgrade.grader.isolation.files import walk
from convgrade.grader.isolation.outcome import (
    DISK_FACTOR,
    MAX_NEW_ENTRIES,
    OUTPUT_FLOOD_FACTOR,
    RunOutcome,
    classify,
)
from convgrade.grader.isolation.processes import Members, pss, track, untrack
from convgrade.grader.limits import Limits

#: longest line handed to ``on_line`` / kept; longer lines are cut.
MAX_LINE_BYTES = 64 * 1024
#: how often the parent checks memory use and the clock.
POLL_S = 0.1
#: after the run ended (and everything of it was killed), how long output is still drained.
DRAIN_S = 1.0


class Budget:
    """The output kept from both streams together: at most ``keep`` bytes, all of it counted."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.kept = 0
        self.seen = 0
        self.truncated = False

    def take(self, n: int) -> bool:
        """Count ``n`` bytes; True when they fit in what is kept."""
        self.seen += n
        if self.kept + n <= self.keep:
            self.kept += n
            return True
        self.truncated = True
        return False


class Capture:
    """Splits one stream into lines as bytes arrive; keeps what the budget allows."""

    def __init__(self, budget: Budget, on_line: Callable[[str], None] | None) -> None:
        self.budget = budget
        self.on_line = on_line
        self.kept: list[bytes] = []
        self.partial = b""

    def feed(self, data: bytes) -> None:
        """Take the next chunk of the stream (b"" at its end)."""
        if not data:
            if self.partial:
                self._line(self.partial)
                self.partial = b""
            return
        self.partial += data
        while True:
            cut = self.partial.find(b"\n", 0, MAX_LINE_BYTES)
            if cut < 0 and len(self.partial) < MAX_LINE_BYTES:
                return
            end = cut + 1 if cut >= 0 else MAX_LINE_BYTES
            line, self.partial = self.partial[:end], self.partial[end:]
            self._line(line)

    def _line(self, line: bytes) -> None:
        if self.budget.take(len(line)):
            self.kept.append(line)
        if self.on_line is not None:
            # a progress callback must never break the run
            with contextlib.suppress(Exception):
                self.on_line(line.decode("utf-8", "replace").rstrip("\r\n"))

    def text(self) -> str:
        """What was kept."""
        return b"".join(self.kept).decode("utf-8", "replace")


class Pipes:
    """Non-blocking reads of the child's stdout and stderr from the supervising thread."""

    def __init__(self, proc: subprocess.Popen, out: Capture, err: Capture) -> None:
        self.sel = selectors.DefaultSelector()
        for pipe, capture in ((proc.stdout, out), (proc.stderr, err)):
            fd = pipe.fileno()
            os.set_blocking(fd, False)
            self.sel.register(fd, selectors.EVENT_READ, (pipe, capture))

    def pump(self, timeout: float) -> bool:
        """Read what is ready within ``timeout``; False once both streams ended."""
        if not self.sel.get_map():
            time.sleep(timeout)
            return False
        for key, _ in self.sel.select(timeout):
            pipe, capture = key.data
            try:
                data = os.read(key.fd, 1 << 16)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            capture.feed(data)
            if not data:
                self.sel.unregister(key.fd)
                pipe.close()
        return bool(self.sel.get_map())

    def close(self) -> None:
        """Stop reading; pipes a stray process still holds are closed on our side."""
        for key in list(self.sel.get_map().values()):
            pipe, capture = key.data
            capture.feed(b"")
            self.sel.unregister(key.fd)
            with contextlib.suppress(OSError):
                pipe.close()
        self.sel.close()


class DiskWatch:
    """How much a run has added to its work folder (sizes and entries, never following links)."""

    def __init__(self, root: Path, limits: Limits) -> None:
        self.root = root
        self.allowed = DISK_FACTOR * limits.max_file_bytes
        self.base_bytes, self.base_entries = self._measure(MAX_NEW_ENTRIES * 10)

    def _measure(self, cap: int) -> tuple[int, int]:
        """(bytes, entries) under the folder, by directory fd: depth and PATH_MAX hide nothing."""
        total = 0

        def add(dir_fd: int, entry: os.DirEntry) -> None:
            nonlocal total
            with contextlib.suppress(OSError):
                total += entry.stat(follow_symlinks=False).st_blocks * 512

        try:
            entries = walk(self.root, add, limit=cap, unlock=False)
        except OSError:
            entries = 0
        return total, entries

    def exceeded(self) -> bool:
        """True when the folder grew past the allowance."""
        used, entries = self._measure(self.base_entries + MAX_NEW_ENTRIES)
        return (
            used - self.base_bytes > self.allowed or entries - self.base_entries > MAX_NEW_ENTRIES
        )


def supervise(
    argv: list[str],
    *,
    workdir: Path,
    limits: Limits,
    backend: str,
    env: dict[str, str],
    on_line: Callable[[str], None] | None,
    uid: int | None,
    cgroups,
    pass_fds: tuple[int, ...] = (),
) -> RunOutcome:
    """Start ``argv`` in its own session and watch it until it ends or breaks a limit."""
    budget = Budget(limits.max_output_bytes)
    out, err = Capture(budget, on_line), Capture(budget, None)
    disk = DiskWatch(workdir, limits)
    start = time.monotonic()
    proc = subprocess.Popen(
        argv,
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        close_fds=True,
        pass_fds=pass_fds,
    )
    members = Members(proc.pid, uid, cgroups)
    track(members)
    pipes = Pipes(proc, out, err)
    try:
        reason, peak = _watch(proc, members, limits, budget, pipes, start, disk)
        wall = time.monotonic() - start
        # Everything of the run goes, whatever it inherited; then what is already in the pipes
        # is read for a moment, and a pipe a stray process still holds is simply abandoned.
        members.kill_all()
        deadline = time.monotonic() + DRAIN_S
        while time.monotonic() < deadline and pipes.pump(0.05):
            pass
    finally:
        pipes.close()
        untrack(members)
        if proc.poll() is None:
            members.kill_all()
            proc.wait()

    stdout, stderr = out.text(), err.text()
    if reason is None and cgroups.oom_killed():
        reason = "memory"
    if reason is None and disk.exceeded():  # grew between the last check and its end
        reason = "disk"
    if reason in (None, "timeout") and cgroups.pids_limit_hit():
        reason = "process-limit"  # even when the child caught the error and carried on
    status, message = classify(proc.returncode, reason, stderr, limits, peak)
    if budget.truncated:
        stderr += f"[output truncated: {budget.seen} bytes printed, {budget.kept} kept]\n"
    return RunOutcome(
        returncode=proc.returncode,
        status=status,
        stdout=stdout,
        stderr=stderr,
        output_truncated=budget.truncated,
        wall_s=wall,
        backend=backend,
        message=message,
        peak_rss_bytes=peak,
    )


def _watch(
    proc: subprocess.Popen,
    members: Members,
    limits: Limits,
    budget: Budget,
    pipes: Pipes,
    start: float,
    disk: DiskWatch,
) -> tuple[str | None, int]:
    """Enforce the limits while ``proc`` runs: (why it was stopped or None, peak memory)."""
    reason: str | None = None
    peak = 0
    flood = max(limits.max_output_bytes * OUTPUT_FLOOD_FACTOR, 64 * 1024)
    next_scan = next_disk = 0.0
    over = 0
    while proc.poll() is None:
        pipes.pump(POLL_S)
        now = time.monotonic()
        if now - start > limits.wall_time_s:
            reason = "timeout"
        elif budget.seen > flood:
            reason = "output-limit"
        elif now >= next_scan:
            procs = members.scan()
            used = sum(r for _, r in procs)
            if used > limits.memory_bytes:
                # RSS counts pages shared between forked processes once per process: confirm
                # with the proportional set size before calling it a memory overrun.
                used = pss(procs)
            peak = max(peak, used)
            over = over + 1 if used > limits.memory_bytes else 0
            # two scans in a row over the limit (not a transient reading), or the kernel's
            # OOM killer already struck inside the run's memory cgroup
            if over >= 2 or members.cgroups.oom_killed():
                reason = "memory"
            next_scan = now + 0.25
            if reason is None and now >= next_disk:
                if disk.exceeded():
                    reason = "disk"
                # every scan, unless walking the folder gets slow (many files)
                next_disk = now + max(0.25, 10 * (time.monotonic() - now))
        if reason:
            members.kill_all()
            proc.wait()
            break
    return reason, peak
