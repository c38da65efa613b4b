"""Blackboard upload TSV: one line per variant, right columns per type, no header or blank line."""

from __future__ import annotations

import ast
import re
from decimal import Decimal

import pytest
from convgrade.exercises.choices import canonical

from tests.exercises.export.support import (
    asked_as_choice,
    dec,
    expected_blanks,
    mc_part,
    same_number,
    warned,
)

FORMAT = "blackboard"


@pytest.fixture(scope="module")
def exported(written):
    quiz, out, warnings = written
    return quiz, (out / "blackboard.txt").read_bytes(), warnings


def test_no_header_no_blank_lines_one_line_per_variant(exported):
    quiz, data, _ = exported
    text = data.decode("utf-8")
    assert text.endswith("\n") and "\r" not in text
    lines = text[:-1].split("\n")
    assert all(line.strip() for line in lines), "no blank lines"
    assert len(lines) == sum(_lines(q, ex) for q in quiz.questions for ex in q.variants)
    assert all(line.split("\t")[0] in ("NUM", "MC", "FIB_PLUS") for line in lines), "no header"
    for line in lines:
        if line.startswith("FIB_PLUS\t"):  # Blackboard allows at most 10 variables
            assert 1 <= line.split("\t")[2:].count("") <= 10


def _fib(q, ex) -> bool:
    keys = expected_blanks(ex)
    return not asked_as_choice(q, ex) and (len(keys) > 1 or keys[0][0] == "text")


def _lines(q, ex) -> int:
    """One line per variant; a FIB_PLUS variant of n blanks takes ceil(n / 10)."""
    return -(-len(expected_blanks(ex)) // 10) if _fib(q, ex) else 1


def test_columns_per_type_hold_the_key(exported):
    quiz, data, _ = exported
    lines = iter(data.decode("utf-8")[:-1].split("\n"))
    for q in quiz.questions:
        for ex in q.variants:
            fields = next(lines).split("\t")
            kind, text = fields[0], fields[1]
            assert text and "\n" not in text
            keys = expected_blanks(ex)
            if asked_as_choice(q, ex) or (len(keys) == 1 and keys[0][0] == "choice"):
                assert kind == "MC"
                pairs = list(zip(fields[2::2], fields[3::2]))
                assert len(fields) % 2 == 0 and len(pairs) >= 2
                assert {mark for _, mark in pairs} == {"correct", "incorrect"}
                right = [opt for opt, mark in pairs if mark == "correct"]
                assert len(right) == 1
                part = mc_part(ex) if asked_as_choice(q, ex) else ex.parts[0]
                if part.type == "choice":
                    assert right[0] == part.answer
                else:
                    assert canonical(ast.literal_eval(right[0])) == canonical(part.answer)
            elif len(keys) == 1 and keys[0][0] == "numeric":
                assert kind == "NUM"
                _, value, tol = keys[0]
                assert len(fields) == (4 if tol else 3)
                assert same_number(fields[2], value)
                if tol:
                    assert same_number(fields[3], tol)
            else:
                assert kind == "FIB_PLUS"
                groups = []
                n = _lines(q, ex)
                for k in range(n):
                    if k:
                        fields = next(lines).split("\t")
                        assert fields[0] == "FIB_PLUS"
                    text = fields[1]
                    if n > 1:
                        assert text.startswith(f"(part {k + 1} of {n}: ")
                    body = fields[2:]
                    assert body[-1] == "", "each variable's answers end with an empty field"
                    mine, cur = [], []
                    for f in body:
                        if f == "":
                            mine.append(cur)
                            cur = []
                        else:
                            cur.append(f)
                    assert re.findall(r"\[([A-Za-z0-9_]+)\]", text) == [g[0] for g in mine]
                    groups += mine
                assert len(groups) == len(keys), "variable, answers, empty field per blank"
                for (k, value, tol), group in zip(keys, groups):
                    answers = group[1:]
                    if k == "numeric":
                        assert same_number(answers[0], value)
                        assert all(abs(Decimal(a) - dec(value)) <= dec(tol) for a in answers)
                    else:
                        assert answers == [value]
    assert next(lines, None) is None


def test_variants_and_dropped_tolerances_are_warned(exported):
    quiz, _, warnings = exported
    for q in quiz.questions:
        if len(q.variants) > 1:
            assert warned(warnings, "blackboard", q.id, "pool")
        if q.style == "blanks" and any(
            len(expected_blanks(ex)) > 1
            and any(
                k == "numeric" and (t or not float(v).is_integer())
                for k, v, t in expected_blanks(ex)
            )
            for ex in q.variants
        ):
            assert warned(warnings, "blackboard", q.id, "matches strings only")
