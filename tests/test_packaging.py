"""A non-editable install ships the templates: rendering works from the installed wheel alone."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT

RENDER_ALL = """
import sys, exercises, templates
from exercises.render import FORMATS, render
assert templates.__file__.startswith(sys.argv[1]), templates.__file__
assert exercises.__file__.startswith(sys.argv[1]), exercises.__file__
for kind in exercises.kinds():
    ex = exercises.generate(kind, seed=3)
    for fmt in FORMATS:
        assert render(ex, fmt, solution=True).strip()
print("rendered", len(exercises.kinds()), "kinds")
"""


def test_wheel_install_renders_every_kind_and_format(tmp_path):
    wheels = tmp_path / "wheels"
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
        cwd=tmp_path,
    )
    (wheel,) = wheels.glob("convgrade-*.whl")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        cwd=tmp_path,
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    out = subprocess.run(
        [sys.executable, "-c", RENDER_ALL, str(site)],
        check=True,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert "rendered" in out.stdout
    grade = subprocess.run(
        [
            sys.executable,
            "-m",
            "grader",
            "generate",
            "conv1d",
            "--seed",
            "2",
            "--format",
            "html",
            "--solution",
        ],
        check=True,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert "<table" in grade.stdout or 'class="vector"' in grade.stdout
