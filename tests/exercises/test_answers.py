"""Reading answers as students write them; clear messages when they cannot be read."""

from __future__ import annotations

import pytest
from convgrade.exercises.answers import AnswerError, is_blank, parse
from convgrade.exercises.model import Part


def part(t: str, choices=None) -> Part:
    return Part("x", "X", t, None, choices=choices)


@pytest.mark.parametrize(
    "type_, raw, expected",
    [
        ("matrix", "[[1, 2], [3, 4]]", [[1, 2], [3, 4]]),
        ("matrix", "1 2\n3 4", [[1, 2], [3, 4]]),
        ("matrix", "  1  2 \n\n 3  4\n", [[1, 2], [3, 4]]),
        ("matrix", "1, 2; 3, 4", [[1, 2], [3, 4]]),
        ("matrix", "[1 2; 3 4]", [[1, 2], [3, 4]]),
        ("matrix", "[1, 2]\n[3, 4]", [[1, 2], [3, 4]]),
        ("matrix", "((1, 2), (3, 4))", [[1, 2], [3, 4]]),
        ("matrix", "| 1 2 |\n| 3 4 |", [[1, 2], [3, 4]]),
        ("matrix", [[1, 2.5], [3, 4]], [[1, 2.5], [3, 4]]),
        ("matrix", "\u22121 2\n3 \u22124", [[-1, 2], [3, -4]]),
        ("shape", "4x4", [4, 4]),
        ("shape", "4 × 4", [4, 4]),
        ("shape", "4X4x3", [4, 4, 3]),
        ("shape", "(4, 4)", [4, 4]),
        ("shape", "[4, 4]", [4, 4]),
        ("shape", [4, 4], [4, 4]),
        ("shape", "4, 4", [4, 4]),
        ("integer", "12", 12),
        ("integer", " 12 ", 12),
        ("integer", 12, 12),
        ("integer", 12.0, 12),
        ("integer", "1e3", 1000),
        ("integer", "16,801", 16801),
        ("integer", "1 234 567", 1234567),
        ("integers", "[16000, 784, 0, 17]", [16000, 784, 0, 17]),
        ("number", "2.5", 2.5),
        ("number", "5/2", 2.5),
        ("number", ".5", 0.5),
        ("number", "-3", -3),
        ("number", 2.5, 2.5),
        ("vector", "[1, 2, 3]", [1, 2, 3]),
        ("vector", "1 2 3", [1, 2, 3]),
        ("vector", "1, 2, 3", [1, 2, 3]),
        ("vector", "1\n2\n3", [1, 2, 3]),
        ("vector", "(1, -2.5)", [1, -2.5]),
        ("vector", [1, 2], [1, 2]),
        ("integers", "[2, 0, 1]", [2, 0, 1]),
        ("tensor", "[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]", [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]),
        ("tensor", "1 3\n5 7\n\n2 4\n6 8", [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]),
        (
            "tensor",
            "channel 0:\n1 3\n5 7\nchannel 1:\n2 4\n6 8",
            [[[1, 2], [3, 4]], [[5, 6], [7, 8]]],
        ),
        ("tokens", "['the', 'cat']", ["the", "cat"]),
        ("tokens", "the cat sat", ["the", "cat", "sat"]),
        ("tokens", "the, cat", ["the", "cat"]),
        ("tokens", "['', '[UNK]', 'cat']", ["", "[UNK]", "cat"]),
        ("tokens", "[UNK], cat", ["[UNK]", "cat"]),
        ("tokens", ["a", "b"], ["a", "b"]),
        ("shapes", "(None, 26, 26, 8), (None, 13, 13, 8)", [[None, 26, 26, 8], [None, 13, 13, 8]]),
        ("shapes", "None 26 26 8\nNone 13 13 8", [[None, 26, 26, 8], [None, 13, 13, 8]]),
        ("shapes", "[(None, 10)]", [[None, 10]]),
        ("shapes", "(None, 10)", [[None, 10]]),
    ],
)
def test_reads_student_notation(type_, raw, expected):
    assert parse(part(type_), raw) == expected


def test_choices_by_value_case_or_letter():
    p = part("choice", ["max", "average"])
    assert parse(p, "Max") == "max"
    assert parse(p, "b") == "average"
    assert parse(p, "(a)") == "max"
    assert parse(part("choice", [2, 4]), "4.0") == 4


@pytest.mark.parametrize(
    "type_, raw, needles",
    [
        ("matrix", "1 2\n3", ["a matrix", "rows have different lengths", "1 2 / 3"]),
        ("matrix", "[[1, 2], [3, 4]", ["missing ']'"]),
        ("integer", "2.5", ["a whole number", "not a whole number"]),
        ("number", "abc", ["a number", "'abc'"]),
        ("number", "1/0", ["division by zero"]),
        ("shape", "4x", ["a shape"]),
        ("vector", "[[1, 2], [3, 4]]", ["a list of numbers", "nested"]),
        ("tensor", "1 2\n3 4\n\n1 2 3", ["differ in size"]),
    ],
)
def test_unreadable_answers_say_what_was_expected(type_, raw, needles):
    with pytest.raises(AnswerError) as info:
        parse(part(type_), raw)
    for needle in needles:
        assert needle in str(info.value)


def test_unknown_choice_lists_the_choices():
    with pytest.raises(AnswerError, match="not one of 'max', 'average'"):
        parse(part("choice", ["max", "average"]), "min")


@pytest.mark.parametrize("raw", [None, "", "   ", "\n\n", []])
def test_blank(raw):
    assert is_blank(raw)


@pytest.mark.parametrize("raw", ["0", 0, [0]])
def test_zero_is_not_blank(raw):
    assert not is_blank(raw)


# --- robustness: whatever a student types, marking never crashes ----------------------------

from convgrade.exercises.checking import check_exercise  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from convgrade import exercises  # noqa: E402

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
)
NATIVE = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4), max_leaves=20)
TYPED = st.text(alphabet="0123456789-., ;[]()x×/\n abcNone'\"", max_size=40)


@pytest.mark.parametrize("kind", list(exercises.kinds()))
@settings(max_examples=60, deadline=None)
@given(raw=st.one_of(NATIVE, TYPED, st.dictionaries(st.text(max_size=3), SCALARS, max_size=2)))
def test_marking_never_crashes(kind, raw):
    ex = exercises.generate(kind, seed=3)
    r = check_exercise(ex, {p.id: raw for p in ex.parts})
    assert 0 <= r.score <= 1
    for p in r.parts:
        assert p.status in ("correct", "partial", "wrong", "missing", "unreadable")
        assert p.message


def test_deep_nesting_is_an_answer_error_not_a_crash():
    with pytest.raises(AnswerError, match="nested too deeply"):
        parse(part("matrix"), "[" * 5000 + "]" * 5000)
