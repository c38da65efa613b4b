"""Each LMS's scoring rule, simulated on the file a writer produced (parsed back, never read
from the writer's objects), and the responses to score: the key, one part wrong, one cell off.

A *response* is ``("choice", i)`` (the i-th option of a multiple-choice item, in the file's
order) or ``("blanks", [text, ...])`` (what a student types in each blank, in reading order).
``key_fraction`` is what ``grade check`` gives for the same answers.
"""

from __future__ import annotations

import copy
import html
import re
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from convgrade.exercises.checking import check_exercise
from convgrade.exercises.model import Exercise, Part
from convgrade.exercises.quiz import Question, Quiz
from lxml import etree

from tests.exercises.export.support import (
    asked_as_choice,
    mc_part,
    parse_cloze,
    parse_gift,
    scalars,
    strip_namespaces,
)

Response = tuple[str, Any]

# ------------------------------------------------------------------------------------------
# Responses and the key's fraction for them


def _paths(part: Part) -> list[tuple[int, ...]]:
    """Where each blank's value sits in ``part.answer``, in :func:`support.scalars` order."""
    t, v = part.type, part.answer
    if t in ("integer", "number", "choice"):
        return [()]
    if t in ("vector", "integers", "shape", "tokens"):
        return [(i,) for i, x in enumerate(v) if x is not None]
    if t == "shapes":
        return [(i, j) for i, s in enumerate(v) for j, x in enumerate(s) if x is not None]
    if t == "matrix":
        return [(i, j) for i, r in enumerate(v) for j in range(len(r))]
    if t == "tensor":
        return [
            (i, j, c) for c in range(len(v[0][0])) for i, r in enumerate(v) for j in range(len(r))
        ]
    raise AssertionError(t)


def _wrong(part: Part, x: Any, k: int) -> Any:
    if part.type == "choice":
        return next(c for c in part.choices or [] if c != x)
    if part.type == "tokens":
        return f"zz{k}"
    step = float(part.tolerance or 0) + 1
    return x + int(step) if isinstance(x, int) else x + step


def _mutate(part: Part, which: list[int]) -> Any:
    value = copy.deepcopy(part.answer)
    if not which:
        return value
    paths = _paths(part)
    if paths == [()]:
        return _wrong(part, value, 0)
    for k in which:
        *head, last = paths[k]
        target = value
        for i in head:
            target = target[i]
        target[last] = _wrong(part, target[last], k)
    return value


def responses(q: Question, ex: Exercise) -> Iterator[tuple[str, dict[str, Any], Response]]:
    """(name, answers for ``grade check``, the same answers as an LMS response)."""
    if asked_as_choice(q, ex):
        return  # multiple choice: see choice_answers
    variants: list[tuple[str, str | None, list[int]]] = [("key", None, [])]
    for p in ex.parts:
        n = len(_paths(p))
        variants.append((f"{p.id} wrong", p.id, list(range(n))))
        if n > 1:
            variants.append((f"{p.id} one cell off", p.id, [n - 1]))
    for name, pid, which in variants:
        answers = {p.id: _mutate(p, which if p.id == pid else []) for p in ex.parts}
        yield _typed_response(ex, name, answers)
    for p in ex.parts:  # a token in another case: wrong for the key (case-sensitive)
        if p.type == "tokens" and any(t.upper() != t for t in p.answer):
            k = next(i for i, t in enumerate(p.answer) if t.upper() != t)
            answers = {x.id: copy.deepcopy(x.answer) for x in ex.parts}
            answers[p.id][k] = answers[p.id][k].upper()
            yield _typed_response(ex, f"{p.id} token {k} upper case", answers)


def _typed_response(
    ex: Exercise, name: str, answers: dict[str, Any]
) -> tuple[str, dict[str, Any], Response]:
    typed = []
    for p in ex.parts:
        typed += [
            str(v) if k != "numeric" else _num(v) for k, v, _ in scalars(_with(p, answers[p.id]))
        ]
    return name, answers, ("blanks", typed)


def _with(part: Part, value: Any) -> Part:
    return Part(part.id, part.label, part.type, value, part.tolerance, part.choices)


def _num(v: Any) -> str:
    d = Decimal(v) if isinstance(v, int) else Decimal(repr(float(v)))
    return format(d.normalize(), "f") if d != d.to_integral_value() else str(int(d))


def key_fraction(q: Question, ex: Exercise, answers: dict[str, Any]) -> float:
    """The fraction of the question's points ``grade check`` gives (unrounded part points)."""
    asked = [mc_part(ex).id] if asked_as_choice(q, ex) else None
    r = check_exercise(ex, answers, points=q.points, split=q.part_points, asked=asked)
    return sum(p.score * p.max_points for p in r.parts) / r.max_points


def items(quiz: Quiz) -> list[tuple[Question, Exercise]]:
    return [(q, ex) for q in quiz.questions for ex in q.variants]


def _close(given: str, value: str, tol: Any) -> bool:
    try:
        return abs(Decimal(given) - Decimal(str(value))) <= Decimal(str(tol or 0))
    except ArithmeticError:
        return False


# ------------------------------------------------------------------------------------------
# Moodle XML: numerical, shortanswer (usecase 1), multichoice fractions, cloze weights


def moodle_items(path: Path) -> list[etree._Element]:
    root = etree.parse(str(path)).getroot()
    return [el for el in root.findall("question") if el.get("type") != "category"]


def moodle_score(el: etree._Element, response: Response) -> float:
    kind, value = response
    qtype = el.get("type")
    answers = el.findall("answer")
    if qtype == "multichoice":
        if kind == "choice":
            return float(answers[value].get("fraction")) / 100
        (text,) = value
        chosen = [a for a in answers if a.findtext("text") == html.escape(text)]
        return float(chosen[0].get("fraction")) / 100
    if qtype == "numerical":
        (given,) = value
        a = answers[0]
        return float(_close(given, a.findtext("text"), a.findtext("tolerance")))
    if qtype == "shortanswer":
        (given,) = value
        assert el.findtext("usecase") == "1"
        return float(given == answers[0].findtext("text").replace("\\*", "*"))
    assert qtype == "cloze", qtype
    blanks = parse_cloze(el.findtext("questiontext/text"))
    assert len(blanks) == len(value)
    got = 0
    for b, given in zip(blanks, value):
        frac = 0.0
        for f, text, tol in b["answers"]:
            if b["type"] == "NUMERICAL":
                ok = _close(given, text, tol)
            elif b["type"] == "MULTICHOICE":
                ok = given == html.unescape(text)
            else:  # SHORTANSWER_C: case-sensitive
                ok = given == text
            if ok:
                frac = max(frac, f / 100)
        got += b["weight"] * frac
    return got / sum(b["weight"] for b in blanks)


def moodle_mark(el: etree._Element) -> Fraction:
    """The question's mark as Moodle imports it (a cloze question's is its weights' sum)."""
    if el.get("type") == "cloze":
        return Fraction(sum(b["weight"] for b in parse_cloze(el.findtext("questiontext/text"))))
    return Fraction(Decimal(el.findtext("defaultgrade")))


# ------------------------------------------------------------------------------------------
# QTI 2.1: an interpreter for the response processing the writer emits


def qti21_items(path: Path) -> list[etree._Element]:
    with zipfile.ZipFile(path) as zf:
        test = strip_namespaces(etree.fromstring(zf.read("test.xml")))
        hrefs = [r.get("href") for r in test.iter("assessmentItemRef")]
        return [strip_namespaces(etree.fromstring(zf.read(h))) for h in hrefs]


def _typed(base_type: str, text: str) -> Any:
    if base_type in ("float", "integer"):
        return Decimal(text)
    return text


def qti21_score(item: etree._Element, response: Response) -> tuple[float, Decimal]:
    """(SCORE / MAXSCORE, MAXSCORE) after running the item's response processing."""
    decls = {d.get("identifier"): d for d in item.findall("responseDeclaration")}
    values: dict[str, Any] = {}
    kind, value = response
    if kind == "choice":
        ids = [c.get("identifier") for c in item.iter("simpleChoice")]
        values["RESPONSE"] = ids[value]
    else:
        assert len(decls) == len(value)
        for (rid, d), given in zip(decls.items(), value):
            inline = [
                e
                for e in item.iter("inlineChoiceInteraction")
                if e.get("responseIdentifier") == rid
            ]
            if inline:
                given = next(c.get("identifier") for c in inline[0] if c.text == given)
            try:
                values[rid] = _typed(d.get("baseType"), given)
            except ArithmeticError:
                values[rid] = None  # not a number: the interaction rejects it
    outcomes = {
        o.get("identifier"): Decimal(o.findtext("defaultValue/value") or "0")
        for o in item.findall("outcomeDeclaration")
    }

    def correct(rid: str) -> Any:
        d = decls[rid]
        return _typed(d.get("baseType"), d.findtext("correctResponse/value"))

    def ev(e: etree._Element) -> Any:
        tag = e.tag
        if tag == "variable":
            i = e.get("identifier")
            return values[i] if i in values else outcomes[i]
        if tag == "correct":
            return correct(e.get("identifier"))
        if tag == "baseValue":
            return _typed(e.get("baseType"), e.text)
        args = [ev(c) for c in e]
        if tag == "match":
            return args[0] is not None and args[0] == args[1]
        if tag == "equal":
            if args[0] is None:
                return False
            tol = Decimal(e.get("tolerance", "0")) if e.get("toleranceMode") == "absolute" else 0
            return abs(args[0] - args[1]) <= tol
        if tag == "stringMatch":
            assert e.get("caseSensitive") == "true"
            return args[0] == args[1]
        if tag == "sum":
            return sum(args, Decimal(0))
        if tag == "product":
            out = Decimal(1)
            for a in args:
                out *= a
            return out
        if tag == "divide":
            return args[0] / args[1]
        raise AssertionError(f"unsupported QTI expression {tag}")

    def run(rules: list[etree._Element]) -> None:
        for rule in rules:
            if rule.tag == "setOutcomeValue":
                outcomes[rule.get("identifier")] = ev(rule[0])
            elif rule.tag == "responseCondition":
                for branch in rule:
                    if branch.tag == "responseElse":
                        run(list(branch))
                        break
                    if ev(branch[0]):
                        run(list(branch)[1:])
                        break

    run(list(item.find("responseProcessing")))
    return float(outcomes["SCORE"] / outcomes["MAXSCORE"]), outcomes["MAXSCORE"]


# ------------------------------------------------------------------------------------------
# Canvas (QTI 1.2): Canvas's own rules: MC right or wrong, FIMB even split, text ignores case


def canvas_items(path: Path) -> list[etree._Element]:
    with zipfile.ZipFile(path) as zf:
        name = next(n for n in zf.namelist() if n.count("/") and "meta" not in n)
        root = strip_namespaces(etree.fromstring(zf.read(name)))
    return list(root.iter("item"))


def canvas_field(item: etree._Element, label: str) -> str:
    for f in item.iter("qtimetadatafield"):
        if f.findtext("fieldlabel") == label:
            return f.findtext("fieldentry")
    raise KeyError(label)


def canvas_score(item: etree._Element, response: Response) -> float:
    qtype = canvas_field(item, "question_type")
    kind, value = response
    conds = item.findall("resprocessing/respcondition")
    if qtype == "multiple_choice_question":
        labels = item.findall(".//response_label")
        if kind == "choice":
            chosen = labels[value].get("ident")
        else:
            (text,) = value
            chosen = next(lb.get("ident") for lb in labels if lb.findtext(".//mattext") == text)
        right = {c.findtext(".//varequal") for c in conds if c.findtext("setvar") == "100"}
        return float(chosen in right)
    if qtype == "numerical_question":
        (given,) = value
        cv = conds[0].find("conditionvar")
        exact = cv.findtext(".//varequal")
        lo, hi = cv.findtext(".//vargte"), cv.findtext(".//varlte")
        try:
            g = Decimal(given)
        except ArithmeticError:
            return 0.0
        return float(g == Decimal(exact) or Decimal(lo) <= g <= Decimal(hi))
    if qtype == "short_answer_question":
        (given,) = value
        return float(given.strip().lower() == conds[0].findtext(".//varequal").strip().lower())
    assert qtype == "fill_in_multiple_blanks_question", qtype
    lids = item.findall("presentation/response_lid")
    assert len(lids) == len(value)
    right = 0
    for lid, given in zip(lids, value):
        texts = [m.text for m in lid.findall("render_choice/response_label/material/mattext")]
        right += any(given.strip().lower() == t.strip().lower() for t in texts)
    return right / len(lids)  # Canvas splits the points evenly over the blanks


# ------------------------------------------------------------------------------------------
# GIFT through gift-pegjs, scored as Moodle does (short answers ignore case; mark 1 each)


def gift_groups(path: Path, quiz: Quiz) -> list[list[dict]]:
    """The parsed GIFT questions of each item (several for a multi-blank fallback)."""
    parsed = [p for p in parse_gift(path) if p["type"] != "Category"]
    it = iter(parsed)
    out = []
    for q, ex in items(quiz):
        n = 1 if asked_as_choice(q, ex) else len([s for p in ex.parts for s in scalars(p)])
        out.append([next(it) for _ in range(n)])
    assert next(it, None) is None
    return out


def _gift_one(p: dict, given: Any) -> float:
    if p["type"] == "MC":
        ch = p["choices"]
        c = (
            ch[given]
            if isinstance(given, int)
            else next(c for c in ch if c["text"]["text"] == given)
        )
        return 1.0 if c["isCorrect"] else (c["weight"] or 0) / 100
    if p["type"] == "Numerical":
        ch = p["choices"]
        if isinstance(ch, list):
            (c,) = ch
            number, rng = c["text"]["number"], c["text"].get("range", 0)
        else:
            number, rng = ch["number"], ch.get("range", 0)
        return float(_close(given, str(number), str(rng or 0)))
    assert p["type"] == "Short", p["type"]
    right = [c["text"]["text"] for c in p["choices"] if c["isCorrect"]]
    return float(any(given.lower() == r.lower() for r in right))


def gift_score(group: list[dict], response: Response) -> float:
    kind, value = response
    if kind == "choice":
        (p,) = group
        return _gift_one(p, value)
    assert len(group) == len(value)
    return sum(_gift_one(p, v) for p, v in zip(group, value)) / len(group)


# ------------------------------------------------------------------------------------------
# Blackboard: NUM, MC right or wrong, FIB_PLUS even split (split questions by their share)


def blackboard_groups(path: Path, quiz: Quiz) -> list[list[list[str]]]:
    lines = [ln.split("\t") for ln in path.read_text(encoding="utf-8")[:-1].split("\n")]
    it = iter(lines)
    out = []
    for _ in items(quiz):
        first = next(it)
        group = [first]
        m = re.match(r"\(part 1 of (\d+): ", first[1])
        for _ in range(int(m.group(1)) - 1 if m else 0):
            group.append(next(it))
        out.append(group)
    assert next(it, None) is None
    return out


def _fib_fields(fields: list[str]) -> list[list[str]]:
    groups, cur = [], []
    for f in fields[2:]:
        if f == "":
            groups.append(cur)
            cur = []
        else:
            cur.append(f)
    return groups


def blackboard_score(group: list[list[str]], response: Response) -> float:
    kind, value = response
    first = group[0]
    if first[0] == "MC":
        pairs = list(zip(first[2::2], first[3::2]))
        i = (
            value
            if kind == "choice"
            else next(k for k, (o, _) in enumerate(pairs) if o == value[0])
        )
        return float(pairs[i][1] == "correct")
    if first[0] == "NUM":
        (given,) = value
        return float(_close(given, first[2], first[3] if len(first) > 3 else "0"))
    values = iter(value)
    total = got = 0.0
    for fields in group:
        blanks = _fib_fields(fields)
        m = re.match(r"\(part \d+ of \d+: ([0-9.]+) of ", fields[1])
        share = float(m.group(1)) if m else 1.0
        right = sum(next(values) in b[1:] for b in blanks)
        got += share * right / len(blanks)
        total += share
    assert next(values, None) is None
    return got / total
