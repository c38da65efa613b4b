"""Each mistake is named from its definition, and only where the student's answers agree."""

from __future__ import annotations

import numpy as np
import pytest
from convgrade.exercises.checking import check_exercise

from convgrade import exercises


def named(ex, answers) -> list[str]:
    return [d.id for d in check_exercise(ex, answers).diagnoses]


@pytest.mark.parametrize("seed", range(5))
def test_no_diagnosis_from_a_total_alone_when_the_per_layer_counts_say_otherwise(seed):
    ex = exercises.generate("embedding_params", seed=seed)
    wrong = ex.misconception("embedding_bias").answers
    assert "embedding_bias" in named(ex, wrong)  # the mistake itself is named
    right_layers = {"params": ex.answer["params"], "total": wrong["total"]}
    assert "embedding_bias" not in named(ex, right_layers)


def test_a_shifted_multi_hot_vector_is_not_named_ties_alphabetical():
    seen = 0
    for seed in range(300):
        ex = exercises.generate("text_vectorization", seed=seed, difficulty=2)
        if "multi_hot" not in ex.answer or "ties_alphabetical" not in {
            m.id for m in ex.misconceptions
        }:
            continue
        seen += 1
        answers = dict(ex.answer)
        answers["multi_hot"] = np.roll(ex.answer["multi_hot"], 1).tolist()
        assert "ties_alphabetical" not in named(ex, answers), seed
        assert "ties_alphabetical" in named(ex, ex.misconception("ties_alphabetical").answers)
    assert seen >= 3
