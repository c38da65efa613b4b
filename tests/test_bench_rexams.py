"""benchmarks/bench_rexams.py without R: its refusal, and its check of grade's Moodle XML.

The benchmark itself (R/exams against ``grade build``) needs R and is not run here.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_rexams.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_rexams", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_rexams", mod)  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def test_without_rscript_exits_2_with_one_line(tmp_path: Path) -> None:
    env = dict(os.environ, PATH=str(tmp_path))  # an empty folder: no Rscript on PATH
    proc = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: Rscript not found: apt-get install r-base-core")
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_grade_side_writes_n_cloze_questions_of_18_blanks(tmp_path: Path) -> None:
    bench = load_bench()
    (tmp_path / "spec.toml").write_text(bench.SPEC)
    run = bench.grade_build(tmp_path, 3, tmp_path / "out")  # raises unless 3 x 18 blanks
    assert run.wall > 0 and run.cpu > 0
    with pytest.raises(RuntimeError, match="wrote 3 cloze questions with \\[18\\] blanks"):
        bench.check_cloze(tmp_path / "out" / "moodle.xml", 4, "grade build")
