"""The Ray engine: a multi-node cluster on this machine grades a class; a node dies mid-batch.

Ray is started here with ``ray.cluster_utils.Cluster`` (a head and worker nodes, each its own
raylet with its own resources), the closest one machine comes to several. Every submission must
end with exactly one result, none lost, none duplicated in the gradebook.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from convgrade.grader.batch import run_batch
from convgrade.grader.executors import ExecutorError, get_executor

from tests.conftest import ROOT

LOOPBACK = "127.0.0.1"  # every node's servers (tests/grader/conftest.py sets Ray's local mode)
GOOD = ROOT / "examples" / "submissions" / "digits-cnn" / "lecture_cnn.py"
BROKEN = ROOT / "examples" / "submissions" / "broken" / "wrong_output_shape.py"


def test_nothing_imports_ray_without_the_ray_engine(tmp_path):
    code = (
        "import sys\n"
        "from convgrade.grader.batch import run_batch\n"
        "from convgrade.grader.executors import get_executor\n"
        "import convgrade.cli.batch\n"
        "with get_executor('local', workers=1) as ex:\n"
        "    assert ex.submit('job', len, 'abc').result() == 3\n"
        "assert 'ray' not in sys.modules, 'ray imported'\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_engine_errors_name_the_option():
    with pytest.raises(
        ExecutorError, match="--engine: unknown engine 'spark'; expected one of local, ray"
    ):
        get_executor("spark")
    with pytest.raises(ExecutorError, match="--cpus-per-job"):
        get_executor("ray", cpus_per_job=0)
    with pytest.raises(ExecutorError, match="--gpus-per-job"):
        get_executor("ray", gpus_per_job=1.5)
    with pytest.raises(ExecutorError, match="--workers"):
        get_executor("local", workers=0)


@pytest.fixture(scope="module")
def cluster():
    """A head with no CPUs (it only schedules) and two worker nodes of one CPU each."""
    ray = pytest.importorskip("ray", reason="the ray extra is part of the test extra")
    from ray.cluster_utils import Cluster

    c = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 0, "include_dashboard": False, "node_ip_address": LOOPBACK},
    )
    nodes = [c.add_node(num_cpus=1, node_ip_address=LOOPBACK) for _ in range(2)]
    ray.init(address=c.address, log_to_driver=False, _node_ip_address=LOOPBACK)
    try:
        yield c, nodes
    finally:
        ray.shutdown()
        c.shutdown()


def test_a_dead_node_loses_no_submission_and_duplicates_none(cluster, tmp_path):
    """Kill a worker node while it grades: its task runs again elsewhere; one result each."""
    from convgrade.grader.submit import grade_submission

    c, nodes = cluster
    folder = tmp_path / "class"
    folder.mkdir()
    students = [f"s{i}" for i in range(5)]
    for i, s in enumerate(students):
        src = BROKEN if i == 3 else GOOD
        (folder / f"{s}.py").write_text(src.read_text())

    started = tmp_path / "started"
    started.mkdir()

    def grade(path, out):
        import os

        import ray

        node = ray.get_runtime_context().get_node_id()
        (started / f"{path.parent.name}.{node}.{os.getpid()}").touch()
        return grade_submission(path, "digits-cnn", out_dir=out, backend="auto")

    victims: list[str] = []

    def on_done(student, result, counts):
        if victims:
            return
        # a node that is grading a student right now (started, no result yet) dies
        finished = {p.parent.name for p in (tmp_path / "out").glob("*/result.json")}
        running = {m.name.split(".")[1]: m.name.split(".")[0] for m in started.iterdir()}
        for node in nodes:
            if running.get(node.node_id) not in (None, *finished):
                victims.append(running[node.node_id])
                c.remove_node(node, allow_graceful=False)
                c.add_node(num_cpus=1, node_ip_address=LOOPBACK)  # still two workers
                return

    executor = get_executor("ray", cpus_per_job=1)  # joins the running cluster
    summary = run_batch(folder, tmp_path / "out", grade, executor=executor, on_done=on_done)
    executor.shutdown()
    assert victims, "no node was killed while grading"
    attempts = [m.name.split(".")[0] for m in started.iterdir()]
    assert attempts.count(victims[0]) == 2, attempts  # its job ran again on another node
    out = tmp_path / "out"
    results = {s: json.loads((out / s / "result.json").read_text()) for s in students}
    assert {s: r["student"] for s, r in results.items()} == {s: s for s in students}
    statuses = {s: r["status"] for s, r in results.items()}
    assert statuses == {**{s: "ok" for s in students if s != "s3"}, "s3": "bad-shape"}, statuses
    canvas = list(csv.reader(io.StringIO((out / "gradebook-canvas.csv").read_text())))
    assert sorted(row[0] for row in canvas[2:]) == students  # each student exactly once
    assert summary.graded == 5 and sum(summary.counts.values()) == 5
    assert not (out / ".staging").exists()
