"""Shared fixtures. TensorFlow is imported only by tests that cross-check against it."""

from __future__ import annotations

import os
import subprocess
import sys
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


@pytest.fixture
def grade():
    return run_grade
