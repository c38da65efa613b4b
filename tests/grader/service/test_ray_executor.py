"""The course service on the Ray executor: uploads are graded as Ray tasks, for real, and the
results land in the database and the gradebook as with the local pool."""

from __future__ import annotations

import csv
import io

import pytest

from tests.conftest import ROOT
from tests.grader.service.conftest import serving
from tests.grader.service.test_web import upload

LECTURE = (ROOT / "examples" / "submissions" / "digits-cnn" / "lecture_cnn.py").read_bytes()
BROKEN = (ROOT / "examples" / "submissions" / "broken" / "wrong_output_shape.py").read_bytes()


@pytest.mark.tf
def test_uploads_are_graded_as_ray_tasks(course_path, tmp_path):
    ray = pytest.importorskip("ray", reason="the ray extra is part of the test extra")
    from convgrade.grader.executors import get_executor

    executor = get_executor("ray", workers=2)  # a single-node Ray here with 2 CPUs
    assert executor.remote
    try:
        with serving(course_path, f"sqlite:///{tmp_path}/db.sqlite", executor=executor) as srv:
            with srv.client("s1") as c1, srv.client("s2") as c2:
                good = upload(c1, data=LECTURE).json()["id"]
                bad = upload(c2, data=BROKEN).json()["id"]
            done = {sid: srv.wait_done(sid, timeout=600) for sid in (good, bad)}
            with srv.client("instructor") as t:
                canvas = t.get("/instructor/gradebook/digits-cnn/canvas.csv").text
    finally:
        if ray.is_initialized():
            ray.shutdown()
    assert done[good]["result"]["status"] == "ok", done[good]["result"].get("message")
    assert done[bad]["result"]["status"] == "bad-shape"
    scores = {r[0]: r[-1] for r in list(csv.reader(io.StringIO(canvas)))[2:]}
    assert done[good]["result"]["accuracy"] > 0.2  # it trained (10 classes: chance is 0.1)
    assert float(scores["s1"]) == done[good]["final_score"]
    assert float(scores["s2"]) == 0
