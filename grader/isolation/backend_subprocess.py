"""The ``subprocess`` backend: a plain child in its own session with rlimits (and cgroups as root).

Weak isolation: it sees the whole file system and the network. Used when bubblewrap is missing or
broken, with a loud warning; as root it runs only under a dropped uid, or with the instructor's
explicit ``--unsafe-no-sandbox``. To survive ``os.kill(os.getppid(), 9)`` the child runs under a
small shim process, which is what the child sees as its parent.
"""

from __future__ import annotations

import sys
from pathlib import Path

from convgrade.grader.isolation.base import Backend, Launch, Request, register
from convgrade.grader.isolation.boot import boot_argv
from convgrade.grader.isolation.views import rlimits


@register
class SubprocessBackend(Backend):
    """A child process with resource limits, no file-system or network isolation."""

    name = "subprocess"
    strength = 0

    def problem(self) -> str | None:
        return None if sys.platform.startswith("linux") else "needs Linux"

    def launch(self, request: Request) -> Launch:
        import convgrade

        code_root = str(Path(convgrade.__file__).resolve().parent.parent)
        tmp = request.workdir / ".tmp"
        tmp.mkdir(exist_ok=True)
        env = {"PYTHONPATH": code_root, "TMPDIR": str(tmp)}
        uid = request.uid
        boot = boot_argv(
            rlimits=rlimits(request.limits),
            uid=uid,
            gid=uid,
            cgroups=request.cgroups.procs_files(),
            shim=True,
            nice=request.limits.nice,
        )
        return Launch([*boot, *request.argv], env=env)
