"""`grade check` and `grade check-all` end to end: reports, JSON, gradebooks, malformed files."""

from __future__ import annotations

import csv
import json

import pytest

from tests.key_helpers import answers_toml, as_text, make_key, student_exercises, write_key


@pytest.fixture(scope="module")
def key():
    return make_key(["conv1d"], n_students=3, n_questions=2, seed=5)


@pytest.fixture
def key_file(tmp_path, key):
    return write_key(tmp_path / "key.json", key)


def sheet_for(key, sid, wrong: dict[str, str] | None = None, drop=()):
    """Answers of student ``sid``: right everywhere, a misconception on the questions in
    ``wrong`` (question id -> misconception id), blank parts in ``drop`` ("q1.output")."""
    out = {}
    for qid, ex in student_exercises(key, sid).items():
        values = dict(ex.answer)
        if wrong and qid in wrong:
            values.update(ex.misconception(wrong[qid]).answers)
        out[qid] = {
            pid: ("" if f"{qid}.{pid}" in drop else as_text(ex.part(pid).type, v, 1))
            for pid, v in values.items()
        }
    return out


def test_check_reports_marks_and_names_the_mistake(grade, tmp_path, key, key_file):
    sheet = tmp_path / "s002.toml"
    sheet.write_text(
        answers_toml("s002", "cnn-test", sheet_for(key, "s002", {"q2": "flipped_kernel"}))
    )
    r = grade("check", str(sheet), "--key", str(key_file))
    assert r.returncode == 0, r.stderr
    assert "s002 (Student 2)" in r.stdout
    assert "q1 · conv1d · Question 1: 4/4 points" in r.stdout
    assert "Likely mistake: Flipped the kernel (true convolution)" in r.stdout
    assert "Worked solution" in r.stdout

    r = grade("check", str(sheet), "--key", str(key_file), "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    q1, q2 = d["questions"]
    assert q1["score"] == 1 and q1["points"] == 4
    assert q2["score"] < 1 and [x["id"] for x in q2["diagnoses"]] == ["flipped_kernel"]
    assert "Likely mistake: Flipped the kernel" in q2["feedback"]
    assert d["points"] == q1["points"] + q2["points"] and d["max_points"] == 8

    r = grade("check", str(sheet), "--key", str(key_file), "--hide-answers")
    assert r.returncode == 0 and "Likely mistake: Flipped the kernel" in r.stdout
    assert "right answer" not in r.stdout and "Worked solution" not in r.stdout
    right = student_exercises(key, "s002")["q2"].answer["output"]
    assert str(right) not in r.stdout

    r = grade("check", str(sheet), "--key", str(key_file), "--format", "html")
    assert r.returncode == 0 and r.stdout.startswith("<!DOCTYPE html>")


def test_missing_answer_scores_zero_with_a_message(grade, tmp_path, key, key_file):
    answers = sheet_for(key, "s001", drop={"q1.output"})
    del answers["q2"]  # a whole question left out
    sheet = tmp_path / "a.toml"
    sheet.write_text(answers_toml("s001", "cnn-test", answers))
    r = grade("check", str(sheet), "--key", str(key_file), "--json")
    assert r.returncode == 0, r.stderr
    q1, q2 = json.loads(r.stdout)["questions"]
    statuses = {p["id"]: (p["status"], p["message"]) for p in q1["parts"]}
    assert statuses["output"] == ("missing", "no answer given")
    assert statuses["length"][0] == "correct"
    assert q2["points"] == 0 and all(p["status"] == "missing" for p in q2["parts"])


def test_toml_values_of_the_wrong_kind_are_unreadable_not_a_crash(grade, tmp_path, key_file):
    sheet = tmp_path / "a.toml"
    sheet.write_text('student = "s001"\n[q1]\nlength = 1979-05-27\noutput = { a = 1 }\n')
    r = grade("check", str(sheet), "--key", str(key_file), "--json")
    assert r.returncode == 0, r.stderr
    parts = json.loads(r.stdout)["questions"][0]["parts"]
    assert [p["status"] for p in parts] == ["unreadable", "unreadable"]
    assert "expected a whole number" in parts[0]["message"] and parts[0]["given"] == "1979-05-27"


def test_json_answer_sheet_and_student_option(grade, tmp_path, key, key_file):
    ex = student_exercises(key, "s003")
    sheet = tmp_path / "a.json"
    sheet.write_text(json.dumps({"answers": {q: e.answer for q, e in ex.items()}}))
    r = grade("check", str(sheet), "--key", str(key_file), "--student", "s003", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["score"] == 1


BAD = [
    ('student = "s001"\n[q1]\nlength = 4\noutput = [1, 2\n', "after line 4: an unclosed"),
    ('student = "s001"\n[q1]\nlength = 4 4\noutput = [1, 2]\n', "(at line 3, column"),
    ('student = "s001"\n[q1]\nlength = 4\nlength = 5\n', "line 4"),
    ('student = "s001"\n\n[q1]\nlength = 4\n\n[q9]\nlength = 1\n', "line 6: unknown question 'q9'"),
    ('student = "s999"\n[q1]\nlength = 4\n', "student 's999' is not in the key"),
    ('student = "s001"\nset = "other"\n[q1]\nlength = 4\n', "answers are for set 'other'"),
    ('student = "s001"\n[q1]\nlenght = 4\n', "question q1: unknown part 'lenght'"),
    ('student = "s001"\nfoo = 1\n', "unknown top-level entry 'foo'"),
    ("[q1]\nlength = 4\n", "no student id"),
]


@pytest.mark.parametrize("text, needle", BAD)
def test_malformed_answer_files_exit_2_naming_the_problem(grade, tmp_path, key_file, text, needle):
    sheet = tmp_path / "bad.toml"
    sheet.write_text(text)
    r = grade("check", str(sheet), "--key", str(key_file))
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stderr.startswith("error: ") and needle in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1


def test_malformed_json_and_missing_files(grade, tmp_path, key_file):
    bad = tmp_path / "bad.json"
    bad.write_text('{"answers": {\n  "q1": {"length": 4,}\n}}')
    r = grade("check", str(bad), "--key", str(key_file))
    assert r.returncode == 2 and "bad.json line 2: invalid JSON" in r.stderr
    r = grade("check", str(tmp_path / "nope.toml"), "--key", str(key_file))
    assert r.returncode == 2 and "nope.toml: no such answer file" in r.stderr
    other = tmp_path / "other.json"
    other.write_text('{"questions": []}')
    r = grade("check", str(bad), "--key", str(other))
    assert r.returncode == 2 and "other.json: not a convgrade key" in r.stderr


def test_variants_mode_uses_the_variant_the_sheet_names(grade, tmp_path):
    key = make_key(["conv1d"], roster=False, n_questions=1, n_variants=3, seed=2)
    key_file = write_key(tmp_path / "key.json", key)
    from convgrade.exercises import Exercise

    ex = Exercise.from_dict(key["variants"]["q1"][2])
    sheet = tmp_path / "anon.toml"
    sheet.write_text(f"[q1]\nvariant = 2\nlength = {ex.answer['length']}\n")
    r = grade("check", str(sheet), "--key", str(key_file), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["questions"][0]["parts"][0]["status"] == "correct"
    sheet.write_text("[q1]\nlength = 3\n")
    r = grade("check", str(sheet), "--key", str(key_file))
    assert r.returncode == 2 and "no 'variant' given (the key has 3 variants" in r.stderr


def test_check_all_writes_gradebooks_feedback_and_report(grade, tmp_path, key, key_file):
    root = tmp_path / "class"
    plans = {"s001": {}, "s002": {"q1": "flipped_kernel", "q2": "flipped_kernel"}}
    for sid, wrong in plans.items():
        d = root / "students" / sid
        d.mkdir(parents=True)
        (d / "answers.toml").write_text(answers_toml(sid, "cnn-test", sheet_for(key, sid, wrong)))
    out = tmp_path / "out"
    r = grade("check-all", str(root), "--key", str(key_file), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "checked 2 answer sheets" in r.stdout and "1 students without one" in r.stdout

    with (out / "gradebook-canvas.csv").open(newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == [
        "Student", "ID", "SIS User ID", "SIS Login ID", "Section", "CNN test set (cnn-test)",
    ]  # fmt: skip
    assert rows[1][0].strip() == "Points Possible" and rows[1][5] == "8"
    by_sis = {row[2]: row for row in rows[2:]}
    assert by_sis["s001"][5] == "8" and float(by_sis["s002"][5]) < 8 and by_sis["s003"][5] == ""

    with (out / "gradebook-moodle.csv").open(newline="") as fh:
        moodle = list(csv.DictReader(fh))
    assert list(moodle[0]) == [
        "ID number",
        "Full name",
        "Email address",
        "CNN test set (cnn-test)",
        "Feedback",
    ]
    s2 = next(m for m in moodle if m["ID number"] == "s002")
    assert s2["Email address"] == "s002@example.edu"
    assert "Flipped the kernel" in s2["Feedback"]

    text = (out / "feedback" / "s002.txt").read_text()
    assert "Likely mistake: Flipped the kernel" in text
    assert (out / "feedback" / "s002.html").read_text().startswith("<!DOCTYPE html>")
    assert not (out / "feedback" / "s003.txt").exists()
    report = (out / "report.html").read_text()
    assert report.count("<svg") == 2 and "Flipped the kernel (true convolution)" in report
    assert "src=" not in report  # self-contained: nothing to fetch
    results = json.loads((out / "results.json").read_text())
    assert [s["student"] for s in results["students"]] == ["s001", "s002"]
    assert results["absent"] == ["s003"]


def test_check_all_reports_a_malformed_sheet_as_its_own_row(grade, tmp_path, key, key_file):
    root = tmp_path / "class"
    root.mkdir()
    (root / "s001.toml").write_text(answers_toml("s001", "cnn-test", sheet_for(key, "s001")))
    (root / "s002.toml").write_text('student = "s002"\n[q1\n')
    out = tmp_path / "out"
    r = grade("check-all", str(root), "--key", str(key_file), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "checked 1 answer sheets" in r.stdout and "1 not marked" in r.stdout
    assert "s002.toml: invalid TOML" in r.stderr and "line 2" in r.stderr
    moodle = {m["ID number"]: m for m in csv.DictReader((out / "gradebook-moodle.csv").open())}
    assert moodle["s001"]["CNN test set (cnn-test)"] == "8"
    assert moodle["s002"]["CNN test set (cnn-test)"] == ""
    assert (
        moodle["s002"]["Feedback"].startswith("unreadable: ")
        and "invalid TOML" in (moodle["s002"]["Feedback"])
    )
    assert moodle["s003"]["Feedback"] == "absent: no answers submitted"
    results = json.loads((out / "results.json").read_text())
    assert [(p["student"], p["status"]) for p in results["not_marked"]] == [("s002", "unreadable")]
    assert "Sheets not marked" in (out / "report.html").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["class", "key.json", "out"]


def test_readme_example_sheet_checks(grade):
    r = grade("check", "examples/answers-example.toml", "--key", "examples/key-example.json")
    assert r.returncode == 0, r.stderr
    assert "q1 · conv1d · Question 1: 4/4 points" in r.stdout
    assert "(d) Pooling output z: consistent with your own earlier answer" in r.stdout
    assert "Likely mistake: Counted instead of marking presence [multi_hot]" in r.stdout


def test_check_class_finds_sheets_names_students_and_rejects_duplicates(tmp_path, key, key_file):
    from convgrade.exercises.answer_sheets import load_key
    from convgrade.exercises.class_check import check_class

    root = tmp_path / "class"
    (root / "s002").mkdir(parents=True)
    ex1 = student_exercises(key, "s001")
    (root / "s001.json").write_text(json.dumps({"answers": {q: e.answer for q, e in ex1.items()}}))
    (root / "s002" / "answers.toml").write_text(answers_toml(None, "cnn-test", {}))
    c = check_class(load_key(key_file), root)
    assert sorted(r.student for r in c.results) == ["s001", "s002"]  # from file and folder names
    assert {r.student: r.score for r in c.results} == {"s001": 1.0, "s002": 0.0}
    assert c.absent == ["s003"]
    (root / "again.toml").write_text(answers_toml("s001", "cnn-test", {}))
    c = check_class(load_key(key_file), root)
    assert sorted(r.student for r in c.results) == ["s001", "s002"]
    [dup] = c.problems
    assert (dup.student, dup.status) == ("again", "duplicate")  # listed under its file name
    assert "again.toml: student 's001' already answered in" in dup.reason
