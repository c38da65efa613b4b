"""grade batch: discovery, resume/regrade, crash containment, gradebooks, and a real class."""

from __future__ import annotations

import csv
import io
import json
import shutil
import threading
import time
from pathlib import Path

import pytest
from convgrade.exercises.gradebook import render
from convgrade.grader.batch import BatchError, discover, gradebook_of, run_batch, submission_file

CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "tests" / "grader" / "hostile"
GOOD = ROOT / "examples" / "submissions" / "digits-cnn" / "lecture_cnn.py"


class StubGrader:
    """Stands in for grade_submission: score = number in the file, status from its first word."""

    def __init__(self, delay: float = 0.0) -> None:
        self.calls: list[str] = []
        self.lock = threading.Lock()
        self.delay = delay

    def __call__(self, path: Path, out: Path) -> dict:
        with self.lock:
            self.calls.append(path.parent.name)  # grade() gets a copy in a folder per student
        time.sleep(self.delay)
        word, number = path.read_text().split()
        if word == "crash":
            raise RuntimeError("grader bug")
        if word == "interrupt":
            raise KeyboardInterrupt
        res = {"status": word, "score": float(number), "max_score": 10.0, "message": word,
               "accuracy": float(number) / 10, "backend": "stub"}  # fmt: skip
        (out / "result.json").write_text(json.dumps(res))
        (out / "report.html").write_text("<p>report</p>")
        return res


def make_class(root: Path, entries: dict[str, str]) -> Path:
    folder = root / "class"
    folder.mkdir()
    for name, text in entries.items():
        if "/" in name:
            (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_text(text)
    return folder


# ------------------------------------------------------------------ discovery


def test_discover_files_and_folders(tmp_path):
    folder = make_class(tmp_path, {"alice.py": "ok 1", "bob.ipynb": "{}", "carol/main.py": "",
                                   ".hidden.py": "", "notes.txt": "", "_skip.py": ""})  # fmt: skip
    subs = discover(folder)
    assert [(s.student, s.path.name) for s in subs] == [
        ("alice", "alice.py"), ("bob", "bob.ipynb"), ("carol", "carol")
    ]  # fmt: skip
    assert submission_file(folder / "carol") == folder / "carol" / "main.py"


def test_discover_rejects_duplicates_and_empty_folders(tmp_path):
    folder = make_class(tmp_path, {"alice.py": "", "alice/x.py": ""})
    with pytest.raises(BatchError, match="two submissions for student 'alice'"):
        discover(folder)
    (tmp_path / "empty").mkdir()
    with pytest.raises(BatchError, match="no submissions"):
        discover(tmp_path / "empty")
    with pytest.raises(BatchError, match="not a folder"):
        discover(tmp_path / "missing")


def test_folder_with_two_files_is_that_students_error(tmp_path):
    folder = make_class(tmp_path, {"alice.py": "ok 5", "bob/a.py": "ok 1", "bob/b.py": "ok 2"})
    summary = run_batch(folder, tmp_path / "out", StubGrader())
    rows = {r["student"]: r for r in summary.rows}
    assert rows["alice"]["status"] == "ok"
    assert rows["bob"]["status"] == "error"
    assert "expected exactly one .py or .ipynb file" in rows["bob"]["message"]


# ------------------------------------------------------------------ batch mechanics (stub)


def test_batch_writes_per_student_results_and_gradebooks(tmp_path):
    folder = make_class(tmp_path, {"alice.py": "ok 7", "bob.py": "timeout 0", "carol.py": "ok 10"})
    out = tmp_path / "out"
    seen = []
    summary = run_batch(folder, out, StubGrader(), workers=2, title="Digits CNN", max_score=10.0,
                        on_done=lambda s, r, c: seen.append((s, r["status"])))  # fmt: skip
    assert summary.counts == {"ok": 2, "timeout": 1}
    assert (summary.total, summary.graded, summary.skipped) == (3, 3, 0)
    assert sorted(seen) == [("alice", "ok"), ("bob", "timeout"), ("carol", "ok")]
    for student in ("alice", "bob", "carol"):
        assert json.loads((out / student / "result.json").read_text())["student"] == student
        assert (out / student / "report.html").exists()
    assert not (out / ".staging").exists()

    canvas = list(csv.reader(io.StringIO((out / "gradebook-canvas.csv").read_text())))
    assert canvas[0] == [*CANVAS_COLUMNS, "Digits CNN"]
    assert canvas[1] == ["    Points Possible", "", "", "", "", "10"]
    assert canvas[2:] == [["alice", "", "alice", "", "", "7"],
                          ["bob", "", "bob", "", "", "0"],
                          ["carol", "", "carol", "", "", "10"]]  # fmt: skip
    moodle = list(csv.DictReader(io.StringIO((out / "gradebook-moodle.csv").read_text())))
    assert [(r["ID number"], r["Digits CNN"]) for r in moodle] == [
        ("alice", "7"), ("bob", "0"), ("carol", "10")
    ]  # fmt: skip
    assert moodle[1]["Feedback"].startswith("timeout")
    results = list(csv.DictReader(io.StringIO((out / "results.csv").read_text())))
    assert [r["status"] for r in results] == ["ok", "timeout", "ok"]
    assert json.loads((out / "summary.json").read_text())["counts"] == {"ok": 2, "timeout": 1}


def test_only_ok_results_earn_points_in_the_gradebook(tmp_path):
    """A non-ok result that claims points (a bug or a forgery) still enters as 0."""
    folder = make_class(tmp_path, {"mallory.py": "error 10"})
    summary = run_batch(folder, tmp_path / "out", StubGrader())
    assert summary.rows[0]["score"] == 0.0
    assert "mallory,,mallory,,,0" in (tmp_path / "out" / "gradebook-canvas.csv").read_text()


def test_a_grader_crash_is_contained(tmp_path):
    folder = make_class(tmp_path, {"a.py": "ok 3", "b.py": "crash 0", "c.py": "ok 4"})
    summary = run_batch(folder, tmp_path / "out", StubGrader(), workers=2)
    assert summary.counts == {"error": 1, "ok": 2}
    bad = json.loads((tmp_path / "out" / "b" / "result.json").read_text())
    assert bad["status"] == "error" and "internal error: RuntimeError: grader bug" in bad["message"]
    assert "RuntimeError" in (tmp_path / "out" / "b" / "error.log").read_text()


def test_existing_results_need_resume_or_regrade(tmp_path):
    folder = make_class(tmp_path, {"a.py": "ok 3"})
    out = tmp_path / "out"
    run_batch(folder, out, StubGrader())
    with pytest.raises(BatchError, match="pass --resume .* or --regrade"):
        run_batch(folder, out, StubGrader())
    with pytest.raises(BatchError, match="exclude each other"):
        run_batch(folder, out, StubGrader(), resume=True, regrade=True)


def test_resume_skips_finished_students_and_regrade_redoes_all(tmp_path):
    folder = make_class(tmp_path, {f"s{i}.py": f"ok {i}" for i in range(6)})
    out = tmp_path / "out"
    first = StubGrader()
    run_batch(folder, out, first, workers=2)
    assert sorted(first.calls) == [f"s{i}" for i in range(6)]
    mtimes = {p: p.stat().st_mtime_ns for p in out.glob("*/result.json")}

    again = StubGrader()
    summary = run_batch(folder, out, again, resume=True)
    assert again.calls == [] and (summary.graded, summary.skipped) == (0, 6)
    assert summary.counts == {"ok": 6}
    assert {p: p.stat().st_mtime_ns for p in out.glob("*/result.json")} == mtimes

    shutil.rmtree(out / "s3")
    partial = StubGrader()
    run_batch(folder, out, partial, resume=True)
    assert partial.calls == ["s3"]

    everything = StubGrader()
    summary = run_batch(folder, out, everything, regrade=True, workers=3)
    assert sorted(everything.calls) == [f"s{i}" for i in range(6)]
    assert summary.graded == 6


def test_interrupted_batch_loses_nothing_and_resumes(tmp_path):
    entries = {f"s{i}.py": f"ok {i}" for i in range(5)}
    entries["s5.py"] = "interrupt 0"  # Ctrl-C arrives while s5 is being graded
    folder = make_class(tmp_path, entries)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run_batch(folder, out, StubGrader(), workers=1)
    done = sorted(p.parent.name for p in out.glob("*/result.json"))
    assert done == [f"s{i}" for i in range(5)]  # everything finished before it is kept
    assert not (out / "s5").exists()  # and nothing half-written
    (folder / "s5.py").write_text("ok 9")
    rest = StubGrader()
    summary = run_batch(folder, out, rest, resume=True)
    assert rest.calls == ["s5"] and summary.counts == {"ok": 6}


def test_workers_run_in_parallel(tmp_path):
    folder = make_class(tmp_path, {f"s{i}.py": "ok 1" for i in range(4)})
    start = time.monotonic()
    run_batch(folder, tmp_path / "out", StubGrader(delay=0.5), workers=4)
    assert time.monotonic() - start < 4 * 0.5


def test_gradebook_writers_quote_awkward_names():
    rows = [{"student": 'o"neil, jr', "score": 2.5, "status": "ok", "message": ""}]
    book = gradebook_of(rows, title="A, B", max_score=10)
    assert list(csv.reader(io.StringIO(render(book, "canvas"))))[2][0] == 'o"neil, jr'
    moodle = list(csv.reader(io.StringIO(render(book, "moodle"))))
    assert moodle[0][3] == "A, B" and moodle[1] == ['o"neil, jr', "", "", "2.5", "2.5/10 points"]


# ------------------------------------------------------------------ a real class, via the CLI

CLASS = {
    "alice.py": GOOD,
    "bob.py": GOOD,  # identical to alice: identical score
    "carol/lecture_cnn.py": GOOD,  # a folder submission
    "dave.py": HOSTILE / "infinite_loop.py",
    "frank.py": HOSTILE / "fork_bomb.py",
    "grace.py": HOSTILE / "exit_early.py",
    "heidi.py": HOSTILE / "os_exit_early.py",
    "ivan.py": HOSTILE / "forged_result.py",
    "judy.py": HOSTILE / "forged_predictions_length.py",
    "mallory.py": HOSTILE / "kill_parent.py",
    "oscar.py": ROOT / "examples" / "submissions" / "broken" / "syntax_error.py",
    "peggy.py": HOSTILE / "print_gigabytes.py",
}
EXPECTED = {
    "alice": "ok", "bob": "ok", "carol": "ok", "dave": "timeout", "frank": "resource-limit",
    "grace": "import-error", "heidi": "error", "ivan": "error", "judy": "error",
    "mallory": "no-build-model", "oscar": "syntax-error", "peggy": "resource-limit",
}  # fmt: skip


@pytest.mark.tf
def test_batch_of_twelve_good_and_hostile_then_resume(tmp_path, grade):
    folder = tmp_path / "class"
    for name, source in CLASS.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, folder / name)
    out = tmp_path / "graded"
    args = ["batch", str(folder), "-a", "digits-cnn", "--workers", "2",
            "--out", str(out), "--time-limit", "60"]  # fmt: skip
    proc = grade(*args, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = {s: json.loads((out / s / "result.json").read_text()) for s in EXPECTED}
    assert {s: r["status"] for s, r in results.items()} == EXPECTED
    for s, r in results.items():
        assert r["backend"] in {"bwrap", "subprocess"}
        if EXPECTED[s] != "ok":
            assert r["score"] == 0.0, s
        assert (out / s / "report.html").is_file()
    accuracies = {results[s]["accuracy"] for s in ("alice", "bob", "carol")}
    assert len(accuracies) == 1  # identical submissions, identical results
    assert results["alice"]["score"] == results["bob"]["score"] > 0
    assert "12 students:" in proc.stdout and "ok 3" in proc.stdout
    assert "[12/12]" in proc.stderr  # the progress line with counts by status
    canvas = (out / "gradebook-canvas.csv").read_text().splitlines()
    assert len(canvas) == 2 + 12

    mtimes = {p: p.stat().st_mtime_ns for p in out.glob("*/result.json")}
    start = time.monotonic()
    again = grade(*args, "--resume", timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "graded 0 (12 kept from before)" in again.stdout
    assert {p: p.stat().st_mtime_ns for p in out.glob("*/result.json")} == mtimes
    assert time.monotonic() - start < 30  # no submission ran again

    refused = grade(*args, timeout=300)
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: ") and "--resume" in refused.stderr


# ------------------------------------------------------------------ CLI usage errors


@pytest.mark.parametrize(
    "extra,words",
    [
        (["--memory-limit", "lots"], "--memory-limit"),
        (["--time-limit", "soon"], "--time-limit"),
        (["--resume", "--regrade"], "exclude each other"),
        (["--backend", "docker"], "docker"),
    ],
)
def test_batch_cli_usage_errors(tmp_path, grade, extra, words):
    folder = make_class(tmp_path, {"alice.py": "print('never run')\n"})
    proc = grade("batch", str(folder), "-a", "digits-cnn", "--out", str(tmp_path / "o"), *extra)
    assert proc.returncode == 2, proc.stderr
    assert words in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "o" / "alice").exists()


def test_batch_cli_missing_folder(tmp_path, grade):
    proc = grade("batch", str(tmp_path / "nope"), "-a", "digits-cnn", "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "not a folder of submissions" in proc.stderr
