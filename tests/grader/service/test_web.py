"""The service over real HTTP (uvicorn on 127.0.0.1), on SQLite and PostgreSQL: the student's
API flow, SSE progress, limits, late penalty, hidden scores, regrades and gradebooks. Grading is
a stand-in here (FakeGrade); test_durability and test_browser grade for real."""

from __future__ import annotations

import csv
import io
import json

from tests.grader.service.conftest import FakeGrade, serving, write_course

GOOD = b"def build_model(task):\n    return None\n"


def upload(c, name="mine.py", data=GOOD, assignment="digits-cnn"):
    return c.post("/api/submissions", data={"assignment": assignment},
                  files={"file": (name, data, "text/x-python")})  # fmt: skip


def sse(c, sub_id: int) -> list[tuple[str, dict]]:
    out, name = [], None
    with c.stream("GET", f"/api/submissions/{sub_id}/events") as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                out.append((name, json.loads(line[5:])))
    return out


def test_upload_queue_progress_result_and_gradebooks(course_path, db_url):
    fake = FakeGrade(hold=True)
    with serving(course_path, db_url, fake) as srv, srv.client("s1") as c:
        r = upload(c)
        assert r.status_code == 201, r.text
        first = r.json()
        # the job is a row before the upload returns: visible while grading is held
        v = c.get(f"/api/submissions/{first['id']}").json()
        assert v["status"] in ("queued", "running") and first["position"] == 1
        fake.gate.set()
        events = sse(c, first["id"])
        kinds = [k for k, _ in events]
        assert kinds[-2:] == ["status", "result"] and events[-2][1]["status"] == "done"
        progress = [d for k, d in events if k == "progress"]
        assert progress == [{"stage": "train", "params": 1234, "epochs": 1},
                            {"epoch": 1, "epochs": 1, "loss": 0.5, "accuracy": 0.8}]  # fmt: skip
        final = events[-1][1]
        assert final["status"] == "done" and final["result"]["status"] == "ok"
        assert final["final_score"] == 7.0
        assert fake.calls == [GOOD.decode()]
        listed = c.get("/api/submissions").json()
        assert [s["id"] for s in listed] == [first["id"]]
        with srv.client("instructor") as t:
            canvas = t.get("/instructor/gradebook/digits-cnn/canvas.csv")
            moodle = t.get("/instructor/gradebook/digits-cnn/moodle.csv")
            dash = t.get("/instructor")
        rows = list(csv.reader(io.StringIO(canvas.text)))
        assert rows[1][0] == "    Points Possible" and rows[1][-1] == "10"  # as Canvas exports it
        assert {r[2]: r[-1] for r in rows[2:]} == {"s1": "7", **{f"s{i}": "0" for i in range(2, 7)}}
        mrows = list(csv.reader(io.StringIO(moodle.text)))
        assert mrows[0][:3] == ["ID number", "Full name", "Email address"]
        assert mrows[0][3].startswith("Handwritten digits") and mrows[0][4] == "Feedback"
        s1 = next(r for r in mrows if r[0] == "s1")
        assert s1[1:4] == ["Student s1", "s1@example.edu", "7"] and s1[4].startswith("7/10")
        assert dash.status_code == 200 and "1 graded" in dash.text


def test_one_in_the_queue_and_the_submission_limit(tmp_path, db_url):
    course = write_course(
        tmp_path,
        assignment='name = "digits-cnn"\ndeadline = 2099-01-01T00:00:00Z\nmax_submissions = 2\n'
        'window = "24h"\n',
    )
    fake = FakeGrade(hold=True)
    with serving(course, db_url, fake) as srv, srv.client("s1") as c:
        first = upload(c).json()
        again = upload(c)
        assert again.status_code == 409 and "already" in again.json()["error"]
        with srv.client("s2") as other:  # another student is not held up
            assert upload(other).status_code == 201
        fake.gate.set()
        srv.wait_done(first["id"])
        second = upload(c)
        assert second.status_code == 201
        srv.wait_done(second.json()["id"])
        third = upload(c)
        assert third.status_code == 429 and "2 per 24 h" in third.json()["error"]


def test_late_submissions_lose_the_daily_penalty(tmp_path, db_url):
    late = write_course(
        tmp_path / "late",
        assignment='name = "digits-cnn"\ndeadline = 2020-01-01T00:00:00Z\n'
        "late_penalty_per_day = 0.0001\nhard_cutoff = 2099-01-01T00:00:00Z\n",
    )
    with serving(late, db_url, FakeGrade()) as srv, srv.client("s1") as c:
        sub = upload(c).json()
        v = srv.wait_done(sub["id"])
        assert v["late_days"] > 2000
        assert v["final_score"] == round(7.0 * (1 - v["late_days"] * 0.0001), 2) < 7.0


def test_closed_assignment_refuses_uploads(tmp_path, db_url):
    closed = write_course(
        tmp_path / "closed",
        assignment='name = "digits-cnn"\ndeadline = 2020-01-01T00:00:00Z\n'
        "hard_cutoff = 2020-01-02T00:00:00Z\n",
    )
    with serving(closed, db_url, FakeGrade()) as srv, srv.client("s1") as c:
        r = upload(c)
        assert r.status_code == 403 and "closed" in r.json()["error"]


def test_scores_hidden_before_the_deadline(tmp_path, db_url):
    course = write_course(
        tmp_path,
        assignment='name = "digits-cnn"\ndeadline = 2099-01-01T00:00:00Z\n'
        "show_score_before_deadline = false\n",
    )
    with serving(course, db_url, FakeGrade()) as srv, srv.client("s1") as c:
        sub = upload(c).json()
        srv.wait_done(sub["id"])
        v = c.get(f"/api/submissions/{sub['id']}").json()
        assert v["score_visible"] is False and "final_score" not in v
        assert v["result"]["status"] == "ok" and "accuracy" not in v["result"]
        assert c.get(f"/submissions/{sub['id']}/report").status_code == 403
        with srv.client("instructor") as t:  # the instructor sees everything
            assert t.get(f"/api/submissions/{sub['id']}").json()["final_score"] == 7.0


def test_instructor_regrades_one_student_and_a_whole_assignment(course_path, db_url):
    fake = FakeGrade()
    with serving(course_path, db_url, fake) as srv:
        ids = {}
        for who in ("s1", "s2"):
            with srv.client(who) as c:
                ids[who] = upload(c, data=f"# {who}\n".encode()).json()["id"]
                srv.wait_done(ids[who])
        with srv.client("instructor") as t:
            r = t.post("/instructor/regrade", data={"assignment": "digits-cnn", "student": "s1"})
            assert r.json() == {"requeued": 1}
            srv.wait_done(ids["s1"])
            assert sorted(fake.calls) == ["# s1\n", "# s1\n", "# s2\n"]
            r = t.post("/instructor/regrade", data={"assignment": "digits-cnn"})
            assert r.json() == {"requeued": 2}
            for i in ids.values():
                srv.wait_done(i)
        assert len(fake.calls) == 5


def test_cli_submit_to_the_server(course_path, db_url, grade, tmp_path):
    with serving(course_path, db_url, FakeGrade()) as srv:
        env = {"CONVGRADE_TOKEN": srv.tokens["s1"], "XDG_CONFIG_HOME": str(tmp_path)}
        good = tmp_path / "good.py"
        good.write_text("# fine\n")
        r = grade("submit", str(good), "-a", "digits-cnn", "--server", srv.url, env=env)
        assert r.returncode == 0, r.stderr
        assert "place 1 in the queue" in r.stderr
        assert "epoch 1/1  loss 0.5000  accuracy 0.8000" in r.stderr
        assert "status      ok (graded)" in r.stdout and "points      7 / 10" in r.stdout
        bad = tmp_path / "bad.py"
        bad.write_text("# FAIL\n")
        r = grade("submit", str(bad), "-a", "digits-cnn", "--server", srv.url, env=env)
        assert r.returncode == 1 and "message     it broke" in r.stdout
        r = grade("submit", str(bad), "-a", "nope", "--server", srv.url, env=env)
        assert r.returncode == 2 and "no assignment 'nope'" in r.stderr
        assert "Traceback" not in r.stderr
        # grade login checks the token and stores it; submit then needs no environment token
        r = grade(
            "login", srv.url, "--token", srv.tokens["s2"], env={"XDG_CONFIG_HOME": str(tmp_path)}
        )
        assert r.returncode == 0 and "as s2" in r.stdout
        stored = json.loads((tmp_path / "convgrade" / "tokens.json").read_text())
        assert stored == {srv.url: srv.tokens["s2"]}
        r = grade("submit", str(good), "-a", "digits-cnn", "--server", srv.url,
                  env={"XDG_CONFIG_HOME": str(tmp_path)})  # fmt: skip
        assert r.returncode == 0 and "points      7 / 10" in r.stdout
        r = grade("login", srv.url, "--token", "wrong", env={"XDG_CONFIG_HOME": str(tmp_path)})
        assert r.returncode == 2 and "sign in" in r.stderr


def test_a_grader_failure_is_that_submissions_error_and_the_service_goes_on(course_path, db_url):
    """The job is batch's (grade_copy): a grader bug or a grading refusal becomes the
    submission's "error" result with the assignment's points possible; the next one is graded."""
    from convgrade.exercises.errors import ConvgradeError

    fake = FakeGrade()

    def grade(path, ca, progress):
        text = path.read_text()
        if "BUG" in text:
            raise RuntimeError("grader bug")
        if "REFUSE" in text:
            raise ConvgradeError("no data for digits-cnn")
        return fake(path, ca, progress)

    with serving(course_path, db_url, grade) as srv:
        results = []
        for who, body in (("s1", b"# BUG\n"), ("s2", b"# REFUSE\n"), ("s3", GOOD)):
            with srv.client(who) as c:
                r = upload(c, data=body)
                assert r.status_code == 201, r.text
            results.append(srv.wait_done(r.json()["id"])["result"])
    bug, refused, ok = results
    assert bug["status"] == "error" and bug["max_score"] == 10
    assert bug["message"] == "internal error: RuntimeError: grader bug"
    assert refused["status"] == "error"
    assert refused["message"] == "could not grade: no data for digits-cnn"
    assert ok["status"] == "ok" and fake.calls == [GOOD.decode()]
