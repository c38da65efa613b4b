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
    monkeypatch.setenv("CONVGRADE_JOBS", "2")  # fork even under threaded test workers
    c = _class(tmp_path)
    assert forked.usable(len(c.results))
    class_check.write_outputs(c, tmp_path / "two")
    monkeypatch.setattr(forked, "usable", lambda items: False)
    class_check.write_outputs(c, tmp_path / "one")
    two, one = _files(tmp_path / "two"), _files(tmp_path / "one")
    assert len(one) == 2 * len(c.results) + 5 and two == one


def test_a_failing_forked_process_leaves_the_work_to_this_one(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVGRADE_JOBS", "2")
    c = _class(tmp_path)
    monkeypatch.setattr(forked, "usable", lambda items: False)
    class_check.write_outputs(c, tmp_path / "one")
    monkeypatch.undo()
    monkeypatch.setenv("CONVGRADE_JOBS", "2")

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


def test_results_json_keeps_values_a_fast_encoder_refuses(tmp_path):
    c = _class(tmp_path, n=3)
    part = c.results[0].questions[0].parts[0]
    part.given = [10**30, "é"]  # beyond 64 bits: written by the standard encoder instead
    class_check.write_outputs(c, tmp_path / "out")
    data = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert data["students"] == [r.to_dict() for r in c.results]
    assert data["students"][0]["questions"][0]["parts"][0]["given"] == [10**30, "é"]


def test_sheets_marked_in_two_processes_as_in_one(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVGRADE_JOBS", "2")
    c = _class(tmp_path)
    folder = tmp_path / "class"
    (folder / "s003.toml").write_bytes(b"\0\1binary")  # unreadable
    (folder / "s005").mkdir()
    (folder / "s005" / "answers.toml").write_text((folder / "s004.toml").read_text())  # id
    key = load_key(tmp_path / "key.json")
    two = class_check.check_class(key, folder)
    monkeypatch.setattr(forked, "usable", lambda items: False)
    one = class_check.check_class(key, folder)
    assert [r.to_dict() for r in two.results] == [r.to_dict() for r in one.results]
    assert two.problems == one.problems and two.absent == one.absent
    assert {p.status for p in one.problems} == {"unreadable", "id-mismatch"}
    assert two.sheets == one.sheets and two.exercises == one.exercises
    assert len(one.results) == len(c.results) - 1


def test_map_shared_computes_what_the_forked_process_did_not_deliver(monkeypatch):
    import os

    monkeypatch.setenv("CONVGRADE_JOBS", "2")
    assert forked.usable(3 * forked.MIN_ITEMS)

    me = os.getpid()

    def square(x):
        if os.getpid() != me:
            raise RuntimeError("the forked process fails")
        return x * x

    items = list(range(3 * forked.MIN_ITEMS))
    assert forked.map_shared(square, items) == [x * x for x in items]
    assert forked.map_shared(lambda x: (os.getpid() == me, x), items)[-1][1] == items[-1]


def test_collector_settings_are_restored():
    import gc

    from convgrade.exercises import collector

    assert gc.isenabled() and gc.get_freeze_count() == 0
    keep = [object()]
    with collector.old_objects_frozen():
        assert gc.get_freeze_count() > 0
        with collector.old_objects_frozen():  # nested: the outer one unfreezes
            pass
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0 and keep


def test_ahead_computes_in_the_forked_process_what_this_one_would(monkeypatch):
    import os

    monkeypatch.setenv("CONVGRADE_JOBS", "2")
    me = os.getpid()
    with forked.Ahead(lambda: None, lambda x: (os.getpid() != me, x * 2)) as ahead:
        ahead.send(21)
        assert ahead.result() == (True, 42)


def test_ahead_falls_back_to_this_process_when_the_forked_one_fails(monkeypatch):
    import os

    monkeypatch.setenv("CONVGRADE_JOBS", "2")
    me = os.getpid()

    def prepare():
        if os.getpid() != me:
            raise ImportError("no matplotlib in the forked process")

    with forked.Ahead(prepare, lambda x: (os.getpid() == me, x + 1)) as ahead:
        ahead.send(1)
        assert ahead.result() == (True, 2)


def test_ahead_not_sent_leaves_no_process_behind(monkeypatch):
    import os

    monkeypatch.setenv("CONVGRADE_JOBS", "2")
    with forked.Ahead(lambda: None, lambda x: x) as ahead:
        pid = ahead._job.pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        pass  # stopped and reaped
    else:
        raise AssertionError(f"the forked process {pid} is still there")


def test_check_all_draws_the_charts_ahead_and_writes_what_write_outputs_writes(
    tmp_path, monkeypatch
):
    import os

    from convgrade.exercises import class_report

    monkeypatch.setenv("CONVGRADE_JOBS", "2")
    c = _class(tmp_path)
    class_check.write_outputs(c, tmp_path / "direct")
    me, drawn_by = os.getpid(), []
    charts = class_report.charts

    def spy(data):
        drawn_by.append(os.getpid())  # seen only where it runs here
        return charts(data)

    monkeypatch.setattr(class_report, "charts", spy)
    again = class_check.check_all(tmp_path / "key.json", tmp_path / "class", tmp_path / "all")
    assert drawn_by == []  # drawn by the forked process, not this one
    assert _files(tmp_path / "all") == _files(tmp_path / "direct")
    assert [r.to_dict() for r in again.results] == [r.to_dict() for r in c.results]
    monkeypatch.setattr(forked, "usable", lambda items: False)
    class_check.check_all(tmp_path / "key.json", tmp_path / "class", tmp_path / "one")
    assert drawn_by == [me] and _files(tmp_path / "one") == _files(tmp_path / "direct")


def test_check_all_with_unreadable_and_duplicate_sheets_writes_what_the_two_steps_write(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("CONVGRADE_JOBS", "2")
    c = _class(tmp_path, n=forked.MIN_ITEMS + 8)
    folder = tmp_path / "class"
    (folder / "s003.toml").write_bytes(b"\0\1binary")  # unreadable
    (folder / "s005").mkdir()
    (folder / "s005" / "answers.toml").write_text((folder / "s004.toml").read_text())  # id
    (folder / "s009").mkdir()  # a second sheet of s009: a duplicate
    (folder / "s009" / "answers.toml").write_text((folder / "s009.toml").read_text())
    key = load_key(tmp_path / "key.json")
    steps = class_check.check_class(key, folder)
    class_check.write_outputs(steps, tmp_path / "steps")
    both = class_check.check_all(tmp_path / "key.json", folder, tmp_path / "all")
    assert _files(tmp_path / "all") == _files(tmp_path / "steps")
    assert {p.status for p in both.problems} == {"unreadable", "id-mismatch", "duplicate"}
    assert [r.to_dict() for r in both.results] == [r.to_dict() for r in steps.results]
    assert len(both.results) == len(c.results) - 1  # s003; the others marked once


def _halves(first, items, second):
    with forked.Halves(first, items, second) as two:
        got = two.first_results()
        two.second_steps("arg", {i for i in range(len(items)) if i % 2}, lambda: None)
    return got


def test_halves_do_each_step_of_each_item_once_in_either_process(tmp_path, monkeypatch):
    import os
    import time

    monkeypatch.setenv("CONVGRADE_JOBS", "2")
    items = list(range(3 * forked.MIN_ITEMS))

    def first(x):
        time.sleep(0.01)  # long enough for the forked process to take some
        return (x * x, os.getpid())

    def second(arg, i, r):  # "x": a second time raises (and so fails the test)
        time.sleep(0.01)
        with open(tmp_path / f"{i}", "x") as f:
            f.write(f"{arg} {r[0]} {os.getpid()}")

    got = _halves(first, items, second)
    assert [g[0] for g in got] == [x * x for x in items]
    assert len({pid for _, pid in got}) == 2  # both processes took items
    written = {int(p.name): p.read_text().split() for p in tmp_path.iterdir()}
    assert {i: w[:2] for i, w in written.items()} == {
        i: ["arg", str(i * i)] for i in items if i % 2
    }
    assert len({w[2] for w in written.values()}) == 2  # both did second steps


def test_halves_redo_here_what_a_failing_forked_process_left(tmp_path, monkeypatch):
    import os

    monkeypatch.setenv("CONVGRADE_JOBS", "2")
    me = os.getpid()
    items = list(range(3 * forked.MIN_ITEMS))

    def fails_in_first(x):
        if os.getpid() != me:
            os._exit(3)  # the forked process dies while marking
        return x + 1

    def second(arg, i, r):
        if os.getpid() != me:
            raise RuntimeError("the forked process fails in the second step")
        (tmp_path / f"{i}").write_text(str(r))

    assert _halves(fails_in_first, items, second) == [x + 1 for x in items]
    assert sorted(int(p.name) for p in tmp_path.iterdir()) == [i for i in items if i % 2]
    for p in tmp_path.iterdir():
        p.unlink()
    assert _halves(lambda x: x + 1, items, second) == [x + 1 for x in items]
    assert {int(p.name): int(p.read_text()) for p in tmp_path.iterdir()} == {
        i: i + 1 for i in items if i % 2
    }
