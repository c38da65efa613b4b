"""Shared fixtures. TensorFlow is imported only by tests that cross-check against it.

Two ways to run the ``grade`` CLI, with the same result shape (returncode, stdout, stderr):

- ``grade`` (fixture) / :func:`invoke_grade`: in this process through click's ``CliRunner`` —
  fast; use it wherever no process boundary is being tested;
- ``grade_process`` (fixture) / :func:`run_grade`: a fresh interpreter, as a user runs it — for
  the entry point, exit codes and what a command imports.
"""

from __future__ import annotations

import os
import subprocess
import sys

# Every Ray started by the tests runs in Ray's single-machine mode (read when Ray is imported):
# its servers listen on 127.0.0.1 only and addresses are never rewritten to this machine's IP.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def run_grade(
    *args: str,
    input: str | None = None,
    cwd: Path | None = None,
    env: dict | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess:
    """Run the `grade` CLI in a fresh interpreter, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "convgrade", *args],
        capture_output=True,
        text=True,
        input=input,
        cwd=cwd or ROOT,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )


@dataclass
class Result:
    """What :func:`invoke_grade` returns: the fields of a CompletedProcess that tests read."""

    returncode: int
    stdout: str
    stderr: str


@contextmanager
def _cwd(path: Path | None):
    before = Path.cwd()
    if path is not None:
        os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def invoke_grade(
    *args: str,
    input: str | None = None,
    cwd: Path | None = None,
    env: dict | None = None,
    color: bool = False,
    timeout: float | None = None,  # accepted for run_grade's signature; not enforced
) -> Result:
    """Run the `grade` CLI in this process with click's CliRunner (from ``cwd``, default ROOT)."""
    from click.testing import CliRunner

    from convgrade.cli.main import cli

    runner = CliRunner()
    with _cwd(cwd or ROOT):
        r = runner.invoke(
            cli, list(args), input=input, env=env, prog_name="grade", color=color,
            catch_exceptions=False,
        )  # fmt: skip
    return Result(r.exit_code, r.stdout, r.stderr)


@pytest.fixture
def grade():
    return invoke_grade


@pytest.fixture
def grade_process():
    return run_grade
