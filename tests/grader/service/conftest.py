"""Service fixtures: a throwaway PostgreSQL cluster, a database per test (SQLite and
PostgreSQL), a course, tokens, and a real uvicorn server on 127.0.0.1 in a thread."""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest


def _pg_bin() -> Path:
    """Debian's PostgreSQL binaries (newest installed version), or $CONVGRADE_PG_BIN."""
    if os.environ.get("CONVGRADE_PG_BIN"):
        return Path(os.environ["CONVGRADE_PG_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()
TINY = '''"""A tiny digits CNN: one epoch is enough for the service tests."""
import keras
from keras import layers

EPOCHS = 1


def build_model(task):
    return keras.Sequential([
        keras.Input(shape=task.input_shape),
        layers.Conv2D(4, 3, activation="relu"),
        layers.Flatten(),
        layers.Dense(task.num_classes),
    ])
'''
STUDENTS = [f"s{i}" for i in range(1, 7)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    """Run a PostgreSQL tool as the postgres OS user when we are root (it refuses root)."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL cluster of its own in a temp folder on 127.0.0.1:<free port>."""
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"PostgreSQL is not installed ({PG_BIN}/initdb); apt-get install postgresql")
    root = Path(tempfile.mkdtemp(prefix="convgrade-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = free_port()
    subprocess.run(
        _as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                      "--no-sync", "-E", "UTF8"]),
        check=True, capture_output=True,
    )  # fmt: skip
    opts = f"-h 127.0.0.1 -p {port} -k {root} -F -c max_connections=200"
    subprocess.run(
        _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", opts, "-l",
                      str(root / "log"), "-w", "start"]),
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


_counter = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, empty database: a SQLite file, or a new database in the test cluster."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'service.db'}"
    import psycopg

    server = request.getfixturevalue("postgres")
    name = f"t{os.getpid()}_{next(_counter)}"
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{server}/{name}"


def write_course(folder: Path, *, assignment: str = "", extra: str = "") -> Path:
    """A course of digits-cnn (1 epoch) with STUDENTS on its roster."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "roster.csv").write_text(
        "student_id,name,email\n" + "".join(f"{s},Student {s},{s}@example.edu\n" for s in STUDENTS)
    )
    body = assignment or (
        'name = "digits-cnn"\nepochs = 1\ndeadline = 2099-01-01T00:00:00Z\n'
        "max_submissions = 50\n" + extra
    )
    path = folder / "course.toml"
    path.write_text(
        f'title = "Test course"\nroster = "roster.csv"\nupload_max_size = "64K"\n\n'
        f"[[assignment]]\n{body}\n"
    )
    return path


def issue_tokens(store, ids=STUDENTS) -> dict[str, str]:
    """Tokens for the roster and the instructor (hashes into the database, tokens returned)."""
    from convgrade.grader.service.auth import hash_token, new_token
    from convgrade.grader.service.store import User

    out = {}
    with store.write() as s, s.begin():
        for uid in [*ids, "instructor"]:
            out[uid] = new_token()
            role = "instructor" if uid == "instructor" else "student"
            s.merge(User(id=uid, name=uid, email="", role=role, token_hash=hash_token(out[uid])))
    return out


class FakeGrade:
    """Stands in for grading in web/queue tests: two progress lines, then a fixed result.
    ``gate`` (when set up) holds every job until released."""

    def __init__(self, hold: bool = False) -> None:
        self.calls: list[str] = []
        self.gate = threading.Event()
        if not hold:
            self.gate.set()

    def __call__(self, path: Path, ca, progress) -> dict:
        self.calls.append(path.read_text())
        assert self.gate.wait(30)
        progress({"stage": "train", "params": 1234, "epochs": 1})
        progress({"epoch": 1, "epochs": 1, "loss": 0.5, "accuracy": 0.8})
        failed = "FAIL" in path.read_text()
        return {
            "status": "training-error" if failed else "ok",
            "message": "it broke" if failed else "",
            "assignment": ca.name, "submission": path.name, "max_score": 10.0,
            "score": 0.0 if failed else 7.0, "accuracy": None if failed else 0.85,
            "thresholds": [], "class_names": [], "confusion": [], "per_class_accuracy": [],
            "history": {}, "summary": [], "notes": [], "timings": {}, "log": "", "params": 1234,
            "epochs": 1, "epochs_run": 1, "batch_size": 32, "train_seconds": 1.0,
            "wall_seconds": 2.0,
        }  # fmt: skip


class Server:
    """A uvicorn server on 127.0.0.1:<free port> in a thread, for one test."""

    def __init__(
        self, course_path: Path, db: str, grade=None, workers: int = 1, executor=None, **app_kw
    ):
        import uvicorn
        from convgrade.grader.executors import get_executor
        from convgrade.grader.service.app import create_app
        from convgrade.grader.service.course import load_course
        from convgrade.grader.service.grading import Dispatcher
        from convgrade.grader.service.store import open_store

        from convgrade.cli.serve import sync_roster

        self.course = load_course(course_path)
        self.store = open_store(db)
        sync_roster(self.store, self.course.roster)
        self.tokens = issue_tokens(self.store)
        self.grade = grade
        executor = executor or get_executor("local", workers=workers)
        self.dispatcher = Dispatcher(self.course, self.store, executor, grade)
        self.app = create_app(self.course, self.store, self.dispatcher, **app_kw)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        if self.grade is not None and hasattr(self.grade, "gate"):
            self.grade.gate.set()
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.store.engine.dispose()

    def client(self, who: str | None = None):
        import httpx

        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def wait_done(self, sub_id: int, timeout: float = 120) -> dict:
        with self.client("instructor") as c:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                v = c.get(f"/api/submissions/{sub_id}").json()
                if v["status"] == "done":
                    return v
                time.sleep(0.1)
        raise AssertionError(f"submission {sub_id} was not graded in {timeout} s")


@pytest.fixture
def course_path(tmp_path):
    return write_course(tmp_path / "course")


@contextlib.contextmanager
def serving(course_path, db_url, grade=None, **kw):
    with Server(course_path, db_url, grade, **kw) as srv:
        yield srv
