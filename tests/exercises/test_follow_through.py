"""Follow-through credits a consistent next step from a genuine attempt, never arithmetic on a
constant or all-zero placeholder (issue 12, point 1)."""

from __future__ import annotations

import numpy as np
from convgrade.exercises.checking import check_exercise, compare, part_points
from convgrade.exercises.follow_through import genuine
from hypothesis import given, settings
from hypothesis import strategies as st

from convgrade import exercises

CHAINED = [k for k, kind in exercises.kinds().items() if kind.follow_through]


def constant_answer(ex, c: int, right_shapes: bool) -> dict:
    """Every part answered with the constant ``c`` (shaped like the key); shape parts either
    right (the "right shapes, all zeros" answer) or filled with ``c`` too."""
    out = {}
    for p in ex.parts:
        if p.type == "choice":
            continue
        if p.type == "shapes":
            out[p.id] = p.answer if right_shapes else [[c] * len(s) for s in p.answer]
        elif p.type == "shape":
            out[p.id] = p.answer if right_shapes else [c] * len(p.answer)
        elif p.type == "tokens":
            out[p.id] = [str(c)] * len(p.answer)
        else:
            out[p.id] = np.full(np.shape(p.answer), c).tolist() if np.ndim(p.answer) else c
    return out


def right_on_their_own(ex, answers: dict) -> float:
    """The points the answer earns against the key alone, part by part (no follow-through)."""
    shares = part_points(ex.parts, float(len(ex.parts)))
    return sum(
        compare(p.type, answers[p.id], p.answer, p.tolerance).score * shares[p.id]
        for p in ex.parts
        if p.id in answers
    )


def test_every_chained_kind_is_covered():
    assert set(CHAINED) >= {"conv2d_pool", "conv_params", "model_summary", "embedding_params"}


def test_the_reported_all_zero_answer_scores_nothing():
    ex = exercises.generate("conv_params", seed=1, difficulty=2)
    r = check_exercise(ex, {"params": "0 0 0", "total": "0"})
    assert r.score == 0.0  # was 0.5: the total "followed" the zeros


def test_a_genuine_slip_still_costs_once():
    ex = exercises.generate("conv_params", seed=1, difficulty=2)
    own = [n - 1 for n in ex.part("params").answer]  # e.g. one bias forgotten everywhere
    r = check_exercise(ex, {"params": own, "total": sum(own)})
    total = next(p for p in r.parts if p.id == "total")
    assert total.status == "correct" and total.against == "follow_through"


def test_constant_conv_output_earns_no_pooling_follow_through():
    ex = exercises.generate("conv2d_pool", seed=2)
    answers = constant_answer(ex, 3, right_shapes=True)
    r = check_exercise(ex, answers)
    assert all(p.against == "key" for p in r.parts)
    copied = dict(answers, conv_output=ex.params["input"])  # a copy of the input is no attempt
    assert not genuine(copied["conv_output"], ex.params)


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(CHAINED),
    seed=st.integers(0, 10_000),
    difficulty=st.integers(1, 3),
    c=st.integers(-3, 12),
    right_shapes=st.booleans(),
)
def test_no_constant_answer_scores_above_what_is_right_on_its_own(
    kind, seed, difficulty, c, right_shapes
):
    ex = exercises.generate(kind, seed=seed, difficulty=difficulty)
    answers = constant_answer(ex, c, right_shapes)
    r = check_exercise(ex, answers)
    assert r.points <= right_on_their_own(ex, answers) + 1e-4  # points keep 4 decimals
