"""GIFT export parsed by the npm package gift-pegjs: every answer and tolerance equals the key."""

from __future__ import annotations

import ast
from dataclasses import replace

import pytest
from convgrade.exercises.choices import canonical
from convgrade.exercises.export import gift
from convgrade.exercises.model import Part
from convgrade.exercises.quiz import Question, Quiz

from convgrade import exercises
from tests.exercises.export.support import (
    NASTY,
    asked_as_choice,
    expected_blanks,
    mc_part,
    parse_gift,
    quiz_all_types,
    same_number,
    warned,
)

FORMAT = "gift"


@pytest.fixture(scope="module")
def exported(written):
    quiz, out, warnings = written
    return quiz, parse_gift(out / "quiz.gift"), warnings


def _check_numeric(parsed: dict, value, tol: float) -> None:
    assert parsed["type"] == "Numerical", parsed
    ch = parsed["choices"]
    if isinstance(ch, list):  # the "=" form, written for a zero answer ({#=0})
        assert [c["isCorrect"] for c in ch] == [True] and same_number(ch[0]["text"]["number"], 0)
        assert not tol
        return
    assert same_number(ch["number"], value)
    if tol:
        assert ch["type"] == "range"
        assert same_number(ch["range"], tol)
    else:
        assert ch["type"] == "simple"


def _check_short(parsed: dict, value: str) -> None:
    assert parsed["type"] == "Short", parsed
    right = [c["text"]["text"] for c in parsed["choices"] if c["isCorrect"]]
    assert right == [value]


def _check_choice(parsed: dict, value: str, choices: list) -> None:
    assert parsed["type"] == "MC", parsed
    right = [c["text"]["text"] for c in parsed["choices"] if c["isCorrect"]]
    assert right == [value]
    assert sorted(c["text"]["text"] for c in parsed["choices"]) == sorted(map(str, choices))


def test_every_parsed_answer_and_tolerance_equals_the_key(exported):
    quiz, parsed, _ = exported
    questions = iter(p for p in parsed if p["type"] != "Category")
    for q in quiz.questions:
        for ex in q.variants:
            if asked_as_choice(q, ex):
                part = mc_part(ex)
                p = next(questions)
                assert p["type"] == "MC" and p["title"].startswith(q.id)
                right = [c for c in p["choices"] if c["isCorrect"]]
                assert len(right) == 1
                texts = [c["text"]["text"] for c in p["choices"]]
                assert len(set(texts)) == len(texts) >= 2
                shown = right[0]["text"]["text"]
                if part.type == "choice":
                    assert shown == part.answer
                else:  # options are written as Python literals: read the value back
                    assert canonical(ast.literal_eval(shown)) == canonical(part.answer)
                    for c in p["choices"]:
                        if not c["isCorrect"]:
                            assert canonical(ast.literal_eval(c["text"]["text"])) != canonical(
                                part.answer
                            )
                            assert c["feedback"]["text"], "distractor names its misconception"
                continue
            for kind, value, tol in expected_blanks(ex):  # one question per blank (fallback)
                p = next(questions)
                assert p["title"].startswith(q.id)
                if kind == "numeric":
                    _check_numeric(p, value, tol)
                elif kind == "text":
                    _check_short(p, value)
                else:
                    _check_choice(p, value, ex.parts[-1].choices)
    assert next(questions, None) is None


def test_categories_group_each_question(exported):
    quiz, parsed, _ = exported
    cats = [p["title"] for p in parsed if p["type"] == "Category"]
    for q in quiz.questions:
        name = f"{q.id} {q.title}".replace("/", "//")  # Moodle writes a / in a name as //
        assert any(f"/{name}" in c for c in cats), (q.id, cats)


def test_special_characters_come_back_unescaped():
    quiz = quiz_all_types()
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        gift.write(quiz, Path(d))
        parsed = parse_gift(Path(d) / "quiz.gift")
    stems = [p["stem"]["text"] for p in parsed if p["type"] != "Category"]
    titles = [p["title"] for p in parsed if p["type"] != "Category"]
    assert any(NASTY in s for s in stems), "label text with GIFT specials"
    assert any(NASTY in t for t in titles), "title with GIFT specials"


def test_unescaped_gift_is_rejected_or_misread(tmp_path, monkeypatch):
    """Negative check: without escaping, gift-pegjs fails or reads different answers."""
    quiz = quiz_all_types()
    monkeypatch.setattr(gift, "escape", lambda text: text)
    gift.write(quiz, tmp_path)
    try:
        parsed = parse_gift(tmp_path / "quiz.gift")
    except ValueError as exc:
        assert "gift-pegjs" in str(exc)
        return
    stems = [p.get("stem", {}).get("text", "") for p in parsed]
    assert not any(NASTY in s for s in stems)


def test_multi_blank_fallback_warns_naming_the_question(exported):
    quiz, _, warnings = exported
    multi = [q for q in quiz.questions if any(len(expected_blanks(ex)) > 1 for ex in q.variants)]
    for q in multi:
        if all(asked_as_choice(q, ex) for ex in q.variants):
            continue
        assert warned(warnings, "gift", q.id, "multi-blank")


def test_a_zero_answer_is_written_so_that_moodle_keeps_it(tmp_path):
    """Moodle's GIFT parser drops a lone answer "0" (PHP empty("0")) and aborts the import."""
    ex = exercises.generate("conv1d", seed=5)
    zero = replace(ex, parts=[Part("n", "Zero", "integer", 0)], misconceptions=[])
    nonzero = replace(ex, parts=[Part("n", "Three", "integer", 3)], misconceptions=[])
    quiz = Quiz("Z", "z", [Question("q1", "", 1, [zero]), Question("q2", "", 1, [nonzero])])
    gift.write(quiz, tmp_path)
    text = (tmp_path / "quiz.gift").read_text()
    assert "{#=0}" in text and "{#0}" not in text and "{#3}" in text
    assert [p["type"] for p in parse_gift(tmp_path / "quiz.gift") if p["type"] != "Category"] == [
        "Numerical",
        "Numerical",
    ]
