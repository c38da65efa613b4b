"""Only training imports TensorFlow (it costs seconds): each scenario runs in a fresh interpreter,
started outside the checkout so only the installed ``convgrade`` namespace is importable."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

SPEC = ROOT / "examples" / "week3.toml"

#: scenario -> code run in a fresh interpreter ({root}, {tmp} filled in)
SCENARIOS = {
    "exercises, every kind rendered": """
from convgrade import exercises
from convgrade.exercises.render import render
for k in exercises.kinds():
    render(exercises.generate(k, seed=1), 'html', solution=True)
""",
    "LMS writers and choices": """
import convgrade.exercises.export, convgrade.exercises.choices
""",
    "problem-set build": f"""
import convgrade.cli.build
from convgrade.exercises.problemset import build
build({str(SPEC)!r}, '{{tmp}}/o', variants=2, formats='html,markdown,key')
""",
    "checking one sheet and a class": """
import random
from pathlib import Path
sys.path.insert(0, {root!r})
from tests.key_helpers import make_key, write_key, answers_toml, random_answers, student_exercises
from convgrade.cli.main import cli
tmp = Path({tmp!r})
write_key(tmp / "key.json", key := make_key(n_students=2, seed=4))
(tmp / "class").mkdir()
for s in key["students"]:
    ans = random_answers(student_exercises(key, s["id"]), random.Random(1))
    (tmp / "class" / (s["id"] + ".toml")).write_text(answers_toml(s["id"], "cnn-test", ans))
key_file = str(tmp / "key.json")
for args in (["check", str(tmp / "class" / "s001.toml"), "--key", key_file],
             ["check-all", str(tmp / "class"), "--key", key_file, "-o", str(tmp / "out")]):
    try:
        cli.main(args, prog_name="grade")
    except SystemExit as exc:
        assert exc.code == 0, exc.code
assert (tmp / "out" / "report.html").exists()
""",
    "grader parent: assignments, digits data": """
import convgrade.cli.submit, convgrade.cli.batch
import convgrade.grader.submit, convgrade.grader.report, convgrade.grader.calibrate
from convgrade.grader.assignment import builtin_names, load_assignment
for n in builtin_names():
    load_assignment(n)
convgrade.grader.submit.prepare(load_assignment('digits-cnn'))
""",
    "grade --help, every command's help, --version": """
from convgrade.cli.main import TARGETS, cli
for args in (["--help"], ["--version"], *([name, "--help"] for name in TARGETS)):
    try:
        cli.main(args, prog_name="grade")
    except SystemExit as exc:
        assert exc.code == 0, (args, exc.code)
""",
}

CHECK = """
bad = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')]
print('TF-MODULES', bad[:5])
"""


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_never_imports_tensorflow(scenario, tmp_path):
    code = "import sys\n" + SCENARIOS[scenario].format(root=str(ROOT), tmp=str(tmp_path)) + CHECK
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert "TF-MODULES []" in r.stdout
