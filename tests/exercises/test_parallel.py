"""The fork-based helpers behind a parallel `grade build` (:mod:`convgrade.exercises.parallel`)."""

from __future__ import annotations

import os

import pytest
from convgrade.exercises import parallel
from convgrade.exercises.errors import ConvgradeError


def test_run_returns_results_in_task_order_from_other_processes():
    results = parallel.run([os.getpid, os.getpid, os.getpid])
    assert results[0] == os.getpid()
    assert len(set(results)) == 3  # two forked children did the others


def test_a_child_failure_is_raised_here_with_its_message():
    def fail():
        raise ConvgradeError("spec.toml: bad kind")

    with pytest.raises(ConvgradeError, match="bad kind"):
        parallel.run([lambda: 1, fail])


def test_an_exception_that_cannot_be_pickled_still_reports_its_traceback():
    class Local(Exception):  # a local class: pickle cannot send it back
        pass

    def fail():
        raise Local("only in the child")

    with pytest.raises(parallel.ChildError, match="only in the child"):
        parallel.run([lambda: 1, fail])


def test_map_chunks_equals_the_serial_map_and_split_keeps_order():
    items = list(range(11))
    assert [list(c) for c in parallel.split(items, 3)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10]]
    assert parallel.split([1], 4) == [[1]]
    assert parallel.map_chunks(lambda c: [x * x for x in c], items, 3) == [x * x for x in items]


def test_no_nested_forks_and_jobs_follow_the_environment(monkeypatch):
    monkeypatch.setenv(parallel.JOBS_ENV, "3")
    assert parallel.jobs() == 3
    assert parallel.run([parallel.jobs, parallel.jobs]) == [1, 1]  # inside a step: one process
    monkeypatch.setenv(parallel.JOBS_ENV, "1")
    assert parallel.jobs() == 1


def test_run_steps_balances_by_cost_and_keeps_the_steps_order(monkeypatch):
    monkeypatch.setenv(parallel.JOBS_ENV, "2")
    steps = {"a": (1.0, os.getpid), "b": (5.0, os.getpid), "c": (4.0, os.getpid)}
    done = parallel.run_steps(steps)
    assert list(done) == ["a", "b", "c"]
    pids = {name: pid for name, (pid, _) in done.items()}
    assert pids["b"] != pids["c"] and pids["a"] == pids["c"]  # a joins the lighter process


def test_one_process_while_other_threads_run_unless_the_environment_says(monkeypatch):
    import threading

    monkeypatch.delenv(parallel.JOBS_ENV, raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert parallel.jobs() == 1
        monkeypatch.setenv(parallel.JOBS_ENV, "2")
        assert parallel.jobs() == 2
    finally:
        stop.set()
        t.join()
