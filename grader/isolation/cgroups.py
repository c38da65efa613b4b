"""Per-run cgroups (best effort, root only): a hard cap on processes that also binds root, and a
memory cap the kernel enforces for the whole process tree.

Each run's group is made *under the grader's own cgroup* (read from ``/proc/self/cgroup``), so a
limit on the grader (a systemd slice, a container) still binds its runs, named
``convgrade/run-<grader pid>-<n>`` so that the groups of a killed grader can be found and removed
at the next start. cgroup v1 (``pids`` and ``memory`` hierarchies) and v2 (unified) are handled.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import threading
import time
from pathlib import Path

import psutil
from convgrade.grader.limits import Limits

CGROUP_ROOT = Path("/sys/fs/cgroup")
_counter = iter(range(10**9))
_lock = threading.Lock()
_RUN = re.compile(r"^run-(\d+)-\d+$")


def own_cgroups(root: Path = CGROUP_ROOT, self_file: str = "/proc/self/cgroup") -> dict[str, Path]:
    """{controller: the grader's own cgroup folder}; v2 under the key ``""``."""
    found: dict[str, Path] = {}
    try:
        lines = Path(self_file).read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        rel = path.lstrip("/")
        if controllers == "":
            if (root / "cgroup.controllers").exists():  # a pure v2 system
                found[""] = root / rel
            continue
        for controller in controllers.split(","):
            if controller in ("pids", "memory") and (root / controller / "cgroup.procs").exists():
                found[controller] = root / controller / rel
    return found


def _settings(controller: str, limits: Limits) -> dict[str, int]:
    if controller == "pids":
        # counts the run's helper processes (boot, bwrap) too, so it binds a little before
        # RLIMIT_NPROC does and its "max" event tells us the limit was reached
        return {"pids.max": limits.max_processes}
    if controller == "memory":
        return {"memory.limit_in_bytes": limits.memory_bytes}
    return {"pids.max": limits.max_processes, "memory.max": limits.memory_bytes}


class Cgroups:
    """One private cgroup per run in each available hierarchy (none unless we are root)."""

    def __init__(self, limits: Limits) -> None:
        self.dirs: list[Path] = []
        if os.geteuid() != 0:
            return
        with _lock:
            name = f"run-{os.getpid()}-{next(_counter)}"
        for controller, base in own_cgroups().items():
            try:
                parent = base / "convgrade"
                parent.mkdir(exist_ok=True)
                if controller == "":
                    with contextlib.suppress(OSError):
                        (parent / "cgroup.subtree_control").write_text("+pids +memory")
                group = parent / name
                group.mkdir(exist_ok=True)
                for key, value in _settings(controller, limits).items():
                    with contextlib.suppress(FileNotFoundError):
                        (group / key).write_text(str(value))
                if controller == "memory":
                    with contextlib.suppress(OSError):
                        (group / "memory.memsw.limit_in_bytes").write_text(str(limits.memory_bytes))
                self.dirs.append(group)
            except OSError:
                continue

    def procs_files(self) -> list[str]:
        """The ``cgroup.procs`` files a run's first process writes its pid into."""
        return [str(d / "cgroup.procs") for d in self.dirs]

    def members(self) -> list[int]:
        """Pids now in the run's groups."""
        return _members(self.dirs)

    def oom_killed(self) -> bool:
        """True when the kernel's OOM killer struck inside the run's memory group."""
        for d in self.dirs:
            for name, key in (("memory.oom_control", "oom_kill"), ("memory.events", "oom_kill")):
                if _event(d / name, key):
                    return True
        return False

    def pids_limit_hit(self) -> bool:
        """True when a fork or thread creation in the run failed on the pids limit."""
        return any(_event(d / "pids.events", "max") for d in self.dirs)

    def kill(self) -> None:
        """SIGKILL everything in the run's groups (``cgroup.kill`` on v2)."""
        for d in self.dirs:
            with contextlib.suppress(OSError):
                (d / "cgroup.kill").write_text("1")
        for pid in self.members():
            if pid != os.getpid():
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)

    def remove(self) -> None:
        """Kill what is left in the groups and remove them."""
        for d in self.dirs:
            _remove(d)


def _members(dirs: list[Path]) -> list[int]:
    pids: list[int] = []
    for d in dirs:
        with contextlib.suppress(OSError, ValueError):
            pids += [int(x) for x in (d / "cgroup.procs").read_text().split()]
    return pids


def _event(path: Path, key: str) -> bool:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in path.read_text().splitlines():
            if line.startswith(key + " ") and int(line.split()[1]) > 0:
                return True
    return False


def _remove(group: Path) -> bool:
    for _ in range(50):
        try:
            group.rmdir()
            return True
        except FileNotFoundError:
            return True
        except OSError:
            for pid in _members([group]):
                if pid != os.getpid():
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
            time.sleep(0.02)
    return False


def clean_leftovers(root: Path = CGROUP_ROOT) -> list[Path]:
    """Remove the per-run groups of graders that are gone (under our own cgroup, and at the top
    of each hierarchy where older versions made them). Returns the groups removed."""
    if os.geteuid() != 0:
        return []
    bases = set(own_cgroups(root).values())
    bases |= {root / c for c in ("pids", "memory")} | {root}
    removed = []
    for base in bases:
        folder = base / "convgrade"
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            match = _RUN.match(name)
            if match and not psutil.pid_exists(int(match.group(1))) and _remove(folder / name):
                removed.append(folder / name)
    return removed
