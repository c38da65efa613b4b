"""What a waiting student costs the server: an open event stream and repeated status requests
read the database only when this process changed something (SQLite and PostgreSQL), and still
show every change at once; a signed-in token is remembered only for a while."""

from __future__ import annotations

import threading
import time

from convgrade.grader.service import app as service_app
from convgrade.grader.service.auth import hash_token, new_token
from convgrade.grader.service.store import User
from sqlalchemy import event

from tests.grader.service.conftest import FakeGrade, serving
from tests.grader.service.test_web import sse, upload


class Statements:
    """Counts the SQL statements an engine runs."""

    def __init__(self, engine) -> None:
        self.n = 0
        self.seen: list[str] = []
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, conn, cursor, statement, *args) -> None:
        self.n += 1
        self.seen.append(statement)


def running(srv, c, sub_id: int) -> None:
    """Wait until the job is held inside the (stand-in) grading."""
    deadline = time.monotonic() + 20
    while c.get(f"/api/submissions/{sub_id}").json()["status"] != "running" or not srv.grade.calls:
        assert time.monotonic() < deadline, "the job was not claimed"
        time.sleep(0.02)


def test_an_open_stream_waits_without_reading_the_database(course_path, db_url):
    fake = FakeGrade(hold=True)
    with serving(course_path, db_url, fake) as srv, srv.client("s1") as c:
        sub = upload(c).json()["id"]
        running(srv, c, sub)
        got: list = []
        follower = threading.Thread(target=lambda: got.extend(sse(c, sub)), daemon=True)
        statements = Statements(srv.store.engine)
        follower.start()
        time.sleep(1.5)  # the stream sent "running" and waits; the old one read every 0.25 s
        assert statements.n <= 5, statements.n
        released = time.monotonic()
        fake.gate.set()
        follower.join(timeout=30)
        # the executor's writes wake the stream: well before its slow re-check (5 s)
        assert time.monotonic() - released < service_app.SSE_RECHECK_S - 2
        kinds = [k for k, _ in got]
        assert kinds.count("progress") == 2 and kinds[-1] == "result"
        assert got[-1][1]["result"]["status"] == "ok"


def test_status_is_served_from_memory_until_the_server_changes_the_job(course_path, db_url):
    fake = FakeGrade(hold=True)
    with serving(course_path, db_url, fake) as srv, srv.client("s1") as c:
        first = upload(c).json()["id"]
        running(srv, c, first)
        with srv.client("s2") as c2:
            second = upload(c2).json()["id"]
            assert c2.get(f"/api/submissions/{second}").json()["position"] == 1
            c.get(f"/api/submissions/{first}")  # read after the claim's notice (a race otherwise)
            statements = Statements(srv.store.engine)
            for _ in range(20):
                assert c.get(f"/api/submissions/{first}").json()["status"] == "running"
                assert c2.get(f"/api/submissions/{second}").json()["position"] == 1
            assert statements.n == 0, statements.seen  # the old endpoint read the database 40 times
            # another student's submission still looks missing, cached or not
            assert c2.get(f"/api/submissions/{first}").status_code == 404
            fake.gate.set()
            done = srv.wait_done(first, timeout=30)
            assert done["result"]["status"] == "ok" and done["final_score"] == 7.0
            # the first job's end and the second's claim are seen at once, not after a TTL
            v = srv.wait_done(second, timeout=30)
            assert v["status"] == "done" and v["position"] == 0
        with srv.client("instructor") as t:
            again = t.post(
                "/instructor/regrade", data={"assignment": "digits-cnn", "student": "s1"}
            )
            assert again.json() == {"requeued": 1}
        after = c.get(f"/api/submissions/{first}").json()
        assert after["status"] in ("queued", "running") and "result" not in after


def test_a_replaced_token_stops_working_once_its_cache_entry_expires(
    course_path, db_url, monkeypatch
):
    monkeypatch.setattr(service_app, "TOKEN_CACHE_S", 0.3)
    with serving(course_path, db_url, FakeGrade()) as srv, srv.client("s1") as c:
        assert c.get("/api/me").json()["id"] == "s1"
        fresh = new_token()  # `grade tokens` run again, by another process
        with srv.store.write() as s, s.begin():
            s.get(User, "s1").token_hash = hash_token(fresh)
        time.sleep(0.4)
        assert c.get("/api/me").status_code == 401
        with srv.client() as anon:
            r = anon.get("/api/me", headers={"Authorization": f"Bearer {fresh}"})
        assert r.json()["id"] == "s1"
