"""Smaller marking promises (issue 12, point 9): exact sums, one way of counting cells, capped
echoes, a deleted question table costs that question only."""

from __future__ import annotations

from convgrade.exercises.answer_sheets import AnswerSheet, check_sheet, load_key
from convgrade.exercises.checking import MAX_ECHO, check_exercise
from convgrade.exercises.feedback import render_question

from convgrade import exercises
from tests.key_helpers import make_key, write_key


def test_a_perfect_answer_scores_exactly_its_points():
    ex = exercises.generate("conv2d_pool", seed=1)
    thirds = {p.id: round(2 / 3, 6) for p in ex.parts[:3]}  # as grade build writes part_points
    r = check_exercise(ex, ex.answer, points=2, split=thirds)
    assert r.points == 2 and r.score == 1  # was 2.0001


def test_wrong_cells_are_counted_as_the_worked_solution_counts_them():
    ex = exercises.generate("conv2d", seed=1)
    out = [row[:] for row in ex.answer["output"]]
    out[0][1] += 1
    r = check_exercise(ex, {"shape": ex.answer["shape"], "output": out})
    text = render_question(r, ex)
    assert "wrong at [0,1] (row, column), counted from 0" in text
    assert "y[0,1] = " in text  # the worked solution's own index for that cell


def test_a_huge_answer_is_not_echoed_whole():
    ex = exercises.generate("conv1d", seed=1)
    huge = "1 " * 5_000_000  # 10 MB
    r = check_exercise(ex, {"output": huge, "length": "x" * 1_000_000})
    for p in r.parts:
        assert len(str(p.given)) < MAX_ECHO + 60, p.id
    assert "characters in all" in str(r.parts[1].given)
    assert all("characters long (at most 20,000)" in p.message for p in r.parts)
    assert len(render_question(r, ex)) < 20_000


def test_a_deleted_question_table_costs_that_question_only(tmp_path):
    key = load_key(write_key(tmp_path / "key.json", make_key(["conv1d"], roster=False, seed=2)))
    ex = key.variants["q1"][1]
    sheet = AnswerSheet("a.toml", None, "cnn-test", {"q1": dict(ex.answer)}, {"q1": 1})
    r = check_sheet(key, sheet)
    assert [q.score for q in r.questions] == [1.0]
    key.questions.append(type(key.questions[0])("q2", "conv1d", points=4))
    key.variants["q2"] = key.variants["q1"]
    r = check_sheet(key, sheet)  # q2's table deleted: q2 scores 0, q1 still counts
    assert [q.score for q in r.questions] == [1.0, 0.0] and r.points == 4
    assert all(p.status == "missing" for p in r.questions[1].parts)
