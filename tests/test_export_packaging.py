"""A non-editable install writes every LMS format: the writers and templates ship in the wheel."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.export_support import ROOT

WRITE_ALL = """
import sys, pathlib, exercises
from exercises.export import FILES, WRITERS
from exercises.quiz import Question, Quiz
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


def test_installed_wheel_writes_every_lms_format(tmp_path):
    wheels, site, out = tmp_path / "wheels", tmp_path / "site", tmp_path / "out"
    pip = [sys.executable, "-m", "pip"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(ROOT)],
        check=True,
        cwd=tmp_path,
    )
    (wheel,) = wheels.glob("convgrade-*.whl")
    subprocess.run(
        [*pip, "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        check=True,
        cwd=tmp_path,
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    done = subprocess.run(
        [sys.executable, "-c", WRITE_ALL, str(site), str(out)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "wrote 5 formats" in done.stdout
