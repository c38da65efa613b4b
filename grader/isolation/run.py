"""``run_isolated``: one untrusted command, under the chosen backend, limits and a private uid."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

from convgrade.grader.isolation import files
from convgrade.grader.isolation.base import BACKENDS, Request
from convgrade.grader.isolation.cgroups import Cgroups
from convgrade.grader.isolation.outcome import BackendUnavailable, RunOutcome
from convgrade.grader.isolation.uids import reachable_by_others, uids
from convgrade.grader.isolation.watch import supervise
from convgrade.grader.limits import Limits

_warned: set[str] = set()


class UnsafeAsRoot(BackendUnavailable):
    """The subprocess backend would run a submission as root (message says what to do)."""


def available_backends() -> list[str]:
    """The backends that work on this machine, strongest first."""
    ranked = sorted(BACKENDS.values(), key=lambda b: -b.strength)
    return [b.name for b in ranked if b.problem() is None]


def resolve_backend(backend: str = "auto") -> str:
    """The concrete backend for ``backend``; "auto" picks the strongest that works, and warns
    loudly when that one is not a sandbox."""
    if backend == "auto":
        ranked = sorted(BACKENDS.values(), key=lambda b: -b.strength)
        problems = [f"{b.name}: {b.problem()}" for b in ranked if b.sandboxed and b.problem()]
        chosen = next(b for b in ranked if b.problem() is None)
        if not chosen.sandboxed:
            why = "; ".join(p.split(": ", 1)[1] for p in problems) or "no sandbox backend"
            _warn_once(
                "fallback",
                f"isolation is WEAK: {why}; running submissions as plain subprocesses with "
                "resource limits only (they can read files and use the network). "
                "Install bubblewrap for a real sandbox.",
            )
        return chosen.name
    if backend not in BACKENDS:
        raise BackendUnavailable(
            f"unknown isolation backend {backend!r}: expected one of auto, {', '.join(BACKENDS)}"
        )
    problem = BACKENDS[backend].problem()
    if problem is not None:
        raise BackendUnavailable(f"isolation backend {backend!r} is not available: {problem}")
    return backend


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        warnings.warn(message, RuntimeWarning, stacklevel=3)
        print(f"warning: {message}", file=sys.stderr, flush=True)


def root_blocker(
    backend: str, readonly: tuple[Path, ...] | list[Path] = (), workdir: Path | None = None
) -> str | None:
    """As root: the path that keeps ``backend`` from dropping to an unprivileged uid, else None."""
    if os.geteuid() != 0:
        return None
    needs = list(BACKENDS[backend].uid_must_reach())
    if needs:
        needs += [*readonly, *([workdir.parent] if workdir else [])]
    return next((b for b in map(reachable_by_others, needs) if b), None)


def check_not_unsafe(backend: str, unsafe_no_sandbox: bool = False) -> None:
    """Raise :class:`UnsafeAsRoot` when ``backend`` would run submissions as root.

    Call it before grading many submissions (``grade batch``) to fail once, up front.
    """
    backend = resolve_backend(backend)
    _refuse_as_root(backend, root_blocker(backend), unsafe_no_sandbox)


def _refuse_as_root(backend: str, blocked: str | None, unsafe_no_sandbox: bool) -> None:
    if blocked is None:
        return
    if unsafe_no_sandbox:
        _warn_once(
            "root",
            f"--unsafe-no-sandbox: running submissions AS ROOT with the {backend} backend "
            f"({blocked} is not reachable by an unprivileged user): they can read and change "
            "anything on this machine",
        )
        return
    raise UnsafeAsRoot(
        f"refusing to run submissions as root with the {backend} backend: the run cannot drop "
        f"to an unprivileged user because {blocked} is not reachable by other users. Install "
        "bubblewrap (apt install bubblewrap) for a sandbox, or make the Python environment "
        "reachable by other users (chmod o+x on its folders, o+r on its files, or a Python "
        "outside /root), or run grade as a normal user, or pass --unsafe-no-sandbox to run "
        "submissions as root anyway"
    )


def run_isolated(
    argv: list[str],
    *,
    workdir: Path,
    readonly: list[Path] | None = None,
    limits: Limits | None = None,
    backend: str = "auto",
    env: dict[str, str] | None = None,
    on_line: Callable[[str], None] | None = None,
    unsafe_no_sandbox: bool = False,
    devices: list[Path] | None = None,
) -> RunOutcome:
    """Run ``argv`` isolated, with ``workdir`` as its only writable place and current directory.

    ``readonly`` paths are visible read-only (bwrap binds them at the same path; the subprocess
    backend cannot hide anything). ``env`` is added to a minimal environment (the grader's own
    environment is not passed on). ``on_line`` receives each stdout line as it arrives. Raises
    :class:`BackendUnavailable` when ``backend`` cannot run here, and :class:`UnsafeAsRoot` when
    it would run ``argv`` as root without ``unsafe_no_sandbox``. ``devices`` are device nodes
    (a GPU's) the run may use; bwrap exposes exactly those.
    """
    limits = limits or Limits()
    readonly = [Path(p) for p in (readonly or [])]
    workdir = Path(workdir).resolve()
    if not workdir.is_dir():
        raise FileNotFoundError(f"workdir {workdir} is not a directory")
    chosen = resolve_backend(backend)
    files.clean_leftovers()

    uid = None
    if os.geteuid() == 0:
        blocked = root_blocker(chosen, readonly, workdir)
        if blocked is None:
            uid = uids.take()
        else:
            _refuse_as_root(chosen, blocked, unsafe_no_sandbox)

    child_env = base_env(workdir, chosen)
    child_env.update(env or {})
    cgroups = Cgroups(limits)
    launch = None
    try:
        request = Request(
            argv, workdir, readonly, limits, child_env, uid, cgroups, list(devices or [])
        )
        launch = BACKENDS[chosen].launch(request)
        for key, value in launch.env.items():  # the caller's values win, PYTHONPATH joins
            if key == "PYTHONPATH":
                child_env[key] = os.pathsep.join(filter(None, [value, child_env.get(key)]))
            else:
                child_env.setdefault(key, value)
        if uid is not None:
            files.give_tree(workdir, uid, uid)
        return supervise(
            launch.argv, workdir=workdir, limits=limits, backend=chosen, env=child_env,
            on_line=on_line, uid=uid, cgroups=cgroups, pass_fds=launch.pass_fds,
        )  # fmt: skip
    finally:
        if launch is not None:
            launch.close()
        cgroups.remove()
        if uid is not None:
            files.give_tree(workdir, os.geteuid(), os.getegid())
            uids.give(uid)


def base_env(workdir: Path, backend: str) -> dict[str, str]:
    """The whole environment a run starts from."""
    return {
        "PATH": os.path.dirname(sys.executable) + ":/usr/local/bin:/usr/bin:/bin",
        "HOME": str(workdir),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "PYTHONHASHSEED": "0",
        # glibc reserves 64 MiB of address space per thread arena; TF starts many threads.
        "MALLOC_ARENA_MAX": "2",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "CONVGRADE_ISOLATION": backend,
    }
