"""`grade check` / `check-all` never stop on, nor show a traceback for, a bad sheet or key.

Each input the audit (issue 12) found: a UTF-8 BOM, UTF-16, binary, a TOML typo, an unknown
question, a duplicate id, ``10**400``, a 5,000-digit string, a 5,000-deep array, a key with
``points = "three"``.
"""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

from convgrade.cli.main import cli
from tests.key_helpers import answers_toml, as_text, make_key, student_exercises, write_key

N = 12


@pytest.fixture(scope="module")
def key():
    return make_key(["conv1d"], n_students=N, n_questions=2, seed=5)


def good(key, sid: str) -> str:
    answers = {
        qid: {pid: as_text(ex.part(pid).type, v, 1) for pid, v in ex.answer.items()}
        for qid, ex in student_exercises(key, sid).items()
    }
    return answers_toml(sid, "cnn-test", answers)


def bad_sheets(key) -> dict[str, bytes]:
    """File name -> content: s001-s003 readable (plain, BOM, UTF-16), the rest not markable."""
    return {
        "s001.toml": good(key, "s001").encode(),
        "s002.toml": b"\xef\xbb\xbf" + good(key, "s002").encode(),
        "s003.toml": good(key, "s003").encode("utf-16"),
        "s004.toml": good(key, "s004").replace("[q1]", "[q1", 1).encode(),
        "s005.toml": (good(key, "s005") + "\n[q9]\nlength = 3\n").encode(),
        "s006.toml": f'student = "s006"\n[q1]\nlength = 1{"0" * 400}\n'.encode(),
        "s007.toml": f'student = "s007"\n[q1]\nlength = "{"7" * 5000}"\n'.encode(),
        "s008.toml": f'student = "s008"\n[q1]\noutput = {"[" * 5000}{"]" * 5000}\n'.encode(),
        "s009.toml": bytes(range(256)),
        "s010.json": b'{"student": "s010", "answers": {"q1": {"output": ' + b"[" * 5000,
    }


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def folder(tmp_path, key):
    write_key(tmp_path / "key.json", key)
    root = tmp_path / "class"
    root.mkdir()
    for name, data in bad_sheets(key).items():
        (root / name).write_bytes(data)
    (root / "copy.toml").write_text(good(key, "s001"))  # a second sheet for s001
    return root


def test_check_reads_each_input_or_says_why_in_one_line(folder, tmp_path):
    key = str(tmp_path / "key.json")
    for name in ("s001.toml", "s002.toml", "s003.toml"):
        r = run("check", str(folder / name), "--key", key, "--json")
        assert r.exit_code == 0, r.output
        assert json.loads(r.output)["score"] == 1.0
    for name in ("s006.toml", "s007.toml"):  # huge numbers: that part unreadable, no crash
        r = run("check", str(folder / name), "--key", key, "--json")
        assert r.exit_code == 0, r.output
        part = json.loads(r.output)["questions"][0]["parts"][0]
        assert part["status"] == "unreadable" and "more than 30 digits" in part["message"]
        assert len(json.dumps(part["given"])) < 300  # not echoed whole
    for name, why in [
        ("s004.toml", "invalid TOML"),
        ("s005.toml", "unknown question 'q9'"),
        ("s008.toml", "nested too deeply"),
        ("s009.toml", "binary file"),
        ("s010.json", "nested too deeply"),
    ]:
        r = run("check", str(folder / name), "--key", key)
        assert r.exit_code == 2, (name, r.output)
        assert r.output.count("\n") == 1 and why in r.output and name in r.output
        assert "Traceback" not in r.output


def test_check_all_marks_every_readable_sheet_and_lists_the_others(folder, tmp_path):
    out = tmp_path / "out"
    r = run("check-all", str(folder), "--key", str(tmp_path / "key.json"), "--out", str(out))
    assert r.exit_code == 0, r.output
    moodle = {m["ID number"]: m for m in csv.DictReader((out / "gradebook-moodle.csv").open())}
    grade = {sid: m["CNN test set (cnn-test)"] for sid, m in moodle.items()}
    status = {sid: m["Feedback"].split(":")[0] for sid, m in moodle.items()}
    assert grade["s001"] == grade["s002"] == grade["s003"] == "8"
    assert grade["s006"] == grade["s007"] == "0"  # marked: that part unreadable, no crash
    for sid in ("s004", "s008", "s009", "s010"):
        assert (grade[sid], status[sid]) == ("", "unreadable"), sid
    assert (grade["s005"], status["s005"]) == ("", "rejected")
    assert moodle["copy"]["Feedback"].startswith("duplicate: ")
    assert status["s011"] == status["s012"] == "absent"
    plain = {row["student"]: row for row in csv.DictReader((out / "gradebook.csv").open())}
    assert plain["s009"]["status"] == "unreadable" and "binary file" in plain["s009"]["message"]
    results = json.loads((out / "results.json").read_text())
    assert len(results["students"]) == 5 and len(results["not_marked"]) == 6
    report = (out / "report.html").read_text()
    assert "Sheets not marked" in report and "s009.toml: a binary file" in report


@pytest.mark.parametrize(
    "change, why",
    [
        ({"points": "three"}, "points must be a number of points >= 0, not 'three'"),
        ({"points": -1}, "points must be a number of points >= 0"),
        ({"part_points": {"length": -2}}, "part_points.length must be a number of points"),
        ({"kind": 3}, "kind must be a string"),
    ],
)
def test_a_malformed_key_is_one_line(tmp_path, key, change, why):
    bad = json.loads(json.dumps(key))
    bad["questions"][0].update(change)
    write_key(tmp_path / "key.json", bad)
    sheet = tmp_path / "s001.toml"
    sheet.write_text(good(key, "s001"))
    r = run("check", str(sheet), "--key", str(tmp_path / "key.json"), "--allow-edited-key")
    assert r.exit_code == 2 and why in r.output and r.output.count("\n") == 1, r.output


def test_a_key_edited_after_build_is_refused_unless_allowed(tmp_path, key):
    write_key(tmp_path / "key.json", key)
    sheet = tmp_path / "s001.toml"
    sheet.write_text(good(key, "s001"))
    path = str(tmp_path / "key.json")
    assert run("check", str(sheet), "--key", path).exit_code == 0
    d = json.loads((tmp_path / "key.json").read_text())
    d["students"][0]["exercises"]["q1"]["parts"][0]["answer"] = 99  # an answer changed
    (tmp_path / "key.json").write_text(json.dumps(d))
    for args in (["check", str(sheet)], ["check-all", str(tmp_path), "--out", str(tmp_path / "o")]):
        r = run(*args, "--key", path)
        assert r.exit_code == 2 and "the key was changed after `grade build`" in r.output
        assert "--allow-edited-key" in r.output and r.output.count("\n") == 1
    r = run("check", str(sheet), "--key", path, "--allow-edited-key", "--json")
    assert r.exit_code == 0 and json.loads(r.output)["questions"][0]["parts"][0]["score"] == 0
    del d["digest"]
    d["questions"][0]["kind"] = "conv2d"  # the kind changed, digest dropped
    (tmp_path / "key.json").write_text(json.dumps(d))
    r = run("check", str(sheet), "--key", path)
    assert r.exit_code == 2 and "the key has no digest" in r.output


def test_a_sheet_claiming_another_students_id_is_not_marked_as_theirs(tmp_path, key):
    from convgrade.exercises.answer_sheets import load_key
    from convgrade.exercises.class_check import check_class

    write_key(tmp_path / "key.json", key)
    root = tmp_path / "class"
    (root / "s005").mkdir(parents=True)
    (root / "s005" / "answers.toml").write_text(good(key, "s005").replace("s005", "s003", 1))
    (root / "s001.toml").write_text(good(key, "s001"))
    c = check_class(load_key(tmp_path / "key.json"), root)
    assert [r.student for r in c.results] == ["s001"]  # s003 is not marked with s005's answers
    [p] = c.problems
    assert (p.student, p.status) == ("s005", "id-mismatch")
    assert "says student = 's003' but its file name says 's005'" in p.reason
    assert "s003" in c.absent and "s005" not in c.absent


def test_a_bug_on_one_sheet_is_an_error_row_not_a_stopped_class(folder, tmp_path, monkeypatch):
    from convgrade.exercises import class_check
    from convgrade.exercises.answer_sheets import load_key

    real = class_check.check_sheet

    def flaky(key, sheet, sid):
        if sid == "s002":
            raise ZeroDivisionError("boom")
        return real(key, sheet, sid)

    monkeypatch.setattr(class_check, "check_sheet", flaky)
    c = class_check.check_class(load_key(tmp_path / "key.json"), folder)
    errors = [p for p in c.problems if p.status == "error"]
    assert [(p.student, "ZeroDivisionError: boom" in p.reason) for p in errors] == [("s002", True)]
    assert {"s001", "s003"} <= {r.student for r in c.results}
