"""How one isolated run ended: the :class:`RunOutcome` and the classification of its end."""

from __future__ import annotations

import signal
from dataclasses import dataclass

from convgrade.grader.limits import Limits, format_size

#: a run printing more than this many times ``max_output_bytes`` is stopped ("output-limit").
OUTPUT_FLOOD_FACTOR = 16
#: the work folder may grow by at most this many times ``max_file_bytes`` in all.
DISK_FACTOR = 4
#: ... and hold at most this many new files and folders.
MAX_NEW_ENTRIES = 100_000

STATUS_MESSAGES = {
    "ok": "",
    "exit": "exited with status {code}",
    "timeout": "time limit exceeded ({limit:g} s)",
    "memory": "memory limit exceeded",
    "process-limit": "process/thread limit exceeded",
    "file-limit": "file size limit exceeded",
    "output-limit": "output limit exceeded",
    "killed": "killed by signal {signal}",
}

# Markers a child leaves on stderr when an allocation or a fork failed because of our limits.
_MEMORY_MARKERS = (
    "MemoryError",
    "std::bad_alloc",
    "Unable to allocate",
    "Cannot allocate memory",
    "ResourceExhaustedError",
    "failed to allocate",
    "out of memory",
)
_PROCESS_MARKERS = (
    "can't start new thread",
    "Resource temporarily unavailable",
    "pthread_create failed",
    "Thread creation via pthread_create() failed",
)
_FILE_MARKERS = ("File too large", "SIGXFSZ")


class BackendUnavailable(RuntimeError):
    """The requested isolation backend cannot run here (message says why)."""


@dataclass
class RunOutcome:
    """What happened to one isolated run. Nothing in it comes from the child's own claims."""

    returncode: int | None
    status: str
    stdout: str
    stderr: str
    output_truncated: bool
    wall_s: float
    backend: str
    message: str = ""
    peak_rss_bytes: int = 0

    def to_dict(self) -> dict:
        """JSON-friendly summary (without the captured output)."""
        return {
            "returncode": self.returncode,
            "status": self.status,
            "message": self.message,
            "output_truncated": self.output_truncated,
            "wall_s": round(self.wall_s, 3),
            "backend": self.backend,
            "peak_rss_bytes": self.peak_rss_bytes,
        }


def classify(
    code: int | None, reason: str | None, stderr: str, limits: Limits, peak: int
) -> tuple[str, str]:
    """Status and message from how the run ended (never from what the child claims on stdout)."""
    tail = stderr[-20000:]
    memory = STATUS_MESSAGES["memory"] + f" ({format_size(limits.memory_bytes)})"
    processes = STATUS_MESSAGES["process-limit"] + f" ({limits.max_processes} processes/threads)"
    if reason == "timeout" and not _has(tail, _PROCESS_MARKERS):
        return "timeout", STATUS_MESSAGES["timeout"].format(limit=limits.wall_time_s)
    if reason == "memory":
        return "memory", memory
    if reason == "disk":
        return "file-limit", STATUS_MESSAGES["file-limit"] + (
            f" (the work folder grew by more than "
            f"{format_size(DISK_FACTOR * limits.max_file_bytes)} or "
            f"{MAX_NEW_ENTRIES:,} files)"
        )
    if reason == "process-limit":
        return "process-limit", processes
    if reason == "output-limit":
        return "output-limit", STATUS_MESSAGES["output-limit"] + (
            f" (more than {format_size(limits.max_output_bytes * OUTPUT_FLOOD_FACTOR)} printed)"
        )
    if code == 0 and reason is None:
        return "ok", ""
    if (code is not None and -code == signal.SIGXFSZ) or _has(tail, _FILE_MARKERS):
        return "file-limit", STATUS_MESSAGES["file-limit"] + (
            f" ({format_size(limits.max_file_bytes)} per file)"
        )
    oom_kill = code is not None and -code == signal.SIGKILL and peak > 0.8 * limits.memory_bytes
    if _has(tail, _MEMORY_MARKERS) or oom_kill:
        # RLIMIT_AS makes allocations fail (MemoryError, bad_alloc); a kill -9 we did not send,
        # near the limit, is the kernel's OOM killer.
        return "memory", memory
    if _has(tail, _PROCESS_MARKERS):
        return "process-limit", processes
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return "killed", STATUS_MESSAGES["killed"].format(signal=name)
    return "exit", STATUS_MESSAGES["exit"].format(code=code)


def _has(text: str, markers: tuple[str, ...]) -> bool:
    return any(m in text for m in markers)
