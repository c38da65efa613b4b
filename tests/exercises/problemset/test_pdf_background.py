"""PDF compiles beside the build: forked where that is safe, in threads where it is not."""

from __future__ import annotations

import os
from concurrent.futures import Future

import pytest
from convgrade.exercises import parallel
from convgrade.exercises.errors import ConvgradeError
from convgrade.exercises.problemset import pdf

SOURCE = "#set document(date: none)\n= Paper\nHello $x times 2$"


@pytest.fixture
def two_jobs(monkeypatch):
    monkeypatch.setenv(parallel.JOBS_ENV, "2")


def test_a_process_that_never_compiled_forks_the_compile(two_jobs, monkeypatch, tmp_path):
    monkeypatch.setattr(pdf, "_compiled_here", False)
    with pdf.Background() as pdfs:
        pdfs.submit(SOURCE, tmp_path / "a.pdf")
        assert isinstance(pdfs._jobs[0], parallel.Forked)
        assert pdf._compiled_here is False  # the child compiled, not this process
        pdfs.wait()
    assert (tmp_path / "a.pdf").read_bytes() == pdf.compile_typst(SOURCE)


def test_after_compiling_here_the_compile_runs_in_a_thread(two_jobs, monkeypatch, tmp_path):
    # the compiler's thread pool exists in this process now: a forked child would wait forever
    pdf.compile_typst(SOURCE)
    assert pdf._compiled_here
    with pdf.Background() as pdfs:
        pdfs.submit(SOURCE, tmp_path / "b.pdf")
        assert isinstance(pdfs._jobs[0], Future)
        pdfs.wait()
    assert (tmp_path / "b.pdf").stat().st_size > 1000


def test_a_failed_forked_compile_is_raised_by_wait(two_jobs, monkeypatch, tmp_path):
    monkeypatch.setattr(pdf, "_compiled_here", False)
    with pdf.Background() as pdfs:
        pdfs.submit("#let x = (", tmp_path / "c.pdf")
        with pytest.raises(ConvgradeError, match="typesetting the PDF failed"):
            pdfs.wait()
    assert not (tmp_path / "c.pdf").exists()


def test_leaving_on_an_error_stops_a_forked_compile(two_jobs, monkeypatch, tmp_path):
    monkeypatch.setattr(pdf, "_compiled_here", False)
    with pytest.raises(KeyError), pdf.Background() as pdfs:
        pdfs.submit(SOURCE, tmp_path / "d.pdf")
        job = pdfs._jobs[0]
        raise KeyError("the build failed")
    with pytest.raises(ChildProcessError):  # reaped: no zombie left behind
        os.waitpid(job.pid, 0)
