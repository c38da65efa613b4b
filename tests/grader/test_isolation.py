"""grader.isolation: limits parsing, backends, output capture, limits enforcement (no TF)."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from convgrade.exercises.errors import ParamError
from convgrade.grader import isolation
from convgrade.grader.isolation import BackendUnavailable, Limits, run_isolated
from convgrade.grader.isolation import uids as uidpool
from convgrade.grader.limits import parse_seconds, parse_size

BACKENDS = ["subprocess", "bwrap"]
FAST = Limits(
    wall_time_s=10, memory_bytes=1 * 2**30, max_processes=64, max_file_bytes=8 * 2**20,
    max_output_bytes=64 * 1024,
)  # fmt: skip


def run_py(code: str, workdir: Path, backend: str, limits: Limits = FAST, **kw):
    """Run ``python -c code`` isolated; None (after checking the error) when the backend is
    unavailable here, so the same test checks the clear refusal instead."""
    if backend == "bwrap" and "bwrap" not in isolation.available_backends():
        with pytest.raises(BackendUnavailable, match="'bwrap' is not available"):
            run_isolated([sys.executable, "-c", code], workdir=workdir, limits=limits,
                         backend=backend)  # fmt: skip
        return None
    if backend == "subprocess":  # as root, the tests' interpreter is not reachable: no uid drop
        kw.setdefault("unsafe_no_sandbox", True)
    return run_isolated(
        [sys.executable, "-c", code], workdir=workdir, limits=limits, backend=backend, **kw
    )


# ------------------------------------------------------------------ sizes and limits


@pytest.mark.parametrize(
    "text,expected",
    [("2G", 2 * 2**30), ("512m", 512 * 2**20), ("1.5GiB", int(1.5 * 2**30)), ("1000", 1000),
     ("3KB", 3000), ("2 MB", 2_000_000), (4096, 4096)],
)  # fmt: skip
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "G", "2X", "-1G", "0", "1.2.3M", "two"])
def test_parse_size_rejects_with_the_parameter_name(text):
    with pytest.raises(ParamError, match="--memory-limit"):
        parse_size(text, name="--memory-limit")


def test_parse_seconds():
    assert parse_seconds("90") == 90
    assert parse_seconds("2m") == 120
    assert parse_seconds("1.5h") == 5400
    with pytest.raises(ParamError, match="--time-limit"):
        parse_seconds("soon", name="--time-limit")


def test_tightened_never_loosens():
    base = Limits(wall_time_s=300, memory_bytes=4 * 2**30)
    assert base.tightened(wall_time_s=60).wall_time_s == 60
    assert base.tightened(wall_time_s=6000).wall_time_s == 300
    assert base.tightened(memory_bytes=8 * 2**30).memory_bytes == 4 * 2**30
    assert base.tightened(memory_bytes=2**30).memory_bytes == 2**30
    assert base.tightened() == base
    assert base.tightened(wall_time_s=1).max_processes == base.max_processes


def test_limits_reject_nonsense():
    with pytest.raises(ParamError, match="wall_time_s"):
        Limits(wall_time_s=0)


# ------------------------------------------------------------------ backends


def test_available_backends_lists_the_fallback():
    assert "subprocess" in isolation.available_backends()


def test_unknown_backend_is_a_clear_error(tmp_path):
    with pytest.raises(BackendUnavailable, match="unknown isolation backend 'docker'"):
        run_isolated(["true"], workdir=tmp_path, backend="docker")


def test_missing_bwrap_gives_clear_error_and_auto_falls_back_loudly(monkeypatch, capsys):
    bwrap = isolation.BACKENDS["bwrap"]
    monkeypatch.setattr(bwrap, "problem", lambda: "bubblewrap (bwrap) is not installed")
    monkeypatch.setattr(isolation.run, "_warned", set())
    with pytest.raises(BackendUnavailable, match="'bwrap' is not available: bubblewrap"):
        isolation.resolve_backend("bwrap")
    with pytest.warns(RuntimeWarning, match="isolation is WEAK"):
        assert isolation.resolve_backend("auto") == "subprocess"
    assert "isolation is WEAK" in capsys.readouterr().err
    assert isolation.available_backends() == ["subprocess"]


def test_auto_prefers_bwrap_when_it_works():
    expected = "bwrap" if "bwrap" in isolation.available_backends() else "subprocess"
    assert isolation.resolve_backend("auto") == expected


# ------------------------------------------------------------------ plain runs


@pytest.mark.parametrize("backend", BACKENDS)
def test_ok_run_reports_backend_output_and_cwd(tmp_path, backend):
    lines: list[str] = []
    code = "import os; print('hello'); print(os.getcwd()); open('made.txt', 'w').write('x')"
    out = run_py(code, tmp_path, backend, on_line=lines.append)
    if out is None:
        return
    assert out.status == "ok" and out.returncode == 0
    assert out.backend == backend
    assert out.stdout.splitlines() == ["hello", str(tmp_path.resolve())]
    assert lines == ["hello", str(tmp_path.resolve())]
    assert (tmp_path / "made.txt").read_text() == "x"
    # the parent gets its workdir back (owned by us again) after the run
    assert (tmp_path / "made.txt").stat().st_uid == os.geteuid()


@pytest.mark.parametrize("backend", BACKENDS)
def test_nice_lowers_the_runs_priority_and_its_sessions(tmp_path, backend):
    """The course service grades at a lower priority so its web layer stays responsive. The
    kernel shares CPU between sessions (autogroups) before processes, and every run is a
    session of its own, so the session's priority must drop too, not only the process's."""
    code = "import os; print(os.nice(0)); print(open('/proc/self/autogroup').read().split()[-1])"
    out = run_py(code, tmp_path, backend, limits=replace(FAST, nice=7))
    if out is None:
        return
    assert out.status == "ok", out.stderr
    nice, group = out.stdout.split()
    assert nice == "7"
    if Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1":
        assert group == "7"
    with pytest.raises(ParamError, match="nice"):
        Limits(nice=20)


@pytest.mark.parametrize("backend", BACKENDS)
def test_nonzero_exit(tmp_path, backend):
    out = run_py("import sys; print('bye', file=sys.stderr); sys.exit(3)", tmp_path, backend)
    if out is None:
        return
    assert (out.status, out.returncode, out.message) == ("exit", 3, "exited with status 3")
    assert "bye" in out.stderr


@pytest.mark.parametrize("backend", BACKENDS)
def test_environment_is_minimal(tmp_path, backend, monkeypatch):
    monkeypatch.setenv("CONVGRADE_SECRET_TOKEN", "hunter2")
    code = "import os, json; print(json.dumps(dict(os.environ)))"
    out = run_py(code, tmp_path, backend, env={"EXTRA": "1"})
    if out is None:
        return
    assert "hunter2" not in out.stdout
    assert '"EXTRA": "1"' in out.stdout
    assert f'"CONVGRADE_ISOLATION": "{backend}"' in out.stdout


@pytest.mark.parametrize("backend", BACKENDS)
def test_output_is_capped_but_read_to_the_end(tmp_path, backend):
    limits = Limits(wall_time_s=20, max_output_bytes=10_000)
    code = "import sys\nfor i in range(3000): print(f'line {i:05d}', 'x' * 20)\nprint('END')"
    lines: list[str] = []
    out = run_py(code, tmp_path, backend, limits=limits, on_line=lines.append)
    if out is None:
        return
    assert out.status == "ok"  # 96 kB printed < 16 x the cap: kept running, only truncated
    assert out.output_truncated
    assert len(out.stdout.encode()) <= 10_000
    assert out.stdout.startswith("line 00000")
    assert lines[-1] == "END" and len(lines) == 3001  # on_line still saw every line
    assert "output truncated" in out.stderr


@pytest.mark.parametrize("backend", BACKENDS)
def test_runs_in_parallel_threads(tmp_path, backend):
    """run_isolated is safe to call from several threads (batch grading does)."""
    if backend == "bwrap" and "bwrap" not in isolation.available_backends():
        assert run_py("pass", tmp_path, backend) is None
        return
    results = {}

    def one(i: int) -> None:
        d = tmp_path / f"w{i}"
        d.mkdir()
        results[i] = run_py(f"import time; time.sleep(1); print({i})", d, backend)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(3)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert time.monotonic() - start < 3 * 1 + 2  # overlapped, not serialised
    assert [results[i].stdout.strip() for i in range(3)] == ["0", "1", "2"]
    assert all(r.status == "ok" for r in results.values())


def test_missing_workdir(tmp_path):
    with pytest.raises(FileNotFoundError):
        run_isolated(["true"], workdir=tmp_path / "nope", backend="subprocess")


# ------------------------------------------------------------------ bwrap specifics


def test_bwrap_sandbox_hides_the_host_and_runs_unprivileged(tmp_path):
    code = (
        "import os, socket\n"
        "print('uid', os.getuid())\n"
        "print('pid', os.getpid())\n"
        "print('root', sorted(os.listdir('/')))\n"
        "print('hostname', socket.gethostname())\n"
        "print('home', os.path.exists(os.path.expanduser('~root/.bash_history')))\n"
        "print('nonet', open('/proc/net/dev').read().count(':'))\n"
        f"open('/tmp/{tmp_path.name}-scratch', 'w').write('ok')\n"
        "status = dict(l.split(':', 1) for l in open('/proc/self/status'))\n"
        "print('caps', status['CapEff'].strip(), status['NoNewPrivs'].strip())\n"
    )
    out = run_py(code, tmp_path, "bwrap")
    if out is None:
        return
    assert out.status == "ok", out.stderr
    info = dict(line.split(" ", 1) for line in out.stdout.splitlines())
    assert info["uid"] != "0"
    assert int(info["pid"]) < 10  # its own PID namespace
    assert info["hostname"] == "sandbox"
    assert info["home"] == "False"
    assert info["caps"] == "0000000000000000 1"  # no capabilities, no way to gain any
    assert info["nonet"] == "1"  # only the loopback device of its own network namespace
    top = eval(info["root"])  # a list printed by Python
    assert "home" not in top and "var" not in top and "srv" not in top
    assert not (Path("/tmp") / f"{tmp_path.name}-scratch").exists()  # a private /tmp


def test_bwrap_readonly_paths_are_visible_but_not_writable(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "x.txt").write_text("input")
    work = tmp_path / "work"
    work.mkdir()
    code = (
        f"print(open({str(data / 'x.txt')!r}).read())\n"
        f"try:\n    open({str(data / 'y.txt')!r}, 'w')\nexcept OSError as e:\n"
        f"    print(e.errno)\n"
    )
    if "bwrap" not in isolation.available_backends():
        assert run_py(code, work, "bwrap") is None
        return
    out = run_isolated([sys.executable, "-c", code], workdir=work, readonly=[data],
                       limits=FAST, backend="bwrap")  # fmt: skip
    assert out.status == "ok", out.stderr
    assert out.stdout.split() == ["input", str(errno.EROFS)]
    assert not (data / "y.txt").exists()


@pytest.mark.tf
def test_tensorflow_trains_inside_bwrap(tmp_path):
    """TF's own threads fit the default process limit and its address space the memory limit."""
    code = (
        "import numpy as np, keras\n"
        "m = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3),\n"
        "    keras.layers.Flatten(), keras.layers.Dense(10)])\n"
        "m.compile('adam', keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n"
        "h = m.fit(np.random.rand(64, 8, 8, 1), np.random.randint(0, 10, 64), epochs=2,\n"
        "    verbose=0)\n"
        "print('trained', len(h.history['loss']))\n"
    )
    limits = Limits(wall_time_s=120, max_output_bytes=2**20)  # defaults: 4 GiB, 256 processes
    out = run_py(code, tmp_path, "bwrap", limits=limits)
    if out is None:
        return
    assert out.status == "ok", out.stderr[-2000:]
    assert "trained 2" in out.stdout


# ------------------------------------------------------------------ memory across processes

SHARED = (
    "import numpy as np, os, time\n"
    "x = np.ones(2**26)  # 512 MiB, shared copy-on-write with the children\n"
    "kids = [os.fork() for _ in range(1)]\n"
    "if 0 in kids: time.sleep(2); os._exit(0)\n"
    "for _ in range(5):\n"
    "    if os.fork() == 0:\n        time.sleep(2); os._exit(0)\n"
    "time.sleep(2.5)\nprint('done')\n"
)
SPREAD = (
    "import os, time\n"
    "for _ in range(4):\n"
    "    if os.fork() == 0:\n"
    "        block = b'x' * (400 * 2**20)\n        time.sleep(30); os._exit(0)\n"
    "time.sleep(30)\n"
)


@pytest.mark.parametrize("backend", BACKENDS)
def test_memory_shared_by_forks_counts_once(tmp_path, backend):
    limits = Limits(wall_time_s=20, memory_bytes=2 * 2**30, max_output_bytes=2**16)
    out = run_py(SHARED, tmp_path, backend, limits=limits)
    if out is None:
        return
    assert out.status == "ok", (out.message, out.peak_rss_bytes)
    assert out.stdout.strip() == "done"


@pytest.mark.parametrize("backend", BACKENDS)
def test_memory_limit_covers_the_whole_process_tree(tmp_path, backend):
    """Four processes of 400 MiB each stay under RLIMIT_AS (per process) but not under 1 GiB."""
    limits = Limits(wall_time_s=20, memory_bytes=1 * 2**30, max_output_bytes=2**16)
    start = time.monotonic()
    out = run_py(SPREAD, tmp_path, backend, limits=limits)
    if out is None:
        return
    assert out.status == "memory", (out.status, out.message, out.stderr[-300:])
    assert out.message.startswith("memory limit exceeded")
    assert time.monotonic() - start < 15


def test_sandbox_uids_are_exclusive_across_graders():
    """Two grader processes (here: two pools) never run submissions under the same uid."""
    first, second = uidpool.UidPool(), uidpool.UidPool()
    second._offset = first._offset  # same starting point: the worst case
    a, b = first.take(), first.take()
    c = second.take()
    assert len({a, b, c}) == 3
    assert all(uidpool.SANDBOX_UID_BASE <= u < uidpool.SANDBOX_UID_BASE + 1000 for u in (a, c))
    first.give(a)
    assert second.take() == a  # released when the run ends
    for pool, uids in ((first, [b]), (second, [a, c])):
        for uid in uids:
            pool.give(uid)


def test_reachable_by_others_names_the_blocking_folder():
    """The subprocess backend drops to a sandbox uid only if that uid can reach the interpreter."""
    base = Path(tempfile.mkdtemp())  # under the system temp dir, whose ancestors are open
    try:
        base.chmod(0o755)
        deep = base / "deep"
        deep.mkdir()
        (deep / "f").write_text("x")
        deep.chmod(0o755)
        (deep / "f").chmod(0o644)
        assert uidpool.reachable_by_others(deep / "f") is None
        deep.chmod(0o700)
        assert uidpool.reachable_by_others(deep / "f") == str(deep)
        deep.chmod(0o755)
        (deep / "f").chmod(0o600)
        assert uidpool.reachable_by_others(deep / "f") == str(deep / "f")
        assert uidpool.reachable_by_others(base / "missing") == str(base / "missing")
        base.chmod(0o700)
        assert uidpool.reachable_by_others(deep / "f") == str(base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


GRADER = """
import sys
from pathlib import Path
from convgrade.grader.isolation import Limits, run_isolated
code = "import os, time; open('pid', 'w').write(str(os.getpid())); time.sleep(60)"
run_isolated([sys.executable, "-c", code], workdir=Path(sys.argv[1]), backend=sys.argv[2],
             limits=Limits(wall_time_s=120), unsafe_no_sandbox=sys.argv[2] == "subprocess")
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_submission_dies_with_the_grader(tmp_path, backend):
    """A grader killed with SIGKILL (no clean-up) takes its running submissions with it."""
    if backend == "bwrap" and "bwrap" not in isolation.available_backends():
        assert run_py("pass", tmp_path, backend) is None
        return
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    grader = subprocess.Popen([sys.executable, "-c", GRADER, str(tmp_path), backend], env=env,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    pid_file = tmp_path / "pid"
    deadline = time.monotonic() + 30
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the submission never started"
        time.sleep(0.1)
    pid_seen = pid_file.read_text()  # its pid as the sandbox sees it; find it from here by cwd
    victims = [p for p in _pids_with_cwd(tmp_path)]
    assert victims, pid_seen
    grader.kill()
    grader.wait()
    deadline = time.monotonic() + 10
    while _pids_with_cwd(tmp_path):
        assert time.monotonic() < deadline, f"still running: {_pids_with_cwd(tmp_path)}"
        time.sleep(0.1)


def _pids_with_cwd(folder: Path) -> list[int]:
    """Live processes whose current directory is ``folder``."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{pid}/cwd") == str(folder.resolve()):
                state = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
                if state != b"Z":
                    found.append(int(pid))
        except OSError:
            continue
    return found


def test_a_backend_is_one_class_in_one_registry(tmp_path):
    """A new backend (e.g. a container runtime) needs only a Backend subclass and @register:
    resolving, listing and running pick it up from the registry."""
    from convgrade.grader.isolation.base import Backend, Launch, register
    from convgrade.grader.isolation.boot import boot_argv

    launched = []

    class Echo(Backend):
        name, strength = "echo-test", -1

        def problem(self):
            return None

        def launch(self, request):
            launched.append(request.workdir)
            boot = boot_argv(
                uid=request.uid, gid=request.uid, cgroups=request.cgroups.procs_files()
            )
            return Launch([*boot, *request.argv])

    try:
        register(Echo)
        assert "echo-test" in isolation.available_backends()
        assert isolation.resolve_backend("echo-test") == "echo-test"
        if os.geteuid() == 0:  # a backend without a sandbox as root: refused unless told
            with pytest.raises(isolation.UnsafeAsRoot):
                run_isolated([sys.executable, "-c", "print(1)"], workdir=tmp_path,
                             backend="echo-test")  # fmt: skip
        out = run_isolated([sys.executable, "-c", "print(1)"], workdir=tmp_path,
                           backend="echo-test", unsafe_no_sandbox=True)  # fmt: skip
        assert (out.status, out.stdout, out.backend) == ("ok", "1\n", "echo-test")
        assert launched == [tmp_path.resolve()] * len(launched) and launched
    finally:
        isolation.BACKENDS.pop("echo-test", None)
    assert "echo-test" not in isolation.available_backends()


def test_remove_tree_gets_through_locked_folders_and_keeps_link_targets(tmp_path):
    work, keep = tmp_path / "work", tmp_path / "keep"
    keep.mkdir()
    (keep / "precious").write_text("x")
    deep = work
    for _ in range(50):
        deep = deep / "d"
    deep.mkdir(parents=True)
    (deep / "f").write_text("y")
    (work / "link").symlink_to(keep)
    (work / "d" / "d").chmod(0)
    (work / "d").chmod(0o500)
    assert isolation.remove_tree(work) and not work.exists()
    assert (keep / "precious").read_text() == "x"


def test_walk_stops_when_a_folder_is_moved_away_under_it(tmp_path):
    """Climbing back with '..' from a folder a process moved elsewhere would continue the walk
    (and a removal) outside the tree: the walk checks where '..' leads and stops."""
    from convgrade.grader.isolation.files import walk

    root, elsewhere = tmp_path / "root", tmp_path / "elsewhere"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "x").write_text("x")
    elsewhere.mkdir()
    leaves: list[str] = []

    def on_entry(dir_fd: int, entry: os.DirEntry) -> None:
        if entry.name == "x":
            os.rename(root / "a" / "b", elsewhere / "b")

    walk(root, on_entry, on_leave=lambda fd, name: leaves.append(name))
    assert leaves == []  # never acted from the wrong folder
