"""The interface every isolation backend implements, and the one place backends register."""

from __future__ import annotations

import contextlib
import os
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

from convgrade.grader.isolation.cgroups import Cgroups
from convgrade.grader.limits import Limits


@dataclass
class Launch:
    """How to start one run: the full command, fds it inherits, fds to close afterwards."""

    argv: list[str]
    pass_fds: tuple[int, ...] = ()
    env: dict[str, str] = field(default_factory=dict)

    def close(self) -> None:
        """Close the fds the run inherited (the parent's copies)."""
        for fd in self.pass_fds:
            with contextlib.suppress(OSError):
                os.close(fd)


@dataclass
class Request:
    """What :func:`~convgrade.grader.isolation.run_isolated` was asked to run."""

    argv: list[str]
    workdir: Path
    readonly: list[Path]
    limits: Limits
    env: dict[str, str]
    uid: int | None
    cgroups: Cgroups
    #: device nodes to expose inside the sandbox (a GPU job's /dev/nvidia*); none by default
    devices: list[Path] = field(default_factory=list)


class Backend(ABC):
    """One way of isolating a run. Subclasses register with :func:`register`."""

    #: the name users pick (``--backend NAME``).
    name: str = ""
    #: higher is stronger; "auto" picks the strongest that works.
    strength: int = 0
    #: True when it hides the host's files and network (no warning needed).
    sandboxed: bool = False

    @abstractmethod
    def problem(self) -> str | None:
        """None when the backend can run here, else why not (cached by the implementation)."""

    def uid_must_reach(self) -> list[Path]:
        """Host paths a dropped uid must be able to read for the run to start: by default the
        interpreter and the convgrade packages; none when the backend prepares the view as root.
        Where one is out of reach, a root grader refuses to run (``--unsafe-no-sandbox``)."""
        from convgrade.grader.isolation.views import source_packages

        return [Path(sys.executable), *(source for source, _ in source_packages())]

    @abstractmethod
    def launch(self, request: Request) -> Launch:
        """The command (and inherited fds) that runs ``request`` under this backend."""


#: every backend, by name: the one registration point.
BACKENDS: dict[str, Backend] = {}


def register(backend: type[Backend]) -> type[Backend]:
    """Class decorator: make ``backend`` selectable by its name."""
    BACKENDS[backend.name] = backend()
    return backend
