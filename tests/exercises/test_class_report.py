"""The class report's numbers."""

from __future__ import annotations

import pytest
from convgrade.exercises.answer_sheets import Key, Question
from convgrade.exercises.checking import Diagnosis, QuestionResult, StudentResult
from convgrade.exercises.class_check import ClassResult
from convgrade.exercises.class_report import render_report, summarize


def _q(qid, kind, points, diagnoses=()):
    ds = [Diagnosis(d, d, "", ["output"], True) for d in diagnoses]
    return QuestionResult(qid, kind, "", points / 2, points, 2.0, [], ds)


def test_summary_counts_scores_and_misconceptions_per_kind():
    questions = [Question("q1", "conv1d"), Question("q2", "pooling")]
    key = Key("key.json", "Week 3", "w3", questions, {"s4": {"name": "D"}}, {})
    results = [
        StudentResult("s1", "A", "w3", "Week 3", [_q("q1", "conv1d", 2), _q("q2", "pooling", 2)]),
        StudentResult(
            "s2", "B", "w3", "Week 3",
            [_q("q1", "conv1d", 1, ["flipped_kernel"]),
             _q("q2", "pooling", 0, ["pool_stride_one"])],
        ),
        StudentResult(
            "s3", "C", "w3", "Week 3",
            [_q("q1", "conv1d", 0, ["flipped_kernel", "no_padding"]), _q("q2", "pooling", 1.5)],
        ),
    ]  # fmt: skip
    c = ClassResult(key, results, {}, ["s4"])
    s = summarize(c)
    assert s["students"] == 3 and s["absent"] == ["s4"]
    # scores: 100 %, 25 %, 37.5 %
    assert s["mean_percent"] == pytest.approx((100 + 25 + 37.5) / 3)
    assert s["median_percent"] == pytest.approx(37.5)
    assert s["histogram"] == [0, 0, 1, 1, 0, 0, 0, 0, 0, 1]
    assert [q["full_marks"] for q in s["questions"]] == [1, 1]
    assert s["questions"][0]["mean_percent"] == pytest.approx(50)
    conv = {m["id"]: m["count"] for m in s["misconceptions"]["conv1d"]}
    assert conv == {"flipped_kernel": 2, "no_padding": 1}
    assert s["misconceptions"]["conv1d"][0]["title"] == "Flipped the kernel (true convolution)"
    assert [m["id"] for m in s["misconceptions"]["pooling"]] == ["pool_stride_one"]
    html = render_report(c)
    assert html.count("<svg") == 2 and "Pooled with stride 1" in html and "s4" in html
    bars = html[html.rindex("<svg") : html.rindex("</svg>")]
    # every kind's name heads its bars; each misconception is drawn once
    assert ">conv1d<" in bars and ">pooling<" in bars and ">Pooled with stride 1<" in bars
    assert bars.count(">Forgot the padding<") == 1
