"""Devices and Keras backends: --device/--keras-backend, the worker's environment, the sandbox's
device nodes, and a real training run on the JAX backend (on the CPU here)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from convgrade.grader import devices
from convgrade.grader.devices import DeviceError, placement, worker_env
from convgrade.grader.isolation import available_backends, run_isolated
from convgrade.grader.isolation.backend_bwrap import sandbox_args
from convgrade.grader.limits import Limits

from tests.conftest import ROOT

GOOD = ROOT / "examples" / "submissions" / "digits-cnn" / "lecture_cnn.py"


@pytest.fixture
def fake_gpu(monkeypatch, tmp_path):
    """Pretend this machine has one NVIDIA GPU (device node files in a temporary folder)."""
    for name in ("nvidiactl", "nvidia-uvm", "nvidia0"):
        (tmp_path / name).touch()
    monkeypatch.setattr(devices, "NVIDIA_NODES", (str(tmp_path / "nvidia*"),))
    return tmp_path


@pytest.fixture
def no_gpu(monkeypatch, tmp_path):
    monkeypatch.setattr(devices, "NVIDIA_NODES", (str(tmp_path / "nvidia*"),))


def test_auto_is_the_gpu_when_there_is_one(fake_gpu):
    p = placement("auto", "jax", 0.125)
    assert (p.device, p.keras_backend) == ("gpu", "jax")
    assert [n.name for n in devices.device_nodes(p)] == ["nvidia-uvm", "nvidia0", "nvidiactl"]
    env = worker_env(p)
    assert env["KERAS_BACKEND"] == "jax"
    assert env["XLA_FLAGS"] == "--xla_gpu_deterministic_ops=true"  # one score per file
    assert env["TF_DETERMINISTIC_OPS"] == "1"
    assert env["XLA_PYTHON_CLIENT_MEM_FRACTION"] == "0.125"  # 8 jobs share one GPU
    assert env["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false"


def test_auto_is_the_cpu_without_a_gpu_and_gpu_is_refused(no_gpu):
    p = placement("auto", "tensorflow")
    assert p.device == "cpu" and devices.device_nodes(p) == []
    assert worker_env(p)["CUDA_VISIBLE_DEVICES"] == ""
    with pytest.raises(DeviceError, match="--device gpu: this machine has no NVIDIA GPU"):
        placement("gpu")
    with pytest.raises(DeviceError, match="--keras-backend: expected one of tensorflow, jax"):
        placement("cpu", "torch")
    with pytest.raises(DeviceError, match="--gpu-memory-fraction"):
        placement("cpu", "jax", 0)


def test_grade_submit_device_gpu_without_a_gpu_is_a_usage_error(no_gpu):
    from convgrade.cli.main import cli

    done = CliRunner().invoke(cli, ["submit", str(GOOD), "-a", "digits-cnn", "--device", "gpu"])
    assert done.exit_code == 2, done.output
    assert "--device gpu: this machine has no NVIDIA GPU" in done.output
    assert "Traceback" not in done.output


def test_bwrap_exposes_exactly_the_requested_device_nodes(tmp_path):
    args = sandbox_args(tmp_path, [], Limits(), [Path("/dev/nvidia0"), Path("/dev/nvidiactl")])
    pairs = [args[i : i + 3] for i, a in enumerate(args) if a == "--dev-bind-try"]
    assert pairs == [["--dev-bind-try", "/dev/nvidia0", "/dev/nvidia0"],
                     ["--dev-bind-try", "/dev/nvidiactl", "/dev/nvidiactl"]]  # fmt: skip
    assert "--dev-bind-try" not in sandbox_args(tmp_path, [], Limits())


def test_a_device_node_is_visible_in_the_sandbox_only_when_asked(tmp_path):
    if "bwrap" not in available_backends():
        pytest.skip("bubblewrap is not installed (.ci/run installs it)")
    node = next((p for p in (Path("/dev/kmsg"), Path("/dev/loop-control")) if p.exists()), None)
    if node is None:
        pytest.skip("no host-only device node to expose on this machine")
    code = f"import os; print(os.path.exists({str(node)!r}))"
    work = tmp_path / "w"
    work.mkdir()
    seen = run_isolated([sys.executable, "-c", code], workdir=work, backend="bwrap")
    asked = run_isolated([sys.executable, "-c", code], workdir=work, backend="bwrap",
                         devices=[node])  # fmt: skip
    assert (seen.stdout.strip(), asked.stdout.strip()) == ("False", "True")


@pytest.mark.tf
def test_the_jax_backend_trains_and_scores_deterministically(tmp_path):
    """Keras on JAX (the GPU path) on this machine's CPU: graded ok, twice the same score, and the
    result says which backend and device it trained on."""
    pytest.importorskip("jax", reason="jax is in the test extra")
    from convgrade.grader.assignment import load_assignment
    from convgrade.grader.submit import grade_submission

    where = placement("cpu", "jax")
    a = load_assignment("digits-cnn").replace(epochs=2)
    runs = [grade_submission(GOOD, a, out_dir=tmp_path / str(i), placement=where) for i in range(2)]
    assert [r.status for r in runs] == ["ok", "ok"], runs[0].message + runs[0].log[-2000:]
    assert runs[0].accuracy == runs[1].accuracy
    assert (runs[0].keras_backend, runs[0].device) == ("jax", "cpu")
