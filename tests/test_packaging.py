"""A non-editable install ships everything: the wheel alone (no source tree on the path) renders
every exercise format, writes every LMS format and builds a problem set into every format.

It runs from a course folder that has ``exercises/``, ``templates/`` and ``grader/`` packages of
its own, the way instructors' folders do: nothing the wheel installs may be shadowed by them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

RENDER_ALL = """
import sys
from convgrade import exercises, templates
from convgrade.exercises.render import FORMATS, render
assert templates.__file__.startswith(sys.argv[1]), templates.__file__
assert exercises.__file__.startswith(sys.argv[1]), exercises.__file__
import exercises as theirs, templates as their_templates, grader as their_grader
assert theirs.MINE and their_templates.MINE and their_grader.MINE
for kind in exercises.kinds():
    ex = exercises.generate(kind, seed=3)
    for fmt in FORMATS:
        assert render(ex, fmt, solution=True).strip()
print("rendered", len(exercises.kinds()), "kinds")
"""

WRITE_ALL = """
import sys, pathlib
from convgrade import exercises
from convgrade.exercises.export import FILES, WRITERS
from convgrade.exercises.quiz import Question, Quiz
assert exercises.__file__.startswith(sys.argv[1]), exercises.__file__
qs = [
    Question(f"q{i}", kind, 2, [exercises.generate(kind, seed=s) for s in (1, 2)], style)
    for i, kind in enumerate(exercises.kinds())
    for style in ("blanks", "multiple_choice")
]
out = pathlib.Path(sys.argv[2])
for name, write in WRITERS.items():
    write(Quiz("Installed", "installed", qs), out)
    assert (out / FILES[name]).stat().st_size > 0, name
print("wrote", len(WRITERS), "formats")
"""


class Installed:
    """The wheel installed into its own folder, run from outside the source tree."""

    def __init__(self, site: Path, cwd: Path) -> None:
        self.site, self.cwd = site, cwd
        self.env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        self.env["PYTHONPATH"] = str(site)

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, *args], cwd=self.cwd, env=self.env, capture_output=True, text=True
        )


def _course_folder(path: Path) -> Path:
    """An instructor's folder with exercises/, templates/ and grader/ packages of its own."""
    for name in ("exercises", "templates", "grader"):
        (path / name).mkdir(parents=True)
        (path / name / "__init__.py").write_text("MINE = True\n")
    return path


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    tmp = tmp_path_factory.mktemp("wheel")
    wheels, site, source = tmp / "wheels", tmp / "site", tmp / "source"
    pip = [sys.executable, "-m", "pip"]
    # Build from a copy of the tracked files: a build inside the checkout leaves build/ behind,
    # which can leak stale modules into later wheels.
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True
    ).stdout.decode()
    for name in filter(None, tracked.split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(source)],
        check=True,
        cwd=tmp,
    )
    (wheel,) = wheels.glob("convgrade-*.whl")
    subprocess.run(
        [*pip, "install", "--no-deps", "-q", "--target", str(site), str(wheel)], check=True, cwd=tmp
    )
    return Installed(site, _course_folder(tmp / "course"))


def test_wheel_renders_every_kind_in_every_format(installed):
    out = installed.run("-c", RENDER_ALL, str(installed.site))
    assert out.returncode == 0, out.stderr
    assert "rendered" in out.stdout
    grade = installed.run(
        "-m", "convgrade", "generate", "conv1d", "--seed", "2", "--format", "html", "--solution"
    )
    assert grade.returncode == 0, grade.stderr
    assert 'class="vector"' in grade.stdout


def test_wheel_writes_every_lms_format(installed, tmp_path):
    done = installed.run("-c", WRITE_ALL, str(installed.site), str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "wrote 5 formats" in done.stdout


def test_wheel_builds_a_problem_set_into_every_format(installed, tmp_path):
    out = tmp_path / "all"
    spec = ROOT / "examples" / "all-kinds.toml"
    done = installed.run(
        "-m", "convgrade", "build", str(spec), "--out", str(out), "--variants", "1"
    )
    assert done.returncode == 0, done.stderr
    names = {p.name for p in out.iterdir()}
    want = {
        "handout.html",
        "handout.md",
        "handout.pdf",
        "key.json",
        "key.csv",
        "key.html",
        "moodle.xml",
        "quiz.gift",
        "canvas-qti12.zip",
        "qti21.zip",
        "blackboard.txt",
    }
    assert want <= names, want - names
    assert (out / "handout.pdf").read_bytes().startswith(b"%PDF")
