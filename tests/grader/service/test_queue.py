"""The queue, the store and the course file without the web layer (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time

import pytest
from click.testing import CliRunner
from convgrade.exercises.errors import ConvgradeError
from convgrade.grader.service import queue
from convgrade.grader.service.course import load_course
from convgrade.grader.service.store import Submission, User, open_store, utcnow
from sqlalchemy import text

from tests.grader.service.conftest import write_course


def fill(store, n: int) -> list[int]:
    with store.write() as s, s.begin():
        for i in range(n):
            s.add(User(id=f"u{i}", name="", email="", role="student"))
        s.flush()
        rows = [
            Submission(user_id=f"u{i}", assignment="a", original_name="x.py", suffix=".py",
                       content=b"", created_at=utcnow(), status="queued", regrade=False,
                       attempt=0, late_days=0, penalty=0.0)
            for i in range(n)
        ]  # fmt: skip
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def test_concurrent_claims_take_each_job_exactly_once(db_url):
    store = open_store(db_url)
    ids = fill(store, 40)
    claimed: list[int] = []
    lock = threading.Lock()

    def worker():
        while (job := queue.claim(store)) is not None:
            with lock:
                claimed.append(job[0])

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == ids  # every job once, none twice
    # a result is written only by the attempt that holds the job, once
    assert queue.finish(store, ids[0], 1, {"status": "ok", "score": 3}, 3.0)
    assert not queue.finish(store, ids[0], 1, {"status": "ok", "score": 5}, 5.0)
    assert not queue.finish(store, ids[1], 7, {"status": "ok", "score": 5}, 5.0)
    # after a crash the running jobs go back to the queue (not the finished one)
    assert queue.recover(store) == 39
    with store.read() as s:
        assert queue.counts(s) == {"queued": 39, "running": 0, "done": 1}
    store.engine.dispose()


def test_one_queued_submission_per_student_is_a_database_rule(db_url):
    from sqlalchemy.exc import IntegrityError

    store = open_store(db_url)
    fill(store, 1)
    with pytest.raises(IntegrityError), store.write() as s, s.begin():
        s.add(Submission(user_id="u0", assignment="a", original_name="y.py", suffix=".py",
                         content=b"", created_at=utcnow(), status="queued", regrade=False,
                         attempt=0, late_days=0, penalty=0.0))  # fmt: skip
    store.engine.dispose()


def test_migrations_are_applied_once_and_recorded(db_url):
    open_store(db_url).engine.dispose()
    store = open_store(db_url)  # a second start finds the schema current
    with store.read() as s:
        assert s.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"
    store.engine.dispose()


@pytest.mark.parametrize(
    "body, words",
    [
        ('name = "digits-cnn"\n', "deadline"),
        ('name = "nope"\ndeadline = 2030-01-01\n', "nope"),
        ('name = "digits-cnn"\ndeadline = "soon"\n', "date-time"),
        ('name = "digits-cnn"\ndeadline = 2030-01-01\nhard_cutoff = 2029-01-01\n', "after"),
        ('name = "digits-cnn"\ndeadline = 2030-01-01\nlate_penalty_per_day = 2\n', "[0, 1]"),
        ('name = "digits-cnn"\ndeadline = 2030-01-01\nmax_submisions = 2\n', "max_submisions"),
        ('name = "digits-cnn"\ndeadline = 2030-01-01\nwindow = "often"\n', "window"),
    ],
)
def test_course_file_errors_name_the_key(tmp_path, body, words):
    path = write_course(tmp_path, assignment=body)
    with pytest.raises(ConvgradeError) as err:
        load_course(path)
    assert words in str(err.value) and "\n" not in str(err.value)


def test_example_course_loads():
    from tests.conftest import ROOT

    course = load_course(ROOT / "examples" / "course.toml")
    assert list(course.assignments) == ["digits-cnn", "bbc-news-cnn1d"]
    assert len(course.roster) == 5
    assert not course.assignments["bbc-news-cnn1d"].show_score_before_deadline


def test_serve_without_the_extra_names_it(monkeypatch, tmp_path):
    import importlib.util

    from convgrade.cli import serve
    from convgrade.cli.main import cli

    real = importlib.util.find_spec
    monkeypatch.setattr(
        serve.importlib.util, "find_spec", lambda n, *a: None if n == "fastapi" else real(n, *a)
    )
    r = CliRunner().invoke(cli, ["serve", str(write_course(tmp_path))])
    assert r.exit_code == 2
    assert "pip install 'convgrade[service]'" in r.output and "fastapi" in r.output


def test_sqlite_writers_of_one_process_wait_their_turn_in_the_process(tmp_path):
    """A burst of uploads must not poll SQLite's lock in its growing sleeps (up to 100 ms
    each): a writer waits on the store's own lock, and starts the moment the one before ends."""
    store = open_store(f"sqlite:///{tmp_path / 'w.db'}")
    fill(store, 1)
    started, release = threading.Event(), threading.Event()
    entered: list[float] = []

    def first():
        with store.write() as s, s.begin():
            s.execute(text("UPDATE users SET name = 'a'"))
            started.set()
            release.wait(10)

    def second():
        with store.write() as s:  # waits here, not inside SQLite
            entered.append(time.monotonic())
            with s.begin():
                s.execute(text("UPDATE users SET name = 'b'"))

    a, b = threading.Thread(target=first), threading.Thread(target=second)
    a.start()
    assert started.wait(10)
    b.start()
    time.sleep(0.3)
    assert entered == []  # still queued behind the first writer
    released = time.monotonic()
    release.set()
    a.join(10)
    b.join(10)
    assert entered and entered[0] - released < 0.1
    with store.read() as s:
        assert s.scalar(text("SELECT name FROM users")) == "b"


def test_warm_up_prepares_every_assignments_data_before_the_first_upload(tmp_path, monkeypatch):
    from convgrade.grader import submit
    from convgrade.grader.service.grading import warm_up

    course = load_course(write_course(tmp_path))
    seen = []
    monkeypatch.setattr(submit, "prepare", lambda a, data: seen.append(a.name))
    assert warm_up(course) == [] and seen == ["digits-cnn"]

    def unavailable(a, data):
        raise ConvgradeError("no data set here")

    monkeypatch.setattr(submit, "prepare", unavailable)
    assert warm_up(course) == ["digits-cnn: no data set here"]


def test_writes_of_the_same_moment_commit_as_one_and_a_failing_one_alone(db_url):
    from convgrade.grader.service.store import GroupCommit

    store = open_store(db_url)
    group = GroupCommit(store)
    commits = []
    writing = store.writing

    def counted():
        commits.append(1)
        return writing()

    store.writing = counted
    n = 24
    start = threading.Barrier(n)
    got: dict[int, object] = {}

    def add(i: int):
        def work(conn):
            time.sleep(0.005)  # the others arrive meanwhile
            conn.execute(User.__table__.insert().values(id=f"u{i % (n - 1)}", role="student"))
            return i

        start.wait()
        try:
            got[i] = group.run(work)
        except Exception as exc:  # u0 twice: one of them is refused, alone
            got[i] = type(exc).__name__

    threads = [threading.Thread(target=add, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    refused = [i for i, v in got.items() if v == "IntegrityError"]
    assert len(refused) == 1 and refused[0] in (0, n - 1)
    assert sorted(v for v in got.values() if isinstance(v, int)) == sorted(
        set(range(n)) - set(refused)
    )
    with store.read() as s:
        assert s.scalar(text("SELECT count(*) FROM users")) == n - 1
    assert len(commits) < n / 2  # grouped: far fewer transactions than writes
