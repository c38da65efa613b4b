"""The service attacked as a student would: other students' submissions, instructor routes,
forged forms, oversized or disguised uploads, path tricks in file names, token guessing."""

from __future__ import annotations

import re

import httpx

from tests.grader.service.conftest import FakeGrade, serving
from tests.grader.service.test_web import GOOD, upload


def test_a_student_sees_and_acts_only_on_their_own_submissions(course_path, db_url):
    with serving(course_path, db_url, FakeGrade()) as srv, srv.client("s1") as alice:
        mine = upload(alice).json()["id"]
        srv.wait_done(mine)
        with srv.client("s2") as mallory:
            for path in (f"/api/submissions/{mine}", f"/api/submissions/{mine}/events",
                         f"/submissions/{mine}", f"/submissions/{mine}/report"):  # fmt: skip
                r = mallory.get(path)
                assert r.status_code == 404, path  # not even whether it exists
            assert mallory.get("/api/submissions").json() == []
            assert alice.get(f"/api/submissions/{mine}").status_code == 200
            # instructor routes need an instructor token
            for method, path in (("GET", "/instructor"),
                                 ("GET", "/instructor/gradebook/digits-cnn/canvas.csv"),
                                 ("POST", "/instructor/regrade")):  # fmt: skip
                data = {"assignment": "digits-cnn"} if method == "POST" else None
                assert mallory.request(method, path, data=data).status_code == 403, path
        with httpx.Client(base_url=srv.url) as anonymous:
            assert anonymous.get(f"/api/submissions/{mine}").status_code == 401
            assert anonymous.get("/instructor").status_code == 401
            assert upload(anonymous).status_code == 401


def test_forms_need_the_csrf_token(course_path, db_url):
    with serving(course_path, db_url, FakeGrade()) as srv:
        browser = httpx.Client(base_url=srv.url, follow_redirects=False)
        r = browser.post("/login", data={"token": srv.tokens["s1"]})
        assert r.status_code == 303 and "convgrade_token" in r.headers["set-cookie"]
        assert "samesite=strict" in r.headers["set-cookie"].lower()
        page = browser.get("/submissions").text
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
        files = {"file": ("mine.py", GOOD)}
        for forged in ({}, {"csrf": "0" * 64}):
            r = browser.post("/submissions", data={"assignment": "digits-cnn", **forged},
                             files=files)  # fmt: skip
            assert r.status_code == 403 and "CSRF" in r.text
        assert browser.get("/api/submissions").json() == []  # nothing was queued
        r = browser.post("/submissions", data={"assignment": "digits-cnn", "csrf": csrf},
                         files=files)  # fmt: skip
        assert r.status_code == 303 and r.headers["location"].startswith("/submissions/")
        # the instructor's forms too
        teacher = httpx.Client(base_url=srv.url)
        teacher.post("/login", data={"token": srv.tokens["instructor"]})
        r = teacher.post("/instructor/regrade", data={"assignment": "digits-cnn"})
        assert r.status_code == 403 and "CSRF" in r.text


def test_uploads_are_capped_checked_and_stored_under_server_names(course_path, db_url, tmp_path):
    with serving(course_path, db_url, FakeGrade()) as srv, srv.client("s1") as c:
        r = upload(c, data=b"#" * (64 * 1024 + 1))
        assert r.status_code == 413
        bad = [("model.exe", GOOD), ("notes.txt", GOOD), ("noext", GOOD),
               ("x.py", b"\x00\x01binary"), ("x.py", b"\xff\xfe"),
               ("nb.ipynb", b"not json"), ("nb.ipynb", b'{"no": "cells"}')]  # fmt: skip
        for name, data in bad:
            r = upload(c, name=name, data=data)
            assert r.status_code == 415, (name, r.text)
        assert c.get("/api/submissions").json() == []
        target = tmp_path / "escaped.py"
        r = upload(c, name=f"../../../../{target}", data=GOOD)
        assert r.status_code == 201
        v = srv.wait_done(r.json()["id"])
        assert v["file"] == "escaped.py" and not target.exists()
        assert srv.grade.calls == [GOOD.decode()]


def test_sign_in_attempts_are_rate_limited(course_path, db_url):
    with serving(course_path, db_url, FakeGrade(), login_limit=5) as srv:
        guesser = httpx.Client(base_url=srv.url)
        codes = [guesser.post("/login", data={"token": f"guess{i}"}).status_code for i in range(5)]
        assert codes == [401] * 5
        # now even the right token is refused from this address, on the form and the API
        assert guesser.post("/login", data={"token": srv.tokens["s1"]}).status_code == 429
        r = guesser.get("/api/me", headers={"Authorization": f"Bearer {srv.tokens['s1']}"})
        assert r.status_code == 429


def test_tokens_are_stored_only_as_hashes(course_path, db_url):
    from convgrade.grader.service.store import User
    from sqlalchemy import select

    with serving(course_path, db_url, FakeGrade()) as srv, srv.store.read() as s:
        stored = {u.id: u.token_hash for u in s.scalars(select(User))}
    for uid, token in srv.tokens.items():
        assert stored[uid] != token and len(stored[uid]) == 64 and token not in stored.values()
