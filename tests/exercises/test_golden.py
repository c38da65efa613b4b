"""Golden tests: the same (kind, version, seed, difficulty) always gives the same exercise."""

from __future__ import annotations

import json

import pytest

from convgrade import exercises
from tests import golden


@pytest.mark.parametrize("kind", list(exercises.kinds()))
def test_pinned_variants_unchanged_unless_version_bumped(kind):
    pinned_path = golden.path(kind)
    assert pinned_path.exists(), f"no golden pin for {kind}: run python tests/golden.py --update"
    pinned = json.loads(pinned_path.read_text())
    current = json.loads(json.dumps(golden.pin(kind)))
    if current["version"] != pinned["version"]:
        assert current["version"] > pinned["version"], "generator versions only go up"
        pytest.fail(
            f"{kind} is now v{current['version']}: re-pin with "
            f"python tests/golden.py --update {kind}"
        )
    for want, got in zip(pinned["variants"], current["variants"], strict=True):
        assert got == want, (
            f"{kind} v{pinned['version']} seed {want['seed']} difficulty {want['difficulty']} "
            "changed: bump the generator's version if this is intended"
        )
