"""Every registered kind is complete: its prompt template, its golden pin and a catalogue entry
for each misconception it can name. A new kind added to the registry alone fails here."""

from __future__ import annotations

from importlib import resources

import pytest
from convgrade.exercises.misconceptions import CATALOG
from convgrade.exercises.registry import KIND_MODULES

from convgrade import exercises
from tests import golden

KINDS = list(exercises.kinds())


def test_every_registered_module_defines_its_kind():
    assert len(KINDS) == len(KIND_MODULES)


@pytest.mark.parametrize("kind", KINDS)
def test_kind_has_its_prompt_template(kind):
    assert (resources.files("convgrade.templates") / "prompts" / f"{kind}.j2").is_file()


@pytest.mark.parametrize("kind", KINDS)
def test_kind_has_its_golden_pin(kind):
    assert golden.path(kind).is_file(), f"run python tests/golden.py --update {kind}"


@pytest.mark.parametrize("kind", KINDS)
def test_kind_misconceptions_are_in_the_catalogue(kind):
    named = {
        m.id
        for d in golden.DIFFICULTIES
        for seed in golden.SEEDS
        for m in exercises.generate(kind, seed=seed, difficulty=d).misconceptions
    }
    assert named, f"{kind} names no misconception on the pinned seeds"
    assert named <= set(CATALOG), sorted(named - set(CATALOG))
