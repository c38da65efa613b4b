"""Options shared by the commands that grade many submissions (``grade batch``, ``grade serve``):
where the jobs run — the local pool or a Ray cluster — and what each job reserves there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from convgrade.cli.options import Choice
from convgrade.grader.executors import Executor, executor_names, get_executor


def engine_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """-j/--workers, --engine, --ray-address, --cpus-per-job, --gpus-per-job, --memory-per-job."""
    options = [
        click.option(
            "--workers", "-j", type=click.IntRange(min=1), default=1, show_default=True,
            help="How many submissions to grade at once (each in its own sandbox).",
        ),
        click.option(
            "--engine", type=Choice(executor_names()), default="local", show_default=True,
            help="Where jobs run: local threads (each job sandboxed) or Ray tasks on a cluster.",
        ),
        click.option(
            "--ray-address", metavar="ADDR", default=None,
            help="Ray cluster to join (e.g. auto, HOST:6379); without it --engine ray starts "
            "one here.",
        ),
        click.option("--cpus-per-job", type=float, default=1.0, show_default=True,
                     help="Ray: CPUs reserved per job."),
        click.option("--gpus-per-job", type=float, default=0.0, show_default=True,
                     help="Ray: GPUs per job; a fraction shares one GPU (0.125 = 8 jobs per GPU)."),
        click.option("--memory-per-job", metavar="SIZE", default=None,
                     help="Ray: memory reserved per job (e.g. 4G)."),
    ]  # fmt: skip
    for opt in reversed(options):
        f = opt(f)
    return f


def make_executor(
    engine: str,
    workers: int,
    ray_address: str | None = None,
    cpus_per_job: float = 1.0,
    gpus_per_job: float = 0.0,
    memory_per_job: str | None = None,
) -> Executor:
    """The executor the options ask for (a local pool of ``workers``, or Ray)."""
    if engine == "local":
        return get_executor("local", workers=workers)
    from convgrade.grader.limits import parse_size

    memory = None if memory_per_job is None else parse_size(memory_per_job, name="--memory-per-job")
    return get_executor(
        engine, address=ray_address, cpus_per_job=cpus_per_job, gpus_per_job=gpus_per_job,
        memory_per_job=memory, workers=workers if ray_address is None else None,
    )  # fmt: skip


def gpu_share(engine: str, gpus_per_job: float) -> float:
    """The share of one GPU's memory a job may use: its --gpus-per-job fraction, or all."""
    return gpus_per_job if engine != "local" and 0 < gpus_per_job < 1 else 1.0
