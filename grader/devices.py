"""Where a submission trains: the Keras backend and the device, and what the sandbox needs for it.

``--device auto|cpu|gpu`` and ``--keras-backend tensorflow|jax`` (or ``[training] backend`` in
an assignment) choose a :class:`Placement`. The grader turns it into the worker's environment
(backend, visible devices, determinism flags, a per-job GPU memory cap) and the device nodes the
sandbox exposes — on a GPU job the NVIDIA device nodes and nothing else of ``/dev``.

>>> p = placement("cpu", "jax")
>>> p.device, p.keras_backend, worker_env(p)["JAX_PLATFORMS"], worker_env(p)["CUDA_VISIBLE_DEVICES"]
('cpu', 'jax', 'cpu', '')
>>> device_nodes(p)
[]
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path

from convgrade.exercises.errors import ConvgradeError

DEVICES = ("auto", "cpu", "gpu")
KERAS_BACKENDS = ("tensorflow", "jax")

#: NVIDIA's device nodes: the control and UVM nodes, one per GPU, and the capability nodes.
NVIDIA_NODES = ("/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/nvidia[0-9]*",
                "/dev/nvidia-caps/*")  # fmt: skip


class DeviceError(ConvgradeError):
    """The requested device or backend cannot be used here."""


@dataclass(frozen=True)
class Placement:
    """What one grading run trains on. ``gpu_memory_fraction`` caps its share of one GPU."""

    device: str = "cpu"
    keras_backend: str = "tensorflow"
    gpu_memory_fraction: float = 1.0

    def describe(self) -> str:
        return f"Keras {self.keras_backend} on {self.device}"


def nvidia_nodes() -> list[Path]:
    """The NVIDIA device nodes present on this machine (empty without a GPU driver)."""
    found: list[Path] = []
    for pattern in NVIDIA_NODES:
        found += [Path(p) for p in sorted(glob.glob(pattern))]
    return found


def placement(
    device: str = "auto", keras_backend: str = "tensorflow", gpu_memory_fraction: float = 1.0
) -> Placement:
    """Resolve ``device`` (``auto``: a GPU when this machine has one) and check the choices."""
    if device not in DEVICES:
        raise DeviceError(f"--device: expected one of {', '.join(DEVICES)}, got {device!r}")
    if keras_backend not in KERAS_BACKENDS:
        raise DeviceError(
            f"--keras-backend: expected one of {', '.join(KERAS_BACKENDS)}, got {keras_backend!r}"
        )
    if not 0 < gpu_memory_fraction <= 1:
        raise DeviceError(
            f"--gpu-memory-fraction: expected a number in (0, 1], got {gpu_memory_fraction}"
        )
    has_gpu = any(p.name.startswith("nvidia") and p.name[6:].isdigit() for p in nvidia_nodes())
    if device == "gpu" and not has_gpu:
        raise DeviceError("--device gpu: this machine has no NVIDIA GPU (no /dev/nvidia0)")
    resolved = "gpu" if device == "gpu" or (device == "auto" and has_gpu) else "cpu"
    return Placement(resolved, keras_backend, gpu_memory_fraction)


def worker_env(p: Placement) -> dict[str, str]:
    """Environment variables for the worker: backend, devices, determinism, memory cap."""
    env = {"KERAS_BACKEND": p.keras_backend}
    if p.device == "cpu":
        env.update({"CUDA_VISIBLE_DEVICES": "", "JAX_PLATFORMS": "cpu"})
        return env
    fraction = f"{p.gpu_memory_fraction:g}"
    env.update({
        "JAX_PLATFORMS": "cuda,cpu",
        # the same scores on every run: deterministic GPU kernels (XLA for JAX, cuDNN for TF)
        "XLA_FLAGS": "--xla_gpu_deterministic_ops=true",
        "TF_DETERMINISTIC_OPS": "1",
        "TF_CUDNN_DETERMINISTIC": "1",
        # several jobs share one GPU: no job takes all its memory
        "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
        "XLA_PYTHON_CLIENT_MEM_FRACTION": fraction,
        "TF_FORCE_GPU_ALLOW_GROWTH": "true",
        "CONVGRADE_GPU_MEMORY_FRACTION": fraction,
    })  # fmt: skip
    return env


def device_nodes(p: Placement) -> list[Path]:
    """Device nodes the sandbox must expose for ``p`` (none for the CPU)."""
    return nvidia_nodes() if p.device == "gpu" else []
