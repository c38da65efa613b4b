"""Run untrusted code (a student's submission inside the grader's worker) under resource limits.

Two backends:

``bwrap``
    A bubblewrap sandbox: new PID, network, IPC and UTS namespaces (no network at all), a private
    root holding only read-only system directories, the Python environment, the convgrade packages
    and the ``readonly`` paths; a private ``/tmp``; ``workdir`` bound read-write *at the same path*
    (so the paths the worker is given work under both backends); an unprivileged user; it dies
    with its parent.
``subprocess``
    A plain child process in its own session with rlimits. Weak isolation: it sees the whole file
    system and the network. Used when bubblewrap is missing or broken, with a loud warning.

Both apply, inside the child, ``RLIMIT_AS`` (memory), ``RLIMIT_NPROC`` (processes and threads),
``RLIMIT_FSIZE`` (size of any file written), ``RLIMIT_CORE`` = 0, and ``PR_SET_PDEATHSIG`` (the
run dies with the grader). The parent enforces the wall time, sums the memory of the run's
processes (RSS, confirmed by PSS) and stops the run over the memory limit, stops a work folder
that grows past ``DISK_FACTOR`` file-size limits, and reads output live, line by line: at most
``max_output_bytes`` is kept; a run that floods more than ``OUTPUT_FLOOD_FACTOR`` times that is
stopped. As root, each run also gets its own ``pids`` and ``memory`` cgroup where they can be
made (cgroup v1 here), which bind root too.

When the grader runs as root, the child drops to a per-run unprivileged uid (``SANDBOX_UID_BASE``
+ slot): RLIMIT_NPROC does not apply to root, and a root child could kill the grader. With the
subprocess backend this needs the interpreter to be reachable by other users; when it is not
(e.g. a Python installed under ``/root``), the child keeps the grader's uid and a warning says so.
To survive ``os.kill(os.getppid(), 9)`` there, the subprocess backend runs the child under a
small shim process, which is what the child sees as its parent.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from convgrade.grader.limits import Limits, format_size, parse_seconds, parse_size

__all__ = [
    "Limits",
    "RunOutcome",
    "BackendUnavailable",
    "run_isolated",
    "available_backends",
    "resolve_backend",
    "parse_size",
    "parse_seconds",
    "BACKENDS",
    "stop_all",
]

BACKENDS = ("bwrap", "subprocess")
#: a run printing more than this many times ``max_output_bytes`` is stopped ("output-limit").
OUTPUT_FLOOD_FACTOR = 16
#: longest line handed to ``on_line`` / kept; longer lines are cut.
MAX_LINE_BYTES = 64 * 1024
#: unprivileged uids used for runs when the grader is root: one per concurrent run.
SANDBOX_UID_BASE = 61000
SANDBOX_UID_COUNT = 1000
#: the work folder may grow by at most this many times ``max_file_bytes`` in all.
DISK_FACTOR = 4
#: ... and hold at most this many new files and folders.
MAX_NEW_ENTRIES = 100_000
#: how often the parent checks memory use and the clock.
POLL_S = 0.1

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


# --------------------------------------------------------------------------------------------
# The bootstrap: a tiny Python program (-I -S, no imports of ours) that runs *inside* the
# child before the untrusted code. Doing this here instead of in ``preexec_fn`` keeps
# ``run_isolated`` safe to call from many threads at once (preexec_fn is not thread-safe).
_BOOT = r"""
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


# --------------------------------------------------------------------------------------------
# Backend discovery


_probe_lock = threading.Lock()
_probe_cache: dict[str, str | None] = {}
_warned: set[str] = set()


def _bwrap_problem() -> str | None:
    """None when bubblewrap can run a trivial sandbox here, else why not (cached)."""
    with _probe_lock:
        if "bwrap" in _probe_cache:
            return _probe_cache["bwrap"]
        exe = shutil.which("bwrap")
        if exe is None:
            problem: str | None = "bubblewrap (bwrap) is not installed"
        else:
            argv = [exe, *_bwrap_namespace_args(), *_bwrap_system_args(), "--", "/bin/true"]
            try:
                proc = subprocess.run(argv, capture_output=True, timeout=20, text=True)
                problem = None
                if proc.returncode != 0:
                    err = proc.stderr.strip().splitlines()
                    problem = f"bwrap does not work here: {err[-1] if err else proc.returncode}"
            except (OSError, subprocess.TimeoutExpired) as exc:
                problem = f"bwrap does not work here: {exc}"
        _probe_cache["bwrap"] = problem
        return problem


def available_backends() -> list[str]:
    """The backends that work on this machine, strongest first."""
    found = [] if _bwrap_problem() else ["bwrap"]
    if sys.platform.startswith("linux") or os.name == "posix":
        found.append("subprocess")
    return found


def resolve_backend(backend: str = "auto") -> str:
    """The concrete backend for ``backend``; "auto" picks bwrap when it works, else warns."""
    if backend == "auto":
        problem = _bwrap_problem()
        if problem is None:
            return "bwrap"
        _warn_once(
            "fallback",
            f"isolation is WEAK: {problem}; running submissions as plain subprocesses with "
            "resource limits only (they can read files and use the network). "
            "Install bubblewrap for a real sandbox.",
        )
        return "subprocess"
    if backend == "bwrap":
        problem = _bwrap_problem()
        if problem is not None:
            raise BackendUnavailable(f"isolation backend 'bwrap' is not available: {problem}")
        return "bwrap"
    if backend == "subprocess":
        return "subprocess"
    raise BackendUnavailable(
        f"unknown isolation backend {backend!r}: expected one of auto, {', '.join(BACKENDS)}"
    )


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        warnings.warn(message, RuntimeWarning, stacklevel=3)
        print(f"warning: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Unprivileged uids


class _UidPool:
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
        with self._lock:
            folder = self._lock_dir()
            for i in range(SANDBOX_UID_COUNT):
                uid = SANDBOX_UID_BASE + (self._offset + i) % SANDBOX_UID_COUNT
                if uid in self._held:
                    continue
                try:
                    path = folder / f"convgrade-uid-{uid}.lock"
                    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
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
        with self._lock:
            fd = self._held.pop(uid, None)
        if fd is not None:
            os.close(fd)  # releases the flock


_uids = _UidPool()


def _reachable_by_others(path: Path) -> str | None:
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


def _give_tree(root: Path, uid: int, gid: int, limit: int = 100_000) -> None:
    """chown ``root`` and what is under it, never following symlinks."""
    count = 0
    os.chown(root, uid, gid, follow_symlinks=False)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            count += 1
            if count > limit:
                return
            with contextlib.suppress(OSError):
                os.chown(os.path.join(dirpath, name), uid, gid, follow_symlinks=False)


# --------------------------------------------------------------------------------------------
# cgroups (best effort, root only): a hard cap on processes that also binds root, and a memory
# cap on resident memory that the kernel enforces for the whole process tree.

CGROUP_ROOT = Path("/sys/fs/cgroup")
_cg_counter = iter(range(10**9))
_cg_lock = threading.Lock()


class _Cgroups:
    """One private cgroup per run in the v1 ``pids``/``memory`` or the v2 unified hierarchy."""

    def __init__(self, limits: Limits) -> None:
        self.dirs: list[Path] = []
        if os.geteuid() != 0:
            return
        with _cg_lock:
            name = f"convgrade/run-{os.getpid()}-{next(_cg_counter)}"
        settings = {
            # counts the run's helper processes (boot, bwrap) too, so it binds a little before
            # RLIMIT_NPROC does and its "max" event tells us the limit was reached
            "pids": {"pids.max": limits.max_processes},
            "memory": {"memory.limit_in_bytes": limits.memory_bytes},
        }
        for controller, values in settings.items():
            base = CGROUP_ROOT / controller
            if not (base / "cgroup.procs").exists():
                continue
            try:
                group = base / name
                group.mkdir(parents=True, exist_ok=True)
                for key, value in values.items():
                    (group / key).write_text(str(value))
                if controller == "memory":
                    with contextlib.suppress(OSError):
                        (group / "memory.memsw.limit_in_bytes").write_text(str(value))
                self.dirs.append(group)
            except OSError:
                continue

    def procs_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs]

    def members(self) -> list[int]:
        pids: list[int] = []
        for d in self.dirs:
            with contextlib.suppress(OSError, ValueError):
                pids += [int(x) for x in (d / "cgroup.procs").read_text().split()]
        return pids

    def oom_killed(self) -> bool:
        for d in self.dirs:
            with contextlib.suppress(OSError, ValueError):
                for line in (d / "memory.oom_control").read_text().splitlines():
                    if line.startswith("oom_kill ") and int(line.split()[1]) > 0:
                        return True
        return False

    def pids_limit_hit(self) -> bool:
        """True when a fork or thread creation in the run failed on the pids limit."""
        for d in self.dirs:
            with contextlib.suppress(OSError, ValueError):
                for line in (d / "pids.events").read_text().splitlines():
                    if line.startswith("max ") and int(line.split()[1]) > 0:
                        return True
        return False

    def remove(self) -> None:
        for d in self.dirs:
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except OSError:
                    for pid in self.members():
                        with contextlib.suppress(OSError):
                            os.kill(pid, signal.SIGKILL)
                    time.sleep(0.02)


# --------------------------------------------------------------------------------------------
# bwrap arguments


def _bwrap_namespace_args() -> list[str]:
    args = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
    args += ["--unshare-cgroup-try", "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    if os.geteuid() == 0:
        # No user namespace: the bootstrap drops to a real unprivileged uid (so RLIMIT_NPROC
        # applies and files it writes are not root's); it needs these two capabilities for that.
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        args += ["--unshare-user", "--disable-userns", "--uid", "65534", "--gid", "65534"]
    return args


def _bwrap_system_args() -> list[str]:
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


def _source_packages() -> list[tuple[Path, str]]:
    """What of convgrade the worker imports: (source, path under the code root) pairs.

    The package root's ``__init__.py`` and its three library subpackages, wherever they live (an
    editable checkout maps them from the repository's top-level folders, a wheel nests them).
    Nothing else of the tree is bound; the CLI is not needed inside.
    """
    import convgrade
    from convgrade import exercises, grader, templates

    pairs = [(Path(convgrade.__file__).resolve(), "convgrade/__init__.py")]
    for package in (exercises, grader, templates):
        name = package.__name__.rsplit(".", 1)[-1]
        pairs.append((Path(package.__file__).resolve().parent, f"convgrade/{name}"))
    return pairs


def _python_paths() -> list[Path]:
    paths = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix)}
    paths.add(Path(os.path.realpath(sys.executable)).parent.parent)
    return sorted(p for p in paths if p.exists())


def _bwrap_argv(workdir: Path, readonly: list[Path], limits: Limits) -> tuple[list[str], str]:
    """bwrap's arguments and the in-sandbox PYTHONPATH for the convgrade packages."""
    args = ["bwrap", *_bwrap_namespace_args(), *_bwrap_system_args()]
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
    for path in _python_paths():
        if not str(path).startswith("/usr/"):
            binds.append(("--ro-bind", path, path))
    code_root = Path("/opt/convgrade")
    for source, target in _source_packages():
        binds.append(("--ro-bind", source, code_root / target))
    binds.append(("--bind", workdir, workdir))
    for path in readonly:  # after workdir, so a read-only folder inside it stays read-only
        path = Path(path).resolve()
        binds.append(("--ro-bind", path, path))
    for flag, source, target in binds:
        args += parents(target)
        args += [flag, str(source), str(target)]
        made.add(str(target))
    args += ["--chdir", str(workdir)]
    return args, str(code_root)


# --------------------------------------------------------------------------------------------
# Watching the processes of one run


def _proc_ids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _proc_fields(pid: int) -> tuple[int, int, int, int] | None:
    """(uid, session id, rss bytes, parent pid) of ``pid``, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
        fields = data[data.rindex(b")") + 2 :].split()
        if fields[0] in (b"Z", b"X"):  # dead, waiting to be reaped: nothing left to kill
            return None
        ppid, sid, rss_pages = int(fields[1]), int(fields[3]), int(fields[21])
        uid = os.stat(f"/proc/{pid}").st_uid
    except (OSError, ValueError, IndexError):
        return None
    return uid, sid, rss_pages * _PAGE, ppid


def _pss(procs: list[tuple[int, int]]) -> int:
    """Summed proportional set size of ``procs`` [(pid, rss)]: shared pages are split between
    the processes sharing them. A process whose figure cannot be read counts with its RSS."""
    total = 0
    for pid, rss in procs:
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
                for line in fh:
                    if line.startswith(b"Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except (FileNotFoundError, ProcessLookupError):
            continue  # exited meanwhile
        except (OSError, ValueError, IndexError):
            total += rss
    return total


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class _Members:
    """Finds the processes that belong to one run: by its private uid, else by its session."""

    def __init__(self, leader: int, uid: int | None, cgroups: _Cgroups) -> None:
        self.leader = leader
        self.uid = uid
        self.cgroups = cgroups

    def scan(self) -> list[tuple[int, int]]:
        """[(pid, rss bytes)] of the run's processes: its uid, its session, its descendants."""
        table = {}
        for pid in _proc_ids():
            fields = _proc_fields(pid)
            if fields is not None:
                table[pid] = fields
        found = []
        grouped = set(self.cgroups.members())
        for pid, (uid, sid, rss, ppid) in table.items():
            mine = (self.uid is not None and uid == self.uid) or sid == self.leader
            mine = mine or pid in grouped
            seen = 0
            while not mine and ppid > 1 and seen < 64:
                mine = ppid == self.leader
                ppid = table[ppid][3] if ppid in table else 0
                seen += 1
            if mine or pid == self.leader:
                found.append((pid, rss))
        return found

    def kill_all(self) -> None:
        """SIGKILL every process of the run, repeating until none is left (fork races)."""
        for _ in range(50):
            with contextlib.suppress(OSError):
                os.killpg(self.leader, signal.SIGKILL)
            members = [pid for pid, _ in self.scan() if pid != os.getpid()]
            if not members:
                return
            for pid in members:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.02)


class _DiskWatch:
    """How much a run has added to its work folder (sizes and entries, never following links)."""

    def __init__(self, root: Path, limits: Limits) -> None:
        self.root = root
        self.allowed = DISK_FACTOR * limits.max_file_bytes
        self.base_bytes, self.base_entries = self._measure(MAX_NEW_ENTRIES * 10)

    def _measure(self, cap: int) -> tuple[int, int]:
        total = entries = 0
        stack = [str(self.root)]
        while stack:
            try:
                with os.scandir(stack.pop()) as it:
                    for entry in it:
                        entries += 1
                        if entries > cap:
                            return total, entries
                        with contextlib.suppress(OSError):
                            st = entry.stat(follow_symlinks=False)
                            total += st.st_blocks * 512
                            if stat.S_ISDIR(st.st_mode):
                                stack.append(entry.path)
            except OSError:
                continue
        return total, entries

    def exceeded(self) -> bool:
        used, entries = self._measure(self.base_entries + MAX_NEW_ENTRIES)
        return (
            used - self.base_bytes > self.allowed or entries - self.base_entries > MAX_NEW_ENTRIES
        )


_live: set[_Members] = set()
_live_lock = threading.Lock()


def stop_all() -> None:
    """Kill every run in progress (e.g. when a batch is interrupted)."""
    with _live_lock:
        runs = list(_live)
    for members in runs:
        members.kill_all()


# --------------------------------------------------------------------------------------------
# Output capture


class _Capture:
    """Reads one pipe line by line, keeps at most the shared budget, counts everything."""

    def __init__(self, budget: _Budget, on_line: Callable[[str], None] | None) -> None:
        self.budget = budget
        self.on_line = on_line
        self.kept: list[bytes] = []

    def pump(self, pipe) -> None:
        try:
            while True:
                line = pipe.readline(MAX_LINE_BYTES)
                if not line:
                    break
                if self.budget.take(len(line)):
                    self.kept.append(line)
                if self.on_line is not None:
                    # a progress callback must never break the run
                    with contextlib.suppress(Exception):
                        self.on_line(line.decode("utf-8", "replace").rstrip("\r\n"))
        except (OSError, ValueError):
            pass

    def text(self) -> str:
        return b"".join(self.kept).decode("utf-8", "replace")


class _Budget:
    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.kept = 0
        self.seen = 0
        self.truncated = False
        self._lock = threading.Lock()

    def take(self, n: int) -> bool:
        with self._lock:
            self.seen += n
            if self.kept + n <= self.keep:
                self.kept += n
                return True
            self.truncated = True
            return False


# --------------------------------------------------------------------------------------------
# The entry point


def run_isolated(
    argv: list[str],
    *,
    workdir: Path,
    readonly: list[Path] | None = None,
    limits: Limits | None = None,
    backend: str = "auto",
    env: dict[str, str] | None = None,
    on_line: Callable[[str], None] | None = None,
) -> RunOutcome:
    """Run ``argv`` isolated, with ``workdir`` as its only writable place and current directory.

    ``readonly`` paths are visible read-only (bwrap binds them at the same path; the subprocess
    backend cannot hide anything). ``env`` is added to a minimal environment (the grader's own
    environment is not passed on). ``on_line`` receives each stdout line as it arrives. Raises
    :class:`BackendUnavailable` when ``backend`` cannot run here.
    """
    limits = limits or Limits()
    readonly = [Path(p) for p in (readonly or [])]
    workdir = Path(workdir).resolve()
    if not workdir.is_dir():
        raise FileNotFoundError(f"workdir {workdir} is not a directory")
    chosen = resolve_backend(backend)

    uid = gid = None
    if os.geteuid() == 0:
        blocked = None
        if chosen == "subprocess":
            needs = [Path(sys.executable), workdir.parent, *readonly]
            needs += [source for source, _ in _source_packages()]
            blocked = next((b for b in map(_reachable_by_others, needs) if b), None)
        if blocked is None:
            uid = _uids.take()
            gid = uid
        else:
            _warn_once(
                "root",
                f"running submissions as root with the subprocess backend: {blocked} is not "
                "reachable by an unprivileged user, so RLIMIT_NPROC does not bind it (a pids "
                "cgroup does, where one can be made) and the submission can act as root",
            )

    child_env = _base_env(workdir, chosen)
    if env:
        child_env.update(env)
    if chosen == "subprocess":
        (workdir / ".tmp").mkdir(exist_ok=True)
        child_env.setdefault("TMPDIR", str(workdir / ".tmp"))

    cgroups = _Cgroups(limits)
    try:
        full = _command(argv, workdir, readonly, limits, chosen, child_env, uid, gid, cgroups)
        if uid is not None:
            _give_tree(workdir, uid, gid)
        return _supervise(full, workdir, limits, chosen, child_env, on_line, uid, cgroups)
    finally:
        cgroups.remove()
        if uid is not None:
            _give_tree(workdir, os.geteuid(), os.getegid())
            _uids.give(uid)


def _command(
    argv: list[str],
    workdir: Path,
    readonly: list[Path],
    limits: Limits,
    chosen: str,
    child_env: dict[str, str],
    uid: int | None,
    gid: int | None,
    cgroups: _Cgroups,
) -> list[str]:
    """The full command line: [boot (cgroups)] [bwrap ...] boot (limits, uid) argv.

    Sets PYTHONPATH in ``child_env`` to where the convgrade packages are visible to the child.
    """
    extra = child_env.get("PYTHONPATH")
    rlimits = [
        ("RLIMIT_AS", int(limits.memory_bytes)),
        ("RLIMIT_NPROC", int(limits.max_processes)),
        ("RLIMIT_FSIZE", int(limits.max_file_bytes)),
        ("RLIMIT_CORE", 0),
    ]

    def boot(cfg: dict) -> list[str]:
        return [sys.executable, "-I", "-S", "-c", _BOOT, json.dumps(cfg)]

    shim = chosen == "subprocess"
    inner = {"rlimits": rlimits, "uid": uid, "gid": gid, "chdir": None, "shim": shim}
    if chosen == "bwrap":
        bwrap_args, code_root = _bwrap_argv(workdir, readonly, limits)
        child_env["PYTHONPATH"] = _join_path(code_root, extra)
        full = [shutil.which("bwrap") or "bwrap", *bwrap_args[1:], "--", *boot(inner), *argv]
        if cgroups.dirs:  # join the cgroups before bwrap starts, outside the sandbox
            outer = {"rlimits": [], "uid": None, "chdir": None, "shim": False}
            full = [*boot({**outer, "cgroups": cgroups.procs_files()}), *full]
    else:
        import convgrade

        code_root = str(Path(convgrade.__file__).resolve().parent.parent)
        child_env["PYTHONPATH"] = _join_path(code_root, extra)
        full = [*boot({**inner, "cgroups": cgroups.procs_files()}), *argv]
    return full


def _join_path(first: str, rest: str | None) -> str:
    return first if not rest else f"{first}{os.pathsep}{rest}"


def _base_env(workdir: Path, backend: str) -> dict[str, str]:
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


def _supervise(
    argv: list[str],
    workdir: Path,
    limits: Limits,
    backend: str,
    env: dict[str, str],
    on_line: Callable[[str], None] | None,
    uid: int | None,
    cgroups: _Cgroups,
) -> RunOutcome:
    budget = _Budget(limits.max_output_bytes)
    out, err = _Capture(budget, on_line), _Capture(budget, None)
    disk = _DiskWatch(workdir, limits)
    start = time.monotonic()
    proc = subprocess.Popen(
        argv,
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        close_fds=True,
    )
    members = _Members(proc.pid, uid, cgroups)
    with _live_lock:
        _live.add(members)
    try:
        return _watch(proc, members, limits, backend, budget, (out, err), start, disk)
    finally:
        with _live_lock:
            _live.discard(members)


def _watch(
    proc: subprocess.Popen,
    members: _Members,
    limits: Limits,
    backend: str,
    budget: _Budget,
    captures: tuple[_Capture, _Capture],
    start: float,
    disk: _DiskWatch,
) -> RunOutcome:
    """Enforce the limits while ``proc`` runs; classify how it ended."""
    out, err = captures
    readers = [
        threading.Thread(target=out.pump, args=(proc.stdout,), daemon=True),
        threading.Thread(target=err.pump, args=(proc.stderr,), daemon=True),
    ]
    for t in readers:
        t.start()

    reason: str | None = None
    peak = 0
    flood = max(limits.max_output_bytes * OUTPUT_FLOOD_FACTOR, 64 * 1024)
    next_scan = next_disk = 0.0
    over = 0
    while True:
        try:
            proc.wait(timeout=POLL_S)
            break
        except subprocess.TimeoutExpired:
            pass
        now = time.monotonic()
        if now - start > limits.wall_time_s:
            reason = "timeout"
        elif budget.seen > flood:
            reason = "output-limit"
        elif now >= next_scan:
            procs = members.scan()
            used = sum(r for _, r in procs)
            if used > limits.memory_bytes:
                # RSS counts pages shared between forked processes once per process: confirm
                # with the proportional set size before calling it a memory overrun.
                used = _pss(procs)
            peak = max(peak, used)
            over = over + 1 if used > limits.memory_bytes else 0
            # two scans in a row over the limit (not a transient reading), or the kernel's
            # OOM killer already struck inside the run's memory cgroup
            if over >= 2 or members.cgroups.oom_killed():
                reason = "memory"
            next_scan = now + 0.25
            if reason is None and now >= next_disk:
                if disk.exceeded():
                    reason = "disk"
                # every scan, unless walking the folder gets slow (many files)
                next_disk = now + max(0.25, 10 * (time.monotonic() - now))
        if reason:
            members.kill_all()
            proc.wait()
            break
    wall = time.monotonic() - start
    # The child may have left descendants holding the pipes open: stop them, then drain.
    members.kill_all()
    for t in readers:
        t.join(timeout=5)
    for pipe in (proc.stdout, proc.stderr):
        with contextlib.suppress(OSError):
            pipe.close()

    stdout, stderr = out.text(), err.text()
    if reason is None and members.cgroups.oom_killed():
        reason = "memory"
    if reason in (None, "timeout") and members.cgroups.pids_limit_hit():
        reason = "process-limit"  # even when the child caught the error and carried on
    status, message = _classify(proc.returncode, reason, stderr, limits, peak)
    if budget.truncated:
        note = f"[output truncated: {budget.seen} bytes printed, {budget.kept} kept]\n"
        stderr = stderr + note
    return RunOutcome(
        returncode=proc.returncode,
        status=status,
        stdout=stdout,
        stderr=stderr,
        output_truncated=budget.truncated,
        wall_s=wall,
        backend=backend,
        message=message,
        peak_rss_bytes=peak,
    )


def _classify(
    code: int | None, reason: str | None, stderr: str, limits: Limits, peak: int
) -> tuple[str, str]:
    """Status and message from how the run ended (never from what the child claims on stdout)."""
    tail = stderr[-20000:]
    if reason == "timeout" and not _has(tail, _PROCESS_MARKERS):
        return "timeout", STATUS_MESSAGES["timeout"].format(limit=limits.wall_time_s)
    if reason == "memory":
        return "memory", STATUS_MESSAGES["memory"] + f" ({format_size(limits.memory_bytes)})"
    if reason == "disk":
        return "file-limit", STATUS_MESSAGES["file-limit"] + (
            f" (the work folder grew by more than "
            f"{format_size(DISK_FACTOR * limits.max_file_bytes)} or "
            f"{MAX_NEW_ENTRIES:,} files)"
        )
    if reason == "process-limit":
        return "process-limit", STATUS_MESSAGES["process-limit"] + (
            f" ({limits.max_processes} processes/threads)"
        )
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
        return "memory", STATUS_MESSAGES["memory"] + f" ({format_size(limits.memory_bytes)})"
    if _has(tail, _PROCESS_MARKERS):
        return "process-limit", STATUS_MESSAGES["process-limit"] + (
            f" ({limits.max_processes} processes/threads)"
        )
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return "killed", STATUS_MESSAGES["killed"].format(signal=name)
    return "exit", STATUS_MESSAGES["exit"].format(code=code)


def _has(text: str, markers: tuple[str, ...]) -> bool:
    return any(m in text for m in markers)
