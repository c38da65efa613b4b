"""Unprivileged uids for runs of a root grader: one per concurrent run, exclusive across graders."""

from __future__ import annotations

import fcntl
import os
import stat
import tempfile
import threading
from pathlib import Path

#: unprivileged uids used for runs when the grader is root: one per concurrent run.
SANDBOX_UID_BASE = 61000
SANDBOX_UID_COUNT = 1000


class UidPool:
    """Hands out one unprivileged uid per concurrent run (only used when we are root).

    A uid is held with an exclusive ``flock`` on a lock file, so concurrent grader processes
    (two batches, pytest-xdist workers) never share one: processes of one uid could signal each
    other, and the run's clean-up kills every process of its uid.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[int, int] = {}  # uid -> lock file descriptor
        self._offset = os.getpid() % SANDBOX_UID_COUNT

    @staticmethod
    def _lock_dir() -> Path:
        for candidate in (Path("/run/lock"), Path("/var/lock")):
            if candidate.is_dir() and os.access(candidate, os.W_OK):
                return candidate
        return Path(tempfile.gettempdir())

    def take(self) -> int:
        """A free uid, held until :meth:`give`."""
        with self._lock:
            folder = self._lock_dir()
            for i in range(SANDBOX_UID_COUNT):
                uid = SANDBOX_UID_BASE + (self._offset + i) % SANDBOX_UID_COUNT
                if uid in self._held:
                    continue
                try:
                    path = folder / f"convgrade-uid-{uid}.lock"
                    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
                except OSError:
                    continue
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    os.close(fd)
                    continue
                self._held[uid] = fd
                return uid
        raise RuntimeError("no free sandbox uid")

    def give(self, uid: int) -> None:
        """Release ``uid``."""
        with self._lock:
            fd = self._held.pop(uid, None)
        if fd is not None:
            os.close(fd)  # releases the flock


uids = UidPool()


def reachable_by_others(path: Path) -> str | None:
    """None when a user other than the owner can reach (and read) ``path``, else the blocker."""
    path = Path(os.path.realpath(path))
    for parent in reversed(path.parents):
        try:
            if not os.stat(parent).st_mode & stat.S_IXOTH:
                return str(parent)
        except OSError:
            return str(parent)
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return str(path)
    if not mode & stat.S_IROTH or (stat.S_ISDIR(mode) and not mode & stat.S_IXOTH):
        return str(path)
    return None
