"""The answer forms students write (docs/checking.md, "Accepted answer forms"), one test each."""

from __future__ import annotations

import pytest
from convgrade.exercises.answer_sheets import Question, with_option_letters
from convgrade.exercises.answers import AnswerError, parse
from convgrade.exercises.checking import check_exercise
from convgrade.exercises.model import Part
from convgrade.exercises.problemset import mc

from convgrade import exercises

MATRIX = Part("o", "Output", "matrix", [[3.75, 2.25], [1.0, 0.5]])


def test_shapes_with_the_batch_axis_as_model_summary_prints_them():
    ex = exercises.generate("model_summary", seed=1)
    key = ex.part("shapes").answer
    as_printed = ", ".join("(None, " + ", ".join(map(str, s)) + ")" for s in key)
    assert parse(ex.part("shapes"), as_printed) == key
    one_per_line = "\n".join("None " + " ".join(map(str, s)) for s in key)
    assert parse(ex.part("shapes"), one_per_line) == key
    r = check_exercise(ex, {"shapes": as_printed})
    assert r.parts[0].status == "correct"


def test_a_shape_with_the_batch_axis_and_written_with_by():
    part = Part("s", "Shape", "shape", [4, 4])
    assert parse(part, "(None, 4, 4)") == [4, 4]
    assert parse(part, "4 by 4") == parse(part, "4 x 4") == [4, 4]
    assert parse(Part("s", "Shape", "shape", [4, 4, 8]), "4 by 4 by 8") == [4, 4, 8]


@pytest.mark.parametrize("written", ["b", "B", "c)", "(c)", "(a)", "a."])
def test_multiple_choice_answered_with_the_letter(written):
    ex = exercises.generate("output_size", seed=3)
    part, options = mc.options(ex)
    q = Question("q1", "output_size", style="multiple_choice")
    value = with_option_letters(q, ex, {part.id: written})[part.id]
    letter = written.strip("().").lower()
    assert value == options["abc".index(letter)].value
    right = "abc"[[o.value for o in options].index(part.answer)]
    r = check_exercise(ex, with_option_letters(q, ex, {part.id: f"({right})"}), asked=[part.id])
    assert r.score == 1.0


def test_a_letter_is_only_an_option_in_a_multiple_choice_question():
    ex = exercises.generate("output_size", seed=3)
    assert with_option_letters(Question("q1", "output_size"), ex, {"size": "b"}) == {"size": "b"}
    q = Question("q1", "output_size", style="multiple_choice")
    assert with_option_letters(q, ex, {"size": "z"}) == {"size": "z"}  # not listed: as written


def test_decimal_commas_where_the_key_makes_them_unambiguous():
    assert parse(MATRIX, "3,75 2,25\n1 0,5") == [[3.75, 2.25], [1, 0.5]]
    assert parse(MATRIX, "1, 2\n3, 4") == [[1, 2], [3, 4]]  # comma and space: a separator
    assert parse(MATRIX, "1,2\n3,4") == [[1, 2], [3, 4]]  # 2 columns either way: separator
    wide = Part("o", "Output", "matrix", [[1, 2, 3, 4]])
    assert parse(wide, "1,2 3,4") == [[1, 2, 3, 4]]


def test_decimal_commas_that_stay_ambiguous_get_a_message_saying_what_to_change():
    ex = exercises.generate("pooling", seed=1)
    r = check_exercise(ex, {"output": "1,5 2,5 3"})  # neither reading has the key's shape
    out = next(p for p in r.parts if p.id == "output")
    assert out.message.startswith("wrong shape")
    assert "write decimal points (3.75, not 3,75)" in out.message
    ex = exercises.generate("pooling", params={"input": [[1, 2], [3, 4]], "pool_size": 1})
    r = check_exercise(ex, {"output": "1,5 2\n3 4"})  # only the decimal reading fits: taken
    assert r.parts[1].given == [[1.5, 2], [3, 4]] and r.parts[1].wrong_cells == [[0, 0]]


def test_markdown_table_rows_as_handout_md_prints_them():
    table = "|   |   |\n|--:|--:|\n| 3.75 | 2.25 |\n| 1 | 0.5 |"
    assert parse(MATRIX, table) == [[3.75, 2.25], [1, 0.5]]
    assert parse(MATRIX, "| 3.75 | 2.25 |\n| 1 | 0.5 |") == [[3.75, 2.25], [1, 0.5]]
    assert parse(Part("v", "V", "vector", [0]), "`[1, 2, 3]`") == [1, 2, 3]  # a code span


@pytest.mark.parametrize(
    "raw, why",
    [(10**400, "more than 30 digits"), ("7" * 5000, "more than 30 digits"), ("1e400", "finite")],
)
def test_numbers_too_large_to_be_answers_are_unreadable_not_a_crash(raw, why):
    with pytest.raises(AnswerError, match=why):
        parse(Part("n", "N", "integer", 3), raw)
