"""The Ray executor: each job is a Ray task with declared resources, on any node of a cluster.

``grade batch --engine ray`` (and the course service with ``--engine ray``) connect to a running
cluster (``--ray-address``, e.g. ``auto`` on a cluster node or ``HOST:6379``) or, without one,
start a single-node Ray on this machine. Every node needs the same convgrade installation (and
the assignment's data at the same path, or a data set it can download): the job loads the data
on its node, in the grading process, so test labels never enter any sandbox. A task whose node
dies is run again elsewhere (``max_retries``); a submission's own failure is a result, not a
retry, so every submission ends with exactly one result.

Requires the optional extra: ``pip install 'convgrade[ray]'``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from convgrade.grader.executors import DoneCallback, Executor, ExecutorError

#: Ray's single-machine mode (read when Ray is imported): nodes on 127.0.0.1, no listening on
#: other interfaces, and "127.0.0.1:PORT" addresses are not rewritten to the machine's own IP.
LOOPBACK_ONLY = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"


def _call(fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """What a Ray task runs: the job, unchanged."""
    return fn(*args, **kwargs)


class RayExecutor(Executor):
    """Ray tasks with ``cpus_per_job`` CPUs, ``gpus_per_job`` GPUs (fractions share one GPU)
    and ``memory_per_job`` bytes reserved each; ``address`` names the cluster (``None``: start
    a local single-node Ray)."""

    name = "ray"
    remote = True

    def __init__(
        self,
        address: str | None = None,
        *,
        cpus_per_job: float = 1.0,
        gpus_per_job: float = 0.0,
        memory_per_job: int | None = None,
        max_retries: int = 3,
        workers: int | None = None,
    ) -> None:
        super().__init__()
        if address is None:  # a Ray of our own on this machine: its servers on loopback only
            os.environ.setdefault(LOOPBACK_ONLY, "0")
        try:
            import ray
        except ImportError:
            raise ExecutorError("--engine ray needs Ray: pip install 'convgrade[ray]'") from None
        if cpus_per_job <= 0:
            raise ExecutorError(f"--cpus-per-job: expected a number > 0, got {cpus_per_job}")
        if gpus_per_job < 0 or (gpus_per_job > 1 and gpus_per_job != int(gpus_per_job)):
            raise ExecutorError(
                f"--gpus-per-job: expected a fraction of one GPU or a whole number, "
                f"got {gpus_per_job}"
            )
        self._ray = ray
        self._started = False
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {
                "log_to_driver": False,
                "include_dashboard": False,
                "configure_logging": False,
            }
            if address is None:
                kwargs["_node_ip_address"] = "127.0.0.1"
                if workers is not None:
                    kwargs["num_cpus"] = int(workers * cpus_per_job)
            try:
                ray.init(address=address or "local", **kwargs)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = address or "a local Ray"
                raise ExecutorError(
                    f"--ray-address: cannot start or reach {where}: {exc}"
                ) from None
            self._started = True
        options: dict[str, Any] = {
            "num_cpus": cpus_per_job,
            "num_gpus": gpus_per_job,
            "max_retries": max_retries,
            "retry_exceptions": False,
        }
        if memory_per_job:
            options["memory"] = int(memory_per_job)
        self.cpus_per_job, self.gpus_per_job = cpus_per_job, gpus_per_job
        self._task = ray.remote(_call).options(**options)

    def submit(
        self, job_id: Any, fn: Callable[..., Any], *args: Any, on_done: DoneCallback | None = None
    ) -> Future:
        ref = self._task.remote(fn, args, {})
        return self._track(job_id, ref, ref.future(), on_done)

    def shutdown(self, wait: bool = True) -> None:
        refs = self._handles()
        if wait:
            with contextlib.suppress(Exception):
                self._ray.wait(refs, num_returns=len(refs))
        else:
            for ref in refs:
                with contextlib.suppress(Exception):
                    self._ray.cancel(ref, force=True)
        if self._started:
            self._ray.shutdown()
            self._started = False

    @property
    def capacity(self) -> int:  # type: ignore[override]
        """Jobs the cluster runs at once by CPUs now (nodes may join or leave)."""
        cpus = self._ray.cluster_resources().get("CPU", 1)
        return max(1, int(cpus // self.cpus_per_job))

    def describe(self) -> str:
        res = self._ray.cluster_resources()
        nodes = sum(1 for n in self._ray.nodes() if n.get("Alive"))
        gpus = f", {res.get('GPU', 0):g} GPUs" if res.get("GPU") else ""
        return f"ray, {nodes} node{'s' if nodes != 1 else ''}, {res.get('CPU', 0):g} CPUs{gpus}"
