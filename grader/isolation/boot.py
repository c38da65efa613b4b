"""The bootstrap: a tiny Python program (``-I -S``, no imports of ours) that runs *inside* the
child before the untrusted code: joins cgroups, sets rlimits, drops to the run's uid, re-arms
``PR_SET_PDEATHSIG`` and execs the command. Doing this here instead of in ``preexec_fn`` keeps
``run_isolated`` safe to call from many threads at once (preexec_fn is not thread-safe).
"""

from __future__ import annotations

import json
import sys

SOURCE = r"""
import json, os, resource, signal, sys
cfg = json.loads(sys.argv[1]); argv = sys.argv[2:]
for procs in cfg.get("cgroups", ()):
    with open(procs, "w") as fh:
        fh.write(str(os.getpid()))

def die_with_parent():
    # PR_SET_PDEATHSIG(SIGKILL): gone with the grader (or the shim); cleared by setuid, so it
    # is set again after dropping privileges
    parent = os.getppid()
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
    except Exception:
        return
    if os.getppid() != parent:
        os._exit(137)

die_with_parent()

if cfg.get("nice"):
    # lower priority for the whole run: the process's nice value, and its session's autogroup
    # (the kernel shares CPU between sessions first, so a nice value alone would not yield)
    os.nice(cfg["nice"])
    try:
        with open("/proc/self/autogroup", "w") as fh:
            fh.write(str(cfg["nice"]))
    except OSError:
        pass

def start():
    for name, value in cfg["rlimits"]:
        resource.setrlimit(getattr(resource, name), (value, value))
    if cfg["uid"] is not None:
        os.setgroups([]); os.setgid(cfg["gid"]); os.setuid(cfg["uid"])
    die_with_parent()
    if cfg["chdir"]:
        os.chdir(cfg["chdir"])
    for sig in (signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(sig, signal.SIG_DFL)
    try:
        os.execv(argv[0], argv)
    except OSError as exc:
        sys.stderr.write("isolation: cannot start %s: %s\n" % (argv[0], exc)); os._exit(127)

if not cfg["shim"]:
    start()
# The shim forks before any limit applies (RLIMIT_NPROC counts all of a user's processes), and
# waits: the child's parent is this shim, not the grader.
pid = os.fork()
if pid == 0:
    start()
while True:
    try:
        _, status = os.waitpid(pid, 0); break
    except ChildProcessError:
        os._exit(125)
    except InterruptedError:
        continue
if os.WIFSIGNALED(status):
    sig = os.WTERMSIG(status); signal.signal(sig, signal.SIG_DFL); os.kill(os.getpid(), sig)
os._exit(os.WEXITSTATUS(status))
"""


def boot_argv(
    *,
    rlimits: list[tuple[str, int]] = (),  # type: ignore[assignment]
    uid: int | None = None,
    gid: int | None = None,
    cgroups: list[str] = (),  # type: ignore[assignment]
    shim: bool = False,
    nice: int = 0,
) -> list[str]:
    """The command that prepares the process as configured, then execs what follows it."""
    cfg = {
        "rlimits": list(rlimits),
        "uid": uid,
        "gid": gid,
        "chdir": None,
        "shim": shim,
        "cgroups": list(cgroups),
        "nice": nice,
    }
    return [sys.executable, "-I", "-S", "-c", SOURCE, json.dumps(cfg)]
