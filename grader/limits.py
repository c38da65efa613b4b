"""Resource limits for one isolated run, and parsing of the sizes and durations users type.

Kept free of heavy imports: the CLI parses ``--memory-limit 2G`` without loading the grader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from convgrade.exercises.errors import ParamError

_UNITS = {
    "": 1,
    "b": 1,
    "k": 2**10,
    "kb": 10**3,
    "kib": 2**10,
    "m": 2**20,
    "mb": 10**6,
    "mib": 2**20,
    "g": 2**30,
    "gb": 10**9,
    "gib": 2**30,
    "t": 2**40,
    "tb": 10**12,
    "tib": 2**40,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


def parse_size(text: str | int, *, name: str = "size") -> int:
    """Bytes in ``text``: ``"512M"``, ``"2G"``, ``"1.5GiB"``, ``"100000"``.

    Single letters and ``KiB``/``MiB``/``GiB`` are binary (``2G`` = 2·2³⁰); ``KB``/``MB``/``GB``
    are decimal. Raises :class:`ParamError` naming ``name`` for anything else.

    >>> parse_size("2G"), parse_size("512m"), parse_size("1.5KB")
    (2147483648, 536870912, 1500)
    """
    if isinstance(text, int) and not isinstance(text, bool):
        value, unit = float(text), ""
    else:
        match = _SIZE.match(str(text))
        if not match or match.group(2).lower() not in _UNITS:
            raise ParamError(name, "a size such as 512M, 2G or 1048576 (bytes)", text)
        value, unit = float(match.group(1)), match.group(2).lower()
    size = int(value * _UNITS[unit])
    if size <= 0:
        raise ParamError(name, "a positive size", text)
    return size


def parse_seconds(text: str | float, *, name: str = "time limit") -> float:
    """Seconds in ``text``: ``"90"``, ``"1.5"``, ``"90s"``, ``"2m"``, ``"1h"``."""
    match = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|)\s*$", str(text).lower())
    if not match:
        raise ParamError(name, "seconds such as 90, 90s, 2m or 1h", text)
    value = float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]
    if value <= 0:
        raise ParamError(name, "a positive duration", text)
    return value


def format_size(n: int) -> str:
    """``2147483648`` -> ``"2.0 GiB"`` (for messages)."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover


#: ``grade serve --worker-nice`` by default: the web layer (at 0) is served before the grading.
SERVICE_NICE = 10


@dataclass(frozen=True)
class Limits:
    """What one submission may use. Threads count as processes on Linux (RLIMIT_NPROC)."""

    wall_time_s: float = 600
    memory_bytes: int = 4 * 2**30
    max_processes: int = 256
    max_file_bytes: int = 256 * 2**20
    max_output_bytes: int = 1 * 2**20
    #: CPU priority of the run (``nice``, 0-19; higher yields more): the course service grades
    #: at :data:`SERVICE_NICE` so that its web layer stays responsive while workers train.
    nice: int = 0

    def __post_init__(self) -> None:
        for field in ("wall_time_s", "memory_bytes", "max_processes", "max_file_bytes"):
            if not getattr(self, field) > 0:
                raise ParamError(field, "a positive limit", getattr(self, field))
        if self.max_output_bytes < 0:
            raise ParamError("max_output_bytes", "a limit >= 0", self.max_output_bytes)
        if not 0 <= self.nice <= 19:
            raise ParamError("nice", "a priority from 0 to 19", self.nice)

    def tightened(
        self, wall_time_s: float | None = None, memory_bytes: int | None = None
    ) -> Limits:
        """These limits with a smaller wall time and/or memory; a larger value never loosens."""
        changes: dict[str, float | int] = {}
        if wall_time_s is not None:
            changes["wall_time_s"] = min(self.wall_time_s, float(wall_time_s))
        if memory_bytes is not None:
            changes["memory_bytes"] = min(self.memory_bytes, int(memory_bytes))
        return replace(self, **changes)

    def to_dict(self) -> dict[str, float | int]:
        """JSON-friendly form (for result.json)."""
        return {
            "wall_time_s": self.wall_time_s,
            "memory_bytes": self.memory_bytes,
            "max_processes": self.max_processes,
            "max_file_bytes": self.max_file_bytes,
            "max_output_bytes": self.max_output_bytes,
        }
