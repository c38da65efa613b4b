"""`grade practice` driven as a person would: in a pseudo-terminal (pexpect), and through a pipe."""

from __future__ import annotations

import os
import re
import sys

import pexpect

from convgrade import exercises
from tests.conftest import ROOT, invoke_grade, run_grade


def _prompt(label: str) -> str:
    return re.escape(f") {label} [") + r".*\]: "


def test_practice_in_a_pseudo_terminal_one_right_one_wrong():
    first = exercises.generate("conv1d", seed=1)
    second = exercises.generate("conv1d", seed=2)
    flipped = second.misconception("flipped_kernel").answers["output"]
    child = pexpect.spawn(
        sys.executable,
        ["-m", "convgrade", "practice", "conv1d", "--seed", "1"],
        cwd=str(ROOT),
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        encoding="utf-8",
        timeout=60,
        dimensions=(50, 200),
    )
    try:
        child.expect("Exercise 1: conv1d, seed 1")
        shown = "[" + ", ".join(map(str, first.params["input"])) + "]"
        child.expect(re.escape(f"input {shown}"))  # the exercise is shown
        child.expect(_prompt("Output length"))
        # line editing (readline): type 9, arrow left, Delete removes it, then the answer
        child.sendline(f"9\x1b[D\x1b[3~{first.answer['length']}")
        child.expect(_prompt("Output vector"))
        child.sendline("oops")  # unreadable: asked again
        child.expect("could not read that: expected a list of numbers")
        child.expect(_prompt("Output vector"))
        child.sendline(" ".join(map(str, first.answer["output"])))
        child.expect("2/2 points, 2 of 2 parts right")
        child.expect("All right")

        child.expect("Exercise 2: conv1d, seed 2")
        child.expect(_prompt("Output length"))
        child.sendline(str(second.answer["length"]))
        child.expect(_prompt("Output vector"))
        child.sendline(str(flipped))
        child.expect(r"Likely mistake: Flipped the kernel \(true convolution\)")
        child.expect("Worked solution")

        child.expect("Exercise 3: conv1d, seed 3")
        child.expect(_prompt("Output length"))
        child.sendline("q")
        child.expect(r"Session summary: 2 exercises done; 3 of 4 parts right; [0-9.]+ of 4 points")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


def test_practice_without_a_terminal_ends_at_end_of_input():
    ex = exercises.generate("conv1d", seed=9, difficulty=1)
    text = f"{ex.answer['length']}\n{ex.answer['output']}\n"
    r = run_grade("practice", "conv1d", "--seed", "9", "--difficulty", "1", input=text)
    assert r.returncode == 0, r.stderr
    assert "2 of 2 parts right" in r.stdout
    assert r.stdout.rstrip().endswith(
        "Session summary: 1 exercise done; 2 of 2 parts right; 2 of 2 points (100 %)."
    )


def test_practice_unknown_kind_is_a_user_error():
    r = invoke_grade("practice", "convolution9d")
    assert r.returncode == 2 and r.stderr.startswith("error: parameter 'kind'")
