"""The examples in the docstrings run, under the installed names (``convgrade.*``).

Collected here rather than with ``--doctest-modules``: that imports each file under its folder
name (``exercises.registry``, a second copy beside ``convgrade.exercises.registry``) and would
also import every ``.py`` under tests/, the hostile submissions (a fork bomb) included.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
from pathlib import Path

import pytest

#: the installed packages (mapped from the repository's folders; see setup.py)
ROOTS = ("convgrade", "convgrade.exercises", "convgrade.grader", "convgrade.templates")


def _modules_with_examples() -> list[str]:
    names = []
    for root in ROOTS:
        names.append(root)
        package = importlib.import_module(root)
        names += [info.name for info in pkgutil.walk_packages(package.__path__, f"{root}.")]
    found = []
    for name in names:
        origin = importlib.util.find_spec(name).origin
        if origin and origin.endswith(".py") and ">>> " in Path(origin).read_text("utf-8"):
            found.append(name)
    return found


MODULES = _modules_with_examples()


def test_the_examples_are_found():
    assert {"convgrade.exercises.registry", "convgrade.config", "convgrade.cli.main"} <= set(
        MODULES
    )


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags, verbose=False, report=True)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
