"""Durability: SIGKILL a real `grade serve` mid-grading, start it again: every accepted
submission is graded exactly once, none is lost, none half-written (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time

import httpx
from convgrade.grader.service.store import Event, Submission, open_store
from sqlalchemy import func, select

from tests.conftest import ROOT
from tests.grader.service.conftest import STUDENTS, TINY, free_port, write_course

N = 3


def start(course, db, port) -> subprocess.Popen:
    proc = subprocess.Popen(
        # --worker-nice 0: on a CI machine busy with other jobs, grading at the default
        # lower priority would be starved past the test's deadlines
        [sys.executable, "-m", "convgrade", "serve", str(course), "--db", db, "--workers", "2",
         "--port", str(port), "--worker-nice", "0"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/me").status_code == 401:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"grade serve did not start: {proc.stderr.read().decode()[-2000:]}")


def test_sigkill_mid_grading_loses_nothing_and_grades_once(tmp_path, db_url, grade):
    course = write_course(tmp_path)
    r = grade(
        "tokens", str(tmp_path / "roster.csv"), "--db", db_url, "--out", str(tmp_path / "t.csv")
    )
    assert r.returncode == 0, r.stderr
    rows = csv.DictReader(io.StringIO((tmp_path / "t.csv").read_text()))
    tokens = {row["student_id"]: row["token"] for row in rows}
    assert set(tokens) == {*STUDENTS, "instructor"}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start(course, db_url, port)
    store = open_store(db_url)
    try:
        ids = []
        for who in STUDENTS[:N]:
            r = httpx.post(f"{url}/api/submissions", data={"assignment": "digits-cnn"},
                           files={"file": ("tiny.py", TINY.encode())},
                           headers={"Authorization": f"Bearer {tokens[who]}"})  # fmt: skip
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        # wait until grading is under way (a job has reported progress), then kill the server
        deadline = time.monotonic() + 180
        while True:
            with store.read() as s:
                started = s.scalar(select(func.count()).select_from(Event))
            if started:
                break
            assert time.monotonic() < deadline, "grading never started"
            time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        with store.read() as s:
            rows = s.scalars(select(Submission)).all()
            interrupted = [r.id for r in rows if r.status == "running"]
        assert interrupted, "the kill was meant to land mid-grading"
        assert len(rows) == N and sorted(r.id for r in rows) == sorted(ids)
        # start again: the interrupted jobs are queued again and everything gets graded
        proc = start(course, db_url, port)
        deadline = time.monotonic() + 300
        while True:
            with store.read() as s:
                rows = s.scalars(select(Submission).order_by(Submission.id)).all()
            if all(r.status == "done" for r in rows):
                break
            assert time.monotonic() < deadline, [(r.id, r.status) for r in rows]
            time.sleep(0.5)
        assert [r.id for r in rows] == sorted(ids)  # none lost, none duplicated
        for row in rows:
            result = json.loads(row.result)  # whole, parseable, consistent
            assert result["status"] == row.result_status == "ok", result.get("message")
            assert row.final_score == result["score"]
            assert row.attempt == (2 if row.id in interrupted else 1)
        gb = httpx.get(f"{url}/instructor/gradebook/digits-cnn/moodle.csv",
                       headers={"Authorization": f"Bearer {tokens['instructor']}"})  # fmt: skip
        students = [row[0] for row in csv.reader(io.StringIO(gb.text))][1:]
        assert sorted(students) == sorted(STUDENTS)  # each student exactly once
        feedback = {row[0]: row[4] for row in csv.reader(io.StringIO(gb.text))}
        # graded ok ("7/10 points"), not "missing" or "error: ..."
        assert all(feedback[s].endswith(" points") for s in STUDENTS[:N]), feedback
    finally:
        proc.kill()
        proc.wait(timeout=30)
        store.engine.dispose()
