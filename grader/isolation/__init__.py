"""Run untrusted code (a student's submission inside the grader's worker) under resource limits.

Backends (one module each, registered in :data:`BACKENDS` by :func:`base.register`; a new one,
e.g. a container runtime, is one more module implementing :class:`base.Backend`):

``bwrap`` (:mod:`.backend_bwrap`)
    A bubblewrap sandbox: namespaces, no network, a minimal read-only view without the data
    sets and caches of the grader's environment, seccomp, an unprivileged user.
``subprocess`` (:mod:`.backend_subprocess`)
    A plain child process with rlimits. Weak isolation, used with a loud warning when bubblewrap
    is missing or broken; as root only under a dropped uid or with ``--unsafe-no-sandbox``.

Shared by both: rlimits (``RLIMIT_AS``, ``RLIMIT_NPROC``, ``RLIMIT_FSIZE``, no core files) and
``PR_SET_PDEATHSIG`` set by the bootstrap (:mod:`.boot`); a per-run unprivileged uid when the
grader is root (:mod:`.uids`); per-run ``pids``/``memory`` cgroups under the grader's own
(:mod:`.cgroups`); process scanning and tree kills on psutil (:mod:`.processes`); live output,
memory, clock and work-folder watching (:mod:`.watch`); outcome classification
(:mod:`.outcome`); and the work folder's life on the host: creation, hand-over, removal and
reading results back without following links (:mod:`.files`).
"""

from __future__ import annotations

from convgrade.grader.isolation import backend_bwrap, backend_subprocess  # noqa: F401 (register)
from convgrade.grader.isolation.base import BACKENDS, Backend, register
from convgrade.grader.isolation.files import (
    ResultFileError,
    clean_leftovers,
    make_workdir,
    read_result,
    regular_file,
    remove_tree,
)
from convgrade.grader.isolation.outcome import STATUS_MESSAGES, BackendUnavailable, RunOutcome
from convgrade.grader.isolation.processes import stop_all
from convgrade.grader.isolation.run import (
    UnsafeAsRoot,
    available_backends,
    check_not_unsafe,
    resolve_backend,
    run_isolated,
)
from convgrade.grader.limits import Limits, parse_seconds, parse_size

__all__ = [
    "BACKENDS",
    "Backend",
    "BackendUnavailable",
    "Limits",
    "ResultFileError",
    "RunOutcome",
    "STATUS_MESSAGES",
    "UnsafeAsRoot",
    "available_backends",
    "check_not_unsafe",
    "clean_leftovers",
    "make_workdir",
    "parse_seconds",
    "parse_size",
    "read_result",
    "regular_file",
    "register",
    "remove_tree",
    "resolve_backend",
    "run_isolated",
    "stop_all",
]
