"""PDF compiles beside the build: forked where that is safe, in threads where it is not.

The forked cases run in a fresh interpreter: a test process that has run the compiler itself
(earlier tests) must not fork a compile, which is the very rule tested here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from concurrent.futures import Future

from convgrade.exercises import parallel
from convgrade.exercises.problemset import pdf

SOURCE = "#set document(date: none)\n= Paper\nHello $x times 2$"


def fresh(tmp_path, body: str) -> str:
    """Run ``body`` in a new interpreter (CONVGRADE_JOBS=2) and return its output."""
    header = textwrap.dedent(
        """
        import os, sys
        from pathlib import Path
        from convgrade.exercises import parallel
        from convgrade.exercises.errors import ConvgradeError
        from convgrade.exercises.problemset import pdf
        out = Path(sys.argv[1])
        """
    )
    script = header + f"SOURCE = {SOURCE!r}\n" + textwrap.dedent(body)
    env = {**os.environ, parallel.JOBS_ENV: "2"}
    res = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_a_process_that_never_compiled_forks_the_compile(tmp_path):
    out = fresh(
        tmp_path,
        """
        with pdf.Background() as pdfs:
            pdfs.submit(SOURCE, out / "a.pdf")
            print(type(pdfs._jobs[0]).__name__, pdf._compiled_here)
            pdfs.wait()
        print((out / "a.pdf").read_bytes() == pdf.compile_typst(SOURCE))
        """,
    )
    assert out.split() == ["Forked", "False", "True"]  # the child compiled, not this process


def test_after_compiling_here_the_compile_runs_in_a_thread(monkeypatch, tmp_path):
    # the compiler's thread pool exists in this process now: a forked child would wait forever
    monkeypatch.setenv(parallel.JOBS_ENV, "2")
    pdf.compile_typst(SOURCE)
    assert pdf._compiled_here
    with pdf.Background() as pdfs:
        pdfs.submit(SOURCE, tmp_path / "b.pdf")
        assert isinstance(pdfs._jobs[0], Future)
        pdfs.wait()
    assert (tmp_path / "b.pdf").stat().st_size > 1000


def test_a_failed_forked_compile_is_raised_by_wait(tmp_path):
    out = fresh(
        tmp_path,
        """
        with pdf.Background() as pdfs:
            pdfs.submit("#let x = (", out / "c.pdf")
            assert isinstance(pdfs._jobs[0], parallel.Forked)
            try:
                pdfs.wait()
            except ConvgradeError as exc:
                print("raised:", exc)
        print("exists:", (out / "c.pdf").exists())
        """,
    )
    assert "raised: typesetting the PDF failed" in out and "exists: False" in out


def test_leaving_on_an_error_stops_a_forked_compile(tmp_path):
    out = fresh(
        tmp_path,
        """
        try:
            with pdf.Background() as pdfs:
                pdfs.submit(SOURCE, out / "d.pdf")
                job = pdfs._jobs[0]
                raise KeyError("the build failed")
        except KeyError:
            pass
        try:
            os.waitpid(job.pid, 0)
            print("not reaped")
        except ChildProcessError:
            print("reaped")
        """,
    )
    assert out.strip() == "reaped"  # no zombie and no compile left writing


def test_one_job_compiles_in_a_thread(monkeypatch, tmp_path):
    monkeypatch.setenv(parallel.JOBS_ENV, "1")
    with pdf.Background() as pdfs:
        pdfs.submit(SOURCE, tmp_path / "e.pdf")
        assert isinstance(pdfs._jobs[0], Future)
    assert (tmp_path / "e.pdf").exists()
