"""Moodle XML export: question types, categories, and cloze text parsed back equals the key."""

from __future__ import annotations

import html
import re

import pytest
from convgrade.exercises.export import moodle
from lxml import etree

from tests.exercises.export.support import (
    NASTY,
    asked_as_choice,
    expected_blanks,
    mc_part,
    parse_cloze,
    quiz_all_types,
    same_number,
    scalars,
)

FORMAT = "moodle"


@pytest.fixture(scope="module")
def exported(written):
    quiz, out, warnings = written
    return quiz, etree.parse(str(out / "moodle.xml")), warnings


def _text(el, path: str) -> str:
    found = el.find(path)
    return "" if found is None or found.text is None else found.text


def _numbers(markup: str) -> list[str]:
    """The numbers an HTML value shows (only the table cells when it has tables)."""
    root = etree.HTML(f"<div>{markup}</div>")
    cells = root.findall(".//td")
    text = " ".join(t for el in (cells or [root]) for t in el.itertext())
    return re.findall(r"-?\d+(?:\.\d+)?", text)


def shows_key(part, markup: str) -> bool:
    """An option's HTML shows the part's key: its numbers in order, or its tokens in order."""
    if part.type == "tokens":
        text, pos = "".join(etree.HTML(f"<div>{markup}</div>").itertext()), 0
        for token in part.answer:
            pos = text.find(token, pos)
            if pos < 0:
                return False
            pos += len(token)
        return True
    numbers = [v for kind, v, _ in scalars(part) if kind == "numeric"]
    found = _numbers(markup)
    return len(found) == len(numbers) and all(same_number(a, b) for a, b in zip(found, numbers))


def test_categories_hold_one_question_per_variant(exported):
    quiz, tree, _ = exported
    questions = tree.getroot().findall("question")
    groups: list[list] = []
    for q in questions:
        if q.get("type") == "category":
            groups.append([_text(q, "category/text")])
        else:
            groups[-1].append(q)
    assert len(groups) == len(quiz.questions)
    for q, group in zip(quiz.questions, groups):
        assert group[0].startswith("$course$/top/")
        assert group[0].endswith(f"/{q.id} {q.title}".replace(" / ", " // "))
        assert len(group) - 1 == len(q.variants)
        assert len({_text(el, "idnumber") for el in group[1:]}) == len(q.variants)


def _items(quiz, tree):
    els = [q for q in tree.getroot().findall("question") if q.get("type") != "category"]
    pairs = [(q, ex) for q in quiz.questions for ex in q.variants]
    assert len(els) == len(pairs)
    return zip(pairs, els)


def test_every_question_has_the_right_type_and_answers(exported):
    quiz, tree, _ = exported
    for (q, ex), el in _items(quiz, tree):
        blanks = expected_blanks(ex)
        text = _text(el, "questiontext/text")
        if asked_as_choice(q, ex):
            part = mc_part(ex)
            assert el.get("type") == "multichoice"
            answers = el.findall("answer")
            right = [a for a in answers if a.get("fraction") == "100"]
            assert len(right) == 1
            texts = [_text(a, "text") for a in answers]
            assert len(set(texts)) == len(texts), "options must be distinct"
            if part.type == "choice":
                assert _text(right[0], "text") == str(part.answer)
            else:
                assert shows_key(part, _text(right[0], "text"))
            wrong = [a for a in answers if a.get("fraction") != "100"]
            assert all(float(a.get("fraction")) < 100 for a in wrong)  # partial credit allowed
            assert wrong and all(_text(a, "feedback/text") for a in wrong if part.type != "choice")
        elif len(blanks) == 1:
            kind, value, tol = blanks[0]
            if kind == "numeric":
                assert el.get("type") == "numerical"
                (a,) = el.findall("answer")
                assert same_number(_text(a, "text"), value)
                assert same_number(_text(a, "tolerance"), tol)
            elif kind == "text":
                assert el.get("type") == "shortanswer"
                assert _text(el, "answer/text").replace("\\*", "*") == value
            else:
                assert el.get("type") == "multichoice"
                right = [a for a in el.findall("answer") if a.get("fraction") == "100"]
                assert [html.unescape(_text(a, "text")) for a in right] == [value]
                assert all("<t>" not in _text(a, "text") for a in el.findall("answer"))
        else:
            assert el.get("type") == "cloze"
            parsed = parse_cloze(text)
            assert len(parsed) == len(blanks), "a brace in the text was read as a blank"
            for (kind, value, tol), sub in zip(blanks, parsed):
                right = [a for a in sub["answers"] if a[0] == 100]
                assert len(right) == 1
                if kind == "numeric":
                    assert sub["type"] == "NUMERICAL"
                    assert same_number(right[0][1], value)
                    assert same_number(right[0][2], tol)
                elif kind == "text":
                    assert sub["type"] == "SHORTANSWER_C"
                    assert right[0][1] == value
                else:
                    assert sub["type"] == "MULTICHOICE"
                    assert html.unescape(right[0][1]) == value
                assert sub["weight"] >= 1


def test_cloze_weights_split_each_part_evenly(exported):
    quiz, tree, _ = exported
    for (q, ex), el in _items(quiz, tree):
        if el.get("type") != "cloze":
            continue
        parsed = iter(parse_cloze(_text(el, "questiontext/text")))
        totals = {sum(next(parsed)["weight"] for _ in scalars(p)) for p in ex.parts}
        assert len(totals) == 1, f"{q.id}: parts weigh differently: {totals}"


def test_nasty_text_survives_in_labels_and_answers():
    quiz = quiz_all_types()
    root = etree.Element("quiz")
    from convgrade.exercises.export import base

    item = base.build_item(quiz, quiz.questions[0], 0, base.Warnings("moodle"))
    moodle.write_item(root, item)
    text = root.find("question/questiontext/text").text
    # The label with a fake embedded answer is defused: braces became entities.
    assert "{1:NUMERICAL:=9}" not in text.replace("{1:NUMERICAL:=-3:0}", "")
    assert "&#123;1:NUMERICAL:=9&#125;" in text
    tokens = [a for sub in parse_cloze(text) for a in sub["answers"] if sub["type"] != "NUMERICAL"]
    assert (100, NASTY, None) in tokens


def test_cloze_escaping_is_needed_and_the_parser_notices():
    """Negative check: an unescaped answer with '}' and '~' breaks the parse."""
    cell_text = "x}~y"
    good = "{1:SHORTANSWER_C:=" + moodle.cloze_escape(cell_text) + "}"
    bad = "{1:SHORTANSWER_C:=" + cell_text + "}"
    assert parse_cloze(good)[0]["answers"] == [(100, cell_text, None)]
    assert parse_cloze(bad)[0]["answers"] != [(100, cell_text, None)]


def test_moodle_xml_is_well_formed_and_has_no_warnings(exported):
    quiz, tree, warnings = exported
    assert tree.getroot().tag == "quiz"
    # Moodle needs no fallback, except multiple choice without distractors (q7 in "types").
    for w in warnings:
        assert w.startswith("moodle: question ") and (
            "multiple choice asked" in w or "sum of its blank weights" in w
        )
