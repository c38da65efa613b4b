"""Marking answers: per-cell credit, shape first, tolerance, diagnosis, follow-through.

The misconception tests run over every registered kind and every misconception it declares, on
many seeds and all difficulties, so kinds merged later are covered without touching this file.
"""

from __future__ import annotations

import numpy as np
import pytest
from convgrade.exercises import registry
from convgrade.exercises.checking import check_exercise, compare, resembles
from convgrade.exercises.model import Exercise, Part
from convgrade.exercises.registry import Kind, Solved

from convgrade import exercises
from tests.key_helpers import as_text

KINDS = list(exercises.kinds())
SEEDS = range(40)


def instances(kind: str):
    for difficulty in (1, 2, 3):
        for seed in SEEDS:
            yield exercises.generate(kind, seed=seed, difficulty=difficulty)


@pytest.mark.parametrize("kind", KINDS)
def test_each_misconception_is_named(kind):
    seen = set()
    for ex in instances(kind):
        for m in ex.misconceptions:
            answers = {**ex.answer, **m.answers}
            r = check_exercise(ex, answers)
            named = {d.id: d for d in r.diagnoses}
            assert m.id in named, (ex.seed, ex.difficulty, m.id, [d.id for d in r.diagnoses])
            assert named[m.id].complete
            assert sorted(named[m.id].parts) == sorted(m.answers)
            assert r.score < 1
            seen.add(m.id)
            # the misconception's answers written as a student would, still named
            texts = {pid: as_text(ex.part(pid).type, v, ex.seed or 0) for pid, v in answers.items()}
            assert m.id in {d.id for d in check_exercise(ex, texts).diagnoses}
    assert seen, f"{kind} declared no misconception on any instance"


@pytest.mark.parametrize("kind", KINDS)
def test_correct_answers_get_full_marks_native_and_as_text(kind):
    for ex in instances(kind):
        r = check_exercise(ex, ex.answer, points=3)
        assert r.score == 1 and r.points == 3 and not r.diagnoses
        for style in range(4):
            texts = {p.id: as_text(p.type, p.answer, style) for p in ex.parts}
            r = check_exercise(ex, texts)
            assert r.score == 1, (style, [(p.id, p.message) for p in r.parts], texts)
            assert all(p.status == "correct" for p in r.parts)


@pytest.mark.parametrize("kind", KINDS)
def test_missing_answers_score_zero_with_a_message(kind):
    ex = exercises.generate(kind, seed=7)
    r = check_exercise(ex, {})
    assert r.score == 0 and r.points == 0
    assert all(p.status == "missing" and p.message == "no answer given" for p in r.parts)
    first = ex.parts[0].id
    r = check_exercise(ex, {first: "   "})
    assert r.parts[0].status == "missing"


def _ex(parts, misconceptions=None, kind="conv1d") -> Exercise:
    return Exercise(kind, 1, 0, 1, {}, parts, [], misconceptions or [])


def test_matrix_cells_partial_credit_and_wrong_cells():
    ex = _ex([Part("out", "Output", "matrix", [[1, 2, 3], [4, 5, 6], [7, 8, 9]])])
    r = check_exercise(ex, {"out": "1 2 3\n4 0 6\n7 8 0"}, points=9)
    p = r.parts[0]
    assert p.status == "partial"
    assert p.wrong_cells == [[1, 1], [2, 2]]
    assert p.points == pytest.approx(7) and r.score == pytest.approx(7 / 9)
    assert (
        "7 of 9 right" in p.message
        and "wrong at [1,1], [2,2] (row, column), counted from 0" in p.message
    )


def test_wrong_shape_scores_zero_and_says_so():
    ex = _ex([Part("out", "Output", "matrix", [[1, 2], [3, 4]])])
    r = check_exercise(ex, {"out": "1 2 3\n3 4 5\n1 1 1"})
    assert r.score == 0
    assert (
        r.parts[0].message == "wrong shape: expected 2×2, got 3×3, so the values were not checked"
    )
    r = check_exercise(_ex([Part("v", "V", "vector", [1, 2, 3, 4])]), {"v": "1 2"})
    assert "expected 4 entries, got 2" in r.parts[0].message and r.score == 0
    # one entry short: compared from the first entry (the decided alignment rule)
    r = check_exercise(_ex([Part("v", "V", "vector", [1, 2, 3])]), {"v": "1 2"})
    assert "one entry short (expected 3, got 2)" in r.parts[0].message
    assert r.score == pytest.approx(2 / 3, abs=1e-4)


def test_numeric_tolerance():
    ex = _ex([Part("m", "Mean", "number", 2.3333333, tolerance=0.01)])
    assert check_exercise(ex, {"m": "2.33"}).score == 1
    assert check_exercise(ex, {"m": "7/3"}).score == 1
    assert check_exercise(ex, {"m": "2.3"}).score == 0
    exact = _ex([Part("m", "Mean", "number", 0.5)])
    assert check_exercise(exact, {"m": "1/2"}).score == 1
    assert check_exercise(exact, {"m": "0.51"}).score == 0
    cells = _ex([Part("o", "Out", "matrix", [[0.25, 1.5]], tolerance=0.01)])
    assert check_exercise(cells, {"o": "0.249 1.505"}).score == 1


def test_unreadable_answer_scores_zero_with_the_reason():
    ex = _ex([Part("n", "Length", "integer", 4), Part("o", "Out", "vector", [1, 2])])
    r = check_exercise(ex, {"n": "four", "o": "1 2"})
    assert r.parts[0].status == "unreadable"
    assert "expected a whole number" in r.parts[0].message and "'four'" in r.parts[0].message
    assert r.parts[1].status == "correct" and r.score == 0.5


def test_unknown_part_is_an_error_naming_it():
    ex = _ex([Part("n", "Length", "integer", 4)])
    with pytest.raises(exercises.ConvgradeError, match="question q3: unknown part 'lenght'"):
        check_exercise(ex, {"lenght": 4}, question_id="q3")


def test_tokens_and_shapes_item_by_item():
    ex = _ex([Part("t", "Tokens", "tokens", ["the", "cat", "sat", "down"])])
    r = check_exercise(ex, {"t": "the cat sit down"})
    assert r.score == 0.75 and r.parts[0].wrong_cells == [[2]]
    assert (
        check_exercise(ex, {"t": "the cat"}).parts[0].message.startswith("expected 4 tokens, got 2")
    )
    ex = _ex([Part("s", "Shapes", "shapes", [[None, 4, 4, 2], [None, 2, 2, 2]])])
    # shapes axis by axis (None axes given, not asked), as every LMS export asks them
    r = check_exercise(ex, {"s": "(None, 4, 4, 2), (None, 2, 2, 3)"})
    assert r.score == pytest.approx(5 / 6, abs=1e-4) and r.parts[0].wrong_cells == [[1, 3]]
    ex = _ex([Part("s", "Shape", "shape", [4, 4, 8])])
    assert check_exercise(ex, {"s": "4x5x8"}).score == pytest.approx(2 / 3, abs=1e-4)
    assert check_exercise(ex, {"s": "4x4"}).score == 0


def test_mostly_equal_answer_names_the_misconception_only_when_closer_than_key():
    key = [[1, 2], [3, 4]]
    wrong = [[4, 3], [2, 1]]
    assert resembles("matrix", [[4, 3], [2, 1]], wrong, key)
    assert resembles("matrix", [[4, 3], [2, 9]], wrong, key)  # 3 of 4 like the wrong answer
    assert not resembles("matrix", [[4, 3], [9, 9]], wrong, key)  # only half
    # 3 of 4 cells like the misconception, but it shares them with the key: not closer
    assert not resembles("matrix", [[1, 2], [3, 0]], [[1, 2], [3, 5]], key)
    assert not resembles("matrix", [[4, 3]], wrong, key)  # other shape


def test_partly_matching_misconception_is_kept_only_where_nothing_complete_explains_it():
    ex = _ex(
        [Part("n", "Length", "integer", 4), Part("o", "Out", "vector", [1, 2, 3, 4])],
        [
            exercises.Misconception("flipped_kernel", {"o": [4, 3, 2, 1]}),
            exercises.Misconception("no_padding", {"n": 3, "o": [2, 3, 4]}),
        ],
    )
    r = check_exercise(ex, {"n": 3, "o": [9, 9, 9, 9]})
    assert [(d.id, d.complete) for d in r.diagnoses] == [("no_padding", False)]
    assert r.parts[0].diagnoses == ["no_padding"]
    r = check_exercise(ex, {"n": 4, "o": [4, 3, 2, 1]})
    assert [d.id for d in r.diagnoses] == ["flipped_kernel"]
    assert "cross-correlation" in r.diagnoses[0].rule


def test_part_points_split():
    ex = _ex([Part("a", "A", "integer", 1), Part("b", "B", "integer", 2)])
    r = check_exercise(ex, {"a": 1, "b": 0}, points=4, split={"a": 3})
    assert [p.max_points for p in r.parts] == [3, 1] and r.points == 3


def test_compare_is_symmetric_in_shape_reporting():
    c = compare("tensor", np.zeros((2, 2, 1)).tolist(), np.zeros((2, 2, 2)).tolist())
    assert c.score == 0 and "2×2×2" in c.shape_error


# --- follow-through marking -------------------------------------------------------------------


def _stub_solve(p):
    x = np.asarray(p["input"])
    conv = (x * 2).tolist()
    pool = [max(r) for r in conv]
    return Solved(
        [Part("conv_output", "Conv", "matrix", conv), Part("pool_output", "Pool", "vector", pool)],
        [],
        {"flipped_kernel": {"conv_output": (x * -2).tolist(), "pool_output": []}},
    )


STUB = Kind(
    name="chain_stub",
    version=1,
    summary="test-only chained kind: double, then max over each row",
    params=("input",),
    sample=lambda rng, d, given: {"input": rng.integers(1, 9, size=(3, 3)).tolist()},
    validate=lambda p: p,
    solve=_stub_solve,
    follow_through={"pool_output": lambda p, a: [max(r) for r in a["conv_output"]]},
)


@pytest.fixture
def chain_kind(monkeypatch):
    registry._load()
    monkeypatch.setitem(registry._KINDS, "chain_stub", STUB)
    return "chain_stub"


def test_follow_through_credits_a_later_part_consistent_with_a_wrong_first_step(chain_kind):
    ex = exercises.generate(chain_kind, params={"input": [[1, 2, 3], [4, 5, 6], [7, 8, 9]]})
    assert ex.answer["pool_output"] == [6, 12, 18]
    slip = "2 4 6\n8 10 12\n14 16 99"  # one wrong cell in the first step
    r = check_exercise(ex, {"conv_output": slip, "pool_output": "6 12 99"}, points=2)
    conv, pool = r.parts
    assert conv.status == "partial" and conv.wrong_cells == [[2, 2]]
    assert pool.status == "correct" and pool.against == "follow_through"
    assert pool.follow_through_expected == [6, 12, 99]
    assert "follow-through" in pool.message
    assert r.points == pytest.approx(1 + 8 / 9, abs=1e-3)  # the slip costs once
    # the key's pool answer is still right too
    r = check_exercise(ex, {"conv_output": slip, "pool_output": "6 12 18"})
    assert r.parts[1].status == "correct" and r.parts[1].against == "key"
    # inconsistent with both: marked against whichever is nearer, never above it
    r = check_exercise(ex, {"conv_output": slip, "pool_output": "6 0 0"})
    assert r.parts[1].score == pytest.approx(1 / 3)
    # no usable first step: no follow-through, no crash
    r = check_exercise(ex, {"conv_output": "", "pool_output": "6 12 99"})
    assert r.parts[1].against == "key" and r.parts[1].score == pytest.approx(2 / 3)
    r = check_exercise(ex, {"conv_output": "abc", "pool_output": "6 12 99"})
    assert r.parts[0].status == "unreadable" and r.parts[1].against == "key"


def test_kinds_declaring_follow_through_recompute_from_the_key():
    """Given the key's earlier parts, a follow-through rule reproduces the key's later part."""
    for kind in exercises.kinds().values():
        for pid, rule in kind.follow_through.items():
            for seed in range(30):
                ex = exercises.generate(kind.name, seed=seed)
                assert rule(ex.params, ex.answer) == ex.answer[pid], (kind.name, pid, seed)


def test_follow_through_on_every_declaring_kind_with_a_wrong_first_step():
    """Corrupt one cell of each earlier array part, recompute the chained part from it with the
    kind's rule, write it rounded to 2 decimals as a student would: full credit, slip costs once."""
    declaring = [k for k in exercises.kinds().values() if k.follow_through]
    for kind in declaring:
        credited = 0
        for seed in range(40):
            ex = exercises.generate(kind.name, seed=seed, difficulty=1 + seed % 3)
            answers = dict(ex.answer)
            for p in ex.parts:
                if p.id not in kind.follow_through and p.type in ("matrix", "vector", "integers"):
                    bad = np.array(p.answer, dtype=float)
                    bad.flat[0] += 7
                    answers[p.id] = bad.tolist()
            for pid, rule in kind.follow_through.items():
                own = rule(ex.params, answers)
                if own is None or own == ex.answer[pid]:
                    continue
                answers[pid] = np.round(np.asarray(own, dtype=float), 2).tolist()
                r = check_exercise(ex, answers)
                part = next(p for p in r.parts if p.id == pid)
                assert part.status == "correct" and part.against == "follow_through", (seed, pid)
                credited += 1
        assert credited, f"{kind.name}: no instance exercised follow-through"


def test_conv2d_pool_pooling_is_marked_against_the_students_own_convolution():
    assert set(exercises.get_kind("conv2d_pool").follow_through) == {"pool_shape", "pool_output"}
    x = np.arange(25).reshape(5, 5) % 7 - 3
    w = np.array([[1, 2], [0, -1]])
    ex = exercises.generate(
        "conv2d_pool",
        params={"input": x.tolist(), "kernel": w.tolist(), "mode": "max", "pool_size": 2},
    )
    # independent reference: cross-correlation by loops, 2x2 max pooling by reshaping
    conv = np.array([[np.sum(x[i : i + 2, j : j + 2] * w) for j in range(4)] for i in range(4)])
    assert ex.answer["conv_output"] == conv.tolist()

    def maxpool(c):
        return c.reshape(2, 2, 2, 2).max(axis=(1, 3))

    assert ex.answer["pool_output"] == maxpool(conv).tolist()

    slip = conv.copy()
    slip[0, 0] = conv.max() + 10  # one wrong cell that changes the top-left maximum
    r = check_exercise(
        ex,
        {
            "conv_shape": "4x4",
            "conv_output": slip.tolist(),
            "pool_shape": "2x2",
            "pool_output": maxpool(slip).tolist(),
        },
        points=4,
    )
    marks = {p.id: p for p in r.parts}
    assert marks["conv_output"].status == "partial" and marks["conv_output"].wrong_cells == [[0, 0]]
    assert marks["pool_output"].status == "correct"
    assert marks["pool_output"].against == "follow_through"
    assert r.points == pytest.approx(4 - 1 / 16, abs=1e-3)  # the slip costs once

    # a wrong convolution shape, and a pooling shape consistent with it
    r = check_exercise(ex, {"conv_shape": "6x6", "pool_shape": "(3, 3)"})
    marks = {p.id: p for p in r.parts}
    assert marks["conv_shape"].status == "wrong"
    assert marks["pool_shape"].status == "correct"
    assert marks["pool_shape"].against == "follow_through"


def test_total_parameters_follow_through_from_the_students_own_layer_counts():
    for kind in ("conv_params", "model_summary", "embedding_params"):
        ex = exercises.generate(kind, seed=11)
        counts = list(ex.answer["params"])
        counts[0] += 1  # one layer miscounted
        r = check_exercise(ex, {"params": counts, "total": str(sum(counts))})
        marks = {p.id: p for p in r.parts}
        assert marks["params"].status == "partial"
        assert marks["total"].status == "correct" and marks["total"].against == "follow_through"
        r = check_exercise(ex, {"params": counts, "total": sum(counts) + 5})
        assert {p.id: p for p in r.parts}["total"].status == "wrong"


#: The mistakes issue 4 asks the diagnosis to cover (at least).
REQUIRED = {
    "flipped_kernel",
    "no_padding",
    "one_sided_padding",
    "symmetric_same_padding",
    "size_ceil_for_valid",
    "size_floor_for_same",
    "size_off_by_one",
    "pool_stride_one",
    "avg_instead_of_max",
    "max_instead_of_avg",
    "forgot_bias",
    "embedding_bias",
    "dense_all_axes",
    "count_instead_of_multi_hot",
    "multi_hot_instead_of_count",
    "index_off_by_one",
}


def test_the_required_mistakes_are_diagnosed_somewhere():
    diagnosed = set()
    for kind in KINDS:
        for ex in instances(kind):
            for m in ex.misconceptions:
                if m.id in REQUIRED - diagnosed:
                    r = check_exercise(ex, {**ex.answer, **m.answers})
                    diagnosed |= {d.id for d in r.diagnoses} & {m.id}
    assert diagnosed == REQUIRED, sorted(REQUIRED - diagnosed)
