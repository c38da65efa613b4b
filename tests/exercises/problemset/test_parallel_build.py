"""A build split over processes writes the same bytes and warnings as a serial build."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

import pytest
from convgrade.exercises import parallel
from convgrade.exercises.export import base, moodle
from convgrade.exercises.problemset import output

from tests.conftest import ROOT

#: The module (the package exports its function ``assemble`` under the same name).
assembly = import_module("convgrade.exercises.problemset.assemble")
FORMATS = "moodle,gift,canvas,qti21,blackboard,key"


def files(d: Path) -> dict[str, bytes]:
    return {p.relative_to(d).as_posix(): p.read_bytes() for p in d.rglob("*") if p.is_file()}


@pytest.fixture
def small_thresholds(monkeypatch):
    """Every parallel path taken on a small build."""
    for mod in (assembly, output, moodle):
        monkeypatch.setattr(mod, "PARALLEL_FROM", 2)
    monkeypatch.setattr(base, "PRERENDER_FROM", 2)
    monkeypatch.setenv(parallel.JOBS_ENV, "2")
    assert parallel.jobs() == 2  # no thread (of a plugin) keeps the build on one process


@pytest.mark.parametrize("formats", [FORMATS, "moodle"])
def test_variants_build_on_two_processes_equals_the_serial_build(
    small_thresholds, monkeypatch, tmp_path, formats
):
    got = {}
    for jobs in ("1", "2"):
        monkeypatch.setenv(parallel.JOBS_ENV, jobs)
        base._PROMPTS.clear()
        res = output.build(
            ROOT / "examples/all-kinds.toml", tmp_path / jobs, variants=3, formats=formats
        )
        got[jobs] = (files(tmp_path / jobs), res.warnings)
    assert got["1"][1], "the quiz raises warnings, whose order is compared"
    assert got["2"] == got["1"]


def test_roster_build_on_two_processes_equals_the_serial_build(
    small_thresholds, monkeypatch, tmp_path
):
    monkeypatch.setenv("CONVGRADE_SECRET", "test-secret")
    got = {}
    for jobs in ("1", "2"):
        monkeypatch.setenv(parallel.JOBS_ENV, jobs)
        res = output.build(
            ROOT / "examples/week3.toml",
            tmp_path / jobs,
            roster=ROOT / "examples/roster.csv",
            formats="moodle,key",
        )
        got[jobs] = (files(tmp_path / jobs), res.warnings)
    assert got["2"] == got["1"]


def test_typst_papers_in_two_processes_are_the_serial_ones_in_order(small_thresholds, monkeypatch):
    from convgrade.exercises.problemset import documents, load_spec

    monkeypatch.setattr(documents, "PARALLEL_FROM", 2)
    ps = assembly.assemble(load_spec(ROOT / "examples/all-kinds.toml"), b"k", variants=5)
    serial = [documents.paper_body(ps, p, "typst", n) for n, p in enumerate(ps.papers)]
    seen = []
    two = documents.typst_papers(ps, lambda items, label: seen.extend(items) or items)
    assert two == serial and len(set(serial)) == 5
    assert 0 < len(seen) < 5  # the progress bar follows this process's half
