"""`grade build` → students fill their answer sheets → `grade check` / `grade check-all`."""

from __future__ import annotations

import csv
import json
import re

from convgrade.exercises import Exercise, choices
from convgrade.exercises.checking import compare

from tests.conftest import ROOT
from tests.key_helpers import as_text


def fill(sheet: str, values: dict[str, dict[str, str]]) -> str:
    """Write answers into a blank sheet the way a student edits it: inside the quotes (a
    one-line blank ``name = ""``, or a multi-line one that opens with ``name = \"\"\"``)."""
    out, qid = [], None
    for line in sheet.splitlines():
        m = re.match(r"\[(\w+)\]", line)
        if m:
            qid = m.group(1)
        m = re.match(r'(\w+) = ("""|"")(.*)$', line)
        if m and qid in values and m.group(1) in values[qid]:
            text = values[qid][m.group(1)]
            if m.group(2) == '"""':  # the closing quotes follow on the next line
                line = f'{m.group(1)} = """\n{text}'
            else:
                line = f'{m.group(1)} = """{text}"""{m.group(3)}'
        out.append(line)
    return "\n".join(out) + "\n"


def test_build_then_check_all(grade, tmp_path):
    out = tmp_path / "w3"
    r = grade(
        "build", "examples/week3.toml", "--roster", "examples/roster.csv", "--out", str(out),
        "--format", "key", env={"CONVGRADE_SECRET": "test-secret"},
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    key = json.loads((out / "key.json").read_text())
    students = {s["id"]: s for s in key["students"]}
    assert key["questions"][3]["style"] == "multiple_choice"
    assert key["digest_algorithm"] == "sha256-orjson-sorted"  # the fast form check-all verifies
    plans = {"s001": None, "s002": "flipped_kernel"}
    for sid, mistake in plans.items():
        values = {}
        for qid, d in students[sid]["exercises"].items():
            ex = Exercise.from_dict(d)
            chosen = dict(ex.answer)
            if mistake and qid == "q1":
                chosen.update(ex.misconception(mistake).answers)
            values[qid] = {pid: as_text(ex.part(pid).type, v, 1) for pid, v in chosen.items()}
        path = out / "students" / sid / "answers.toml"
        path.write_text(fill(path.read_text(), values))

    # s003 answers the multiple-choice question (q4) with a distractor: its misconception is named
    ex4 = Exercise.from_dict(students["s003"]["exercises"]["q4"])
    pid = choices.choice_part(ex4)
    wrong = next(o for o in choices.options(ex4, pid, ex4.seed or 0) if o.misconception)
    path = out / "students" / "s003" / "answers.toml"
    path.write_text(fill(path.read_text(), {"q4": {pid: as_text(ex4.part(pid).type, wrong.value)}}))

    r = grade("check", str(out / "students/s002/answers.toml"), "--key", str(out / "key.json"))
    assert r.returncode == 0, r.stderr
    assert "Likely mistake: Flipped the kernel (true convolution)" in r.stdout
    r = grade(
        "check", str(out / "students/s003/answers.toml"), "--key", str(out / "key.json"), "--json"
    )
    assert r.returncode == 0, r.stderr
    q4 = json.loads(r.stdout)["questions"][3]
    assert [p["id"] for p in q4["parts"]] == [pid]  # only the part asked as multiple choice
    # a distractor earns the share of cells it has right, as the LMS exports give it
    share = compare(ex4.part(pid).type, wrong.value, ex4.part(pid).answer).score
    assert q4["max_points"] == key["questions"][3]["points"]
    assert q4["points"] == round(share * q4["max_points"], 4) < q4["max_points"]
    assert wrong.misconception in [d["id"] for d in q4["diagnoses"]]

    marked = tmp_path / "marked"
    r = grade("check-all", str(out), "--key", str(out / "key.json"), "--out", str(marked))
    assert r.returncode == 0, r.stderr
    total = sum(q["points"] for q in key["questions"])
    with (marked / "gradebook-canvas.csv").open(newline="") as fh:
        rows = {row["SIS User ID"]: row for row in csv.DictReader(fh)}
    column = f"{key['title']} ({key['set_id']})"
    assert float(rows["s001"][column]) == total
    results = json.loads((marked / "results.json").read_text())
    assert next(r for r in results["students"] if r["student"] == "s001")["points"] == total
    with (marked / "gradebook-moodle.csv").open(newline="") as fh:
        moodle = {row["ID number"]: row for row in csv.DictReader(fh)}
    with (ROOT / "examples" / "roster.csv").open(newline="") as fh:
        roster = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert all(moodle[sid]["Email address"] == roster[sid]["email"] != "" for sid in students)
    assert float(rows["s002"][column]) < total
    # the untouched blank sheets of the other students score 0, with messages
    untouched = [sid for sid in students if sid not in plans and sid != "s003"]
    assert all(float(rows[sid][column]) == 0 for sid in untouched)
    assert "no answer given" in (marked / "feedback" / f"{untouched[0]}.txt").read_text()
