"""The ``bwrap`` backend: a bubblewrap sandbox.

New PID, network, IPC, UTS and cgroup namespaces (no network at all); a private root holding only
read-only system directories, the Python environment, the convgrade packages and the
``readonly`` paths, with the data sets and caches of :func:`views.data_paths` covered by empty
read-only folders; a private ``/tmp``; ``workdir`` bound read-write *at the same path*; an
unprivileged user; a seccomp filter (:mod:`.syscall_filter`: no new namespaces, no mounts,
ptrace, keyring, eBPF, ...); it dies with its parent. As a normal user bwrap itself makes a user
namespace and ``--disable-userns`` forbids further ones; as root no user namespace is made (the
bootstrap drops to the run's real uid) and the seccomp filter forbids making one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

from convgrade.grader.isolation import syscall_filter
from convgrade.grader.isolation.base import Backend, Launch, Request, register
from convgrade.grader.isolation.boot import boot_argv
from convgrade.grader.isolation.views import data_paths, python_paths, rlimits, source_packages
from convgrade.grader.limits import Limits

CODE_ROOT = Path("/opt/convgrade")


@register
class BwrapBackend(Backend):
    """bubblewrap: namespaces, a minimal read-only view, seccomp."""

    name = "bwrap"
    strength = 10
    sandboxed = True

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._problem: tuple[str | None] | None = None

    def problem(self) -> str | None:
        with self._lock:
            if self._problem is None:
                self._problem = (_probe(),)
            return self._problem[0]

    def uid_must_reach(self) -> list[Path]:
        return []  # bwrap binds the view as root; the uid only needs what is inside

    def launch(self, request: Request) -> Launch:
        seccomp = syscall_filter.filter_fd()
        args = sandbox_args(request.workdir, request.readonly, request.limits, request.devices)
        inner = boot_argv(
            rlimits=rlimits(request.limits),
            uid=request.uid,
            gid=request.uid,
            nice=request.limits.nice,
        )
        argv = [_exe(), *args, "--seccomp", str(seccomp), "--", *inner, *request.argv]
        if request.cgroups.dirs:  # join the cgroups before bwrap starts, outside the sandbox
            argv = [*boot_argv(cgroups=request.cgroups.procs_files()), *argv]
        return Launch(argv, pass_fds=(seccomp,), env={"PYTHONPATH": str(CODE_ROOT)})


def _exe() -> str:
    return shutil.which("bwrap") or "bwrap"


def _probe() -> str | None:
    exe = shutil.which("bwrap")
    if exe is None:
        return "bubblewrap (bwrap) is not installed"
    try:
        seccomp = syscall_filter.filter_fd()
    except (ImportError, OSError) as exc:
        return f"its seccomp filter cannot be built (libseccomp2 and pyseccomp needed): {exc}"
    argv = [exe, *namespace_args(), *system_args(), "--seccomp", str(seccomp), "--", "/bin/true"]
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=20, text=True, pass_fds=(seccomp,))
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap does not work here: {exc}"
    finally:
        os.close(seccomp)
    if proc.returncode != 0:
        err = proc.stderr.strip().splitlines()
        return f"bwrap does not work here: {err[-1] if err else proc.returncode}"
    return None


def namespace_args() -> list[str]:
    """Namespaces and process options."""
    args = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
    args += ["--unshare-cgroup-try", "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    if os.geteuid() == 0:
        # No user namespace: the bootstrap drops to a real unprivileged uid (so RLIMIT_NPROC
        # applies and files it writes are not root's); it needs these two capabilities for that.
        # The seccomp filter stops the run from making a user namespace of its own.
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        args += ["--unshare-user", "--disable-userns", "--uid", "65534", "--gid", "65534"]
    return args


def system_args() -> list[str]:
    """The read-only system part of the view."""
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for etc in (
        "/etc/ld.so.cache",
        "/etc/ld.so.conf",
        "/etc/ld.so.conf.d",
        "/etc/localtime",
        "/etc/passwd",
        "/etc/group",
        "/etc/nsswitch.conf",
        "/etc/fonts",
    ):
        args += ["--ro-bind-try", etc, etc]
    args += ["--proc", "/proc", "--dev", "/dev"]
    return args


def sandbox_args(
    workdir: Path, readonly: list[Path], limits: Limits, devices: list[Path] | None = None
) -> list[str]:
    """bwrap's arguments (without the command) for a run in ``workdir``; ``devices`` are the
    only host device nodes added to the sandbox's minimal /dev (a GPU job's)."""
    args = [*namespace_args(), *system_args()]
    for node in devices or []:
        args += ["--dev-bind-try", str(node), str(node)]
    # /tmp and /dev/shm live in memory: cap them at one file's worth.
    size = str(limits.max_file_bytes)
    for tmp in ("/tmp", "/dev/shm"):
        args += ["--perms", "1777", "--size", size, "--tmpfs", tmp]
    made: set[str] = {"/", "/usr", "/tmp", "/proc", "/dev", "/dev/shm"}

    def parents(target: Path) -> list[str]:
        out = []
        for parent in reversed(target.parents):
            p = str(parent)
            if p not in made:
                made.add(p)
                out += ["--perms", "0755", "--dir", p]
        return out

    binds: list[tuple[str, Path, Path]] = []
    for path in python_paths():
        if not str(path).startswith("/usr/"):
            binds.append(("--ro-bind", path, path))
    for source, target in source_packages():
        binds.append(("--ro-bind", source, CODE_ROOT / target))
    binds.append(("--bind", workdir, workdir))
    for path in readonly:  # after workdir, so a read-only folder inside it stays read-only
        path = Path(path).resolve()
        binds.append(("--ro-bind", path, path))
    for flag, source, target in binds:
        args += parents(target)
        args += [flag, str(source), str(target)]
        made.add(str(target))
    # Data sets and caches that the view would show: an empty read-only folder over each.
    visible = ["/usr", *(str(target) for _, _, target in binds)]
    asked = [str(workdir), *(str(Path(p).resolve()) for p in readonly)]  # these stay as asked
    for hidden in data_paths():
        h = str(hidden)
        if not any(_under(h, v) for v in visible):
            continue
        if any(_under(h, a) or _under(a, h) for a in asked):
            continue
        if os.path.isdir(hidden):
            args += ["--perms", "0555", "--tmpfs", h, "--remount-ro", h]
        else:
            args += ["--ro-bind", "/dev/null", h]
    args += ["--chdir", str(workdir)]
    return args


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")
