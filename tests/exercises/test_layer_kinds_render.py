"""The layer kinds (output_size, conv_params, model_summary, embedding_params) render everywhere."""

from __future__ import annotations

import pytest
from convgrade.exercises.render import render

from convgrade import exercises


@pytest.mark.parametrize(
    "kind", ["output_size", "conv_params", "model_summary", "embedding_params"]
)
@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_renders_in_every_format(kind, fmt):
    for difficulty in (1, 2, 3):
        for seed in range(30):
            ex = exercises.generate(kind, seed=seed, difficulty=difficulty)
            out = render(ex, fmt, solution=True)
            assert "None" not in out.replace("(None", "").replace("None,", ""), out
            assert str(ex.answer["total" if "total" in ex.answer else "size"]).strip("[]") in out
