"""check-all's outputs are the same whether a forked process shares the work or not."""

from __future__ import annotations

import json
import random

from convgrade.exercises import class_check, forked
from convgrade.exercises.answer_sheets import load_key
from convgrade.exercises.checking import StudentResult

from tests.key_helpers import answers_toml, make_key, random_answers, student_exercises, write_key


def _files(folder):
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _class(tmp_path, n=forked.MIN_ITEMS + 4):
    key = make_key(n_students=n, n_questions=4, seed=3)
    write_key(tmp_path / "key.json", key)
    (tmp_path / "class").mkdir()
    rng = random.Random(2)
    for s in key["students"]:
        answers = random_answers(student_exercises(key, s["id"]), rng)
        (tmp_path / "class" / f"{s['id']}.toml").write_text(
            answers_toml(s["id"], key["set_id"], answers), encoding="utf-8"
        )
    return class_check.check_class(load_key(tmp_path / "key.json"), tmp_path / "class")


def test_forked_and_single_process_outputs_are_identical(tmp_path, monkeypatch):
    c = _class(tmp_path)
    assert forked.usable(len(c.results))  # the machine running the tests forks (2+ cores)
    class_check.write_outputs(c, tmp_path / "two")
    monkeypatch.setattr(forked, "usable", lambda items: False)
    class_check.write_outputs(c, tmp_path / "one")
    two, one = _files(tmp_path / "two"), _files(tmp_path / "one")
    assert len(one) == 2 * len(c.results) + 5 and two == one


def test_a_failing_forked_process_leaves_the_work_to_this_one(tmp_path, monkeypatch):
    c = _class(tmp_path)
    monkeypatch.setattr(forked, "usable", lambda items: False)
    class_check.write_outputs(c, tmp_path / "one")
    monkeypatch.undo()

    alongside = forked.alongside

    def child_fails(child, parent):  # the child fails at once; the parent does its part
        return alongside(lambda: 1 / 0, parent)

    monkeypatch.setattr(forked, "alongside", child_fails)
    class_check.write_outputs(c, tmp_path / "fallback")
    assert _files(tmp_path / "fallback") == _files(tmp_path / "one")


def test_results_json_is_what_to_dict_gives(tmp_path):
    c = _class(tmp_path, n=3)
    class_check.write_outputs(c, tmp_path / "out")
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    assert data["students"] == [r.to_dict() for r in c.results]
    assert (
        isinstance(c.results[0], StudentResult) and "summary" in data["students"][0]["questions"][0]
    )
