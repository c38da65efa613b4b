"""Every LMS file scores every response as ``grade check`` does, or the build says it cannot.

Each format's scoring rule is simulated on the file the writer produced (tests/exercises/export/
lms_scoring.py) over examples/week3.toml with the roster, examples/all-kinds.toml and the
lecture-sized examples/lecture-scale.toml with three variants: the key's response, each part
wrong, one cell of each part off, and every option of a multiple-choice item. Moodle XML and
QTI 2.1 express the key's rule: they must agree everywhere (within 1e-6). GIFT, Canvas and
Blackboard cannot always: where they differ, a grouped warning
must name the question.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from convgrade.exercises import choices
from convgrade.exercises.export import WRITERS, base
from convgrade.exercises.problemset.assemble import assemble
from convgrade.exercises.problemset.roster import read_roster
from convgrade.exercises.problemset.spec import load_spec

from tests.exercises.export import lms_scoring as lms
from tests.exercises.export.support import ROOT, asked_as_choice, mc_part, parse_cloze, warned


def _quiz(name: str):
    spec = load_spec(ROOT / "examples" / f"{name}.toml")
    if name == "week3":
        students = read_roster(ROOT / "examples" / "roster.csv")
        return assemble(spec, b"equivalence", students=students).quiz()
    return assemble(spec, b"equivalence", variants=3).quiz()


@pytest.fixture(scope="module", params=["week3", "all-kinds", "lecture-scale"])
def built(request, tmp_path_factory):
    quiz = _quiz(request.param)
    out = tmp_path_factory.mktemp(f"eq-{request.param}")
    warnings = {name: write(quiz, out) for name, write in WRITERS.items()}
    return quiz, out, warnings


def _cases(quiz):
    """(question, exercise, name, key fraction, LMS response) for every item and response."""
    for q, ex in lms.items(quiz):
        if asked_as_choice(q, ex):
            part = mc_part(ex)
            for i, o in enumerate(choices.options(ex, part.id, int(ex.seed or 0))):
                f = lms.key_fraction(q, ex, {part.id: o.value})
                yield q, ex, f"option {i}", f, ("choice", i)
        else:
            for name, answers, response in lms.responses(q, ex):
                yield q, ex, name, lms.key_fraction(q, ex, answers), response


def _scored(quiz, out: Path, fmt: str):
    if fmt == "moodle":
        per_item = lms.moodle_items(out / "moodle.xml")
        score = lms.moodle_score
    elif fmt == "qti21":
        per_item = lms.qti21_items(out / "qti21.zip")
        score = lambda el, r: lms.qti21_score(el, r)[0]  # noqa: E731
    elif fmt == "canvas":
        per_item = lms.canvas_items(out / "canvas-qti12.zip")
        score = lms.canvas_score
    elif fmt == "gift":
        per_item = lms.gift_groups(out / "quiz.gift", quiz)
        score = lms.gift_score
    else:
        per_item = lms.blackboard_groups(out / "blackboard.txt", quiz)
        score = lms.blackboard_score
    assert len(per_item) == len(lms.items(quiz))
    index = {id(ex): k for k, (_, ex) in enumerate(lms.items(quiz))}
    for q, ex, name, key, response in _cases(quiz):
        yield q, name, key, score(per_item[index[id(ex)]], response)


@pytest.mark.parametrize("fmt", ["moodle", "qti21"])
def test_moodle_and_qti21_score_every_response_as_the_key(built, fmt):
    quiz, out, _ = built
    n = 0
    for q, name, key, got in _scored(quiz, out, fmt):
        assert got == pytest.approx(key, abs=1e-6), f"{fmt} {q.id} {name}: {got} vs key {key}"
        n += 1
    assert n > 50


@pytest.mark.parametrize("fmt", ["gift", "canvas", "blackboard"])
def test_other_formats_agree_or_warn_naming_the_question(built, fmt):
    quiz, out, warnings = built
    differ = set()
    for q, name, key, got in _scored(quiz, out, fmt):
        if name == "key" or name.startswith("option") and key == 1:
            assert got == pytest.approx(1.0), f"{fmt} {q.id}: the key's response must score 1"
        if abs(got - key) > 1e-6:
            differ.add(q.id)
    for qid in differ:
        assert any(warned(warnings[fmt], fmt, qid, why) for why in WHY[fmt]), (
            f"{fmt} {qid} scores differently from the key, unwarned"
        )


#: The warnings that say a format scores some responses differently from the key.
WHY = {
    "gift": ("multi-blank", "partial credit", "ignore case"),
    "canvas": ("evenly", "partial credit", "ignoring case", "matches strings only"),
    "blackboard": ("no per-blank weights", "partial credit", "matches strings only"),
}


def test_marks_equal_the_key_points(built):
    quiz, out, warnings = built
    pairs = list(zip(lms.items(quiz), lms.moodle_items(out / "moodle.xml")))
    for (q, _), el in pairs:
        mark = lms.moodle_mark(el)
        if el.get("type") == "cloze":  # a cloze's mark is its weights' sum (Moodle's rule)
            assert mark == Fraction(str(q.points)) or warned(
                warnings["moodle"], "moodle", q.id, "sum of its blank weights"
            )
        else:
            assert mark == Fraction(str(q.points)), q.id
    for (q, _), item in zip(lms.items(quiz), lms.qti21_items(out / "qti21.zip")):
        (maxscore,) = [
            o.findtext("defaultValue/value")
            for o in item.findall("outcomeDeclaration")
            if o.get("identifier") == "MAXSCORE"
        ]
        assert Fraction(maxscore) == Fraction(str(q.points)), q.id
    for (q, _), item in zip(lms.items(quiz), lms.canvas_items(out / "canvas-qti12.zip")):
        assert Fraction(lms.canvas_field(item, "points_possible")) == Fraction(str(q.points))
    for q in quiz.questions:
        if q.points != 1:
            assert warned(warnings["gift"], "gift", q.id, "no marks")
        assert warned(warnings["blackboard"], "blackboard", q.id, "no points")


def test_blank_weights_follow_part_points(built):
    """Moodle cloze weights and QTI 2.1 blank weights split each part's points over its blanks,
    exactly (the key's ``part_points``, e.g. conv1d length 1, output 2)."""
    quiz, out, _ = built
    for (q, ex), el, item in zip(
        lms.items(quiz), lms.moodle_items(out / "moodle.xml"), lms.qti21_items(out / "qti21.zip")
    ):
        if el.get("type") != "cloze":
            continue
        shares = base.part_shares(q, ex)
        total = Fraction(str(q.points))
        weights = [b["weight"] for b in parse_cloze(el.findtext("questiontext/text"))]
        raw = [
            int(v.text)
            for v in item.iter("baseValue")
            if v.getparent().getparent().get("identifier") == "RAW"
        ]
        assert raw == weights, q.id
        k = 0
        for part in ex.parts:
            n = len([s for s in lms.scalars(part)])
            mine = weights[k : k + n]
            k += n
            assert len(set(mine)) == 1, f"{q.id} {part.id}: blanks of a part weigh the same"
            assert Fraction(sum(mine), sum(weights)) == shares[part.id] / total, (q.id, part.id)
        assert k == len(weights)


def test_qti21_full_marks_are_exactly_maxscore(built):
    quiz, out, _ = built
    for (q, ex), item in zip(lms.items(quiz), lms.qti21_items(out / "qti21.zip")):
        if asked_as_choice(q, ex):
            continue
        _, _, response = next(lms.responses(q, ex))
        frac, maxscore = lms.qti21_score(item, response)
        assert frac == 1 and maxscore == Fraction(str(q.points))
