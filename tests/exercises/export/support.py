"""Helpers for the LMS export tests: quizzes, schemas, a Moodle cloze parser, a GIFT parser run.

Expected answers are read from the exercises themselves (``Part.answer``), flattened here
independently of the writers, never from the writers' output.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
from dataclasses import replace
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from convgrade.exercises.model import Exercise, Misconception, Part
from convgrade.exercises.quiz import Question, Quiz
from lxml import etree

from convgrade import exercises

ROOT = Path(__file__).resolve().parents[3]
NODE_DIR = ROOT / "tests" / "node"

#: Text that every format must escape: GIFT specials, cloze specials, XML, Canvas brackets.
NASTY = 'a{b}: #1 ~x = y [z] \\ "q" / <t> & * {1:NUMERICAL:=9}'


def shared_dir() -> Path:
    """``../shared`` beside the repository (as CI lays it out), else $CONVGRADE_SHARED."""
    beside = ROOT.parent / "shared"
    if (beside / "schemas").is_dir():
        return beside
    env = os.environ.get("CONVGRADE_SHARED")
    if env and (Path(env) / "schemas").is_dir():
        return Path(env)
    raise AssertionError(
        f"schemas not found: expected {beside}/schemas (CI layout) or $CONVGRADE_SHARED/schemas"
    )


@cache
def qti12_dtd() -> etree.DTD:
    return etree.DTD(str(shared_dir() / "schemas" / "qti12" / "ims_qtiasiv1p2p1.dtd"))


@cache
def qti21_schema() -> etree.XMLSchema:
    path = shared_dir() / "schemas" / "qti21" / "qtiv2p1" / "imsqti_v2p1.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


@cache
def manifest_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(shared_dir() / "schemas" / "qti21" / "imscp_v1p1.xsd")))


def strip_namespaces(el: etree._Element) -> etree._Element:
    """A copy of ``el`` with every namespace (element and attribute) removed."""
    el = copy.deepcopy(el)
    for e in el.iter():
        if isinstance(e.tag, str):
            e.tag = etree.QName(e).localname
        for k in list(e.attrib):
            if k.startswith("{"):
                del e.attrib[k]
    etree.cleanup_namespaces(el)
    return el


# ------------------------------------------------------------------------------------------
# Quizzes


def seeds(kind: str, n: int, offset: int = 0) -> list[int]:
    return [1000 * (i + 1) + 17 * len(kind) + offset for i in range(n)]


def quiz_all_kinds(n_variants: int = 3) -> Quiz:
    """Every registered kind twice: once as blanks, once as multiple choice."""
    qs = []
    for i, kind in enumerate(exercises.kinds()):
        blanks = [exercises.generate(kind, seed=s) for s in seeds(kind, n_variants)]
        mc = [exercises.generate(kind, seed=s) for s in seeds(kind, n_variants, offset=7)]
        qs.append(Question(f"q{2 * i + 1}", f"{kind}: blanks", 4, blanks, "blanks", "Kinds"))
        qs.append(Question(f"q{2 * i + 2}", f"{kind}: choice", 2, mc, "multiple_choice", "Kinds"))
    return Quiz("All kinds", "all-kinds", qs)


def quiz_all_kinds_spec(n_variants: int = 3) -> Quiz:
    """The LMS view of ``examples/all-kinds.toml`` (every kind), as `grade build` makes it."""
    from convgrade.exercises.problemset.assemble import assemble
    from convgrade.exercises.problemset.spec import load_spec

    spec = load_spec(ROOT / "examples" / "all-kinds.toml")
    return assemble(spec, b"export-tests", variants=n_variants).quiz()


def _typed(base: Exercise, parts: list[Part], wrong: dict[str, dict[str, Any]]) -> Exercise:
    return replace(
        base,
        parts=parts,
        misconceptions=[Misconception(mid, answers) for mid, answers in wrong.items()],
    )


def quiz_all_types() -> Quiz:
    """Synthetic parts of every answer type, with values and labels that need escaping.

    The prompt is a real conv1d prompt; the parts are replaced (exporters only read parts).
    """
    ex = exercises.generate("conv1d", seed=5)
    every = [
        Part("size", f"Size {NASTY}", "integer", -3),
        Part("mean", "Mean value", "number", 2.5, tolerance=0.01),
        Part("ratio", "Ratio", "number", 0.1, tolerance=0.05),
        Part("shape", "Output shape", "shape", [4, 4, 8]),
        Part("shapes", "Layer shapes", "shapes", [[None, 6, 6, 2], [None, 72]]),
        Part("vec", "Vector", "vector", [1, -2, 0.5]),
        Part("mat", "Pooled map", "matrix", [[1.5, -2.25], [0.3, 4]], tolerance=0.001),
        Part("ten", "Feature maps", "tensor", [[[1, 2], [3, 4]], [[5, 6], [7, -8]]]),
        Part("tok", "Vocabulary", "tokens", ["", "[UNK]", "the", NASTY]),
        Part("idx", "Indices", "integers", [2, 3, 1]),
        Part("pad", "Padding", "choice", "same", choices=["valid", "same", NASTY]),
    ]
    wrong = {
        "flipped_kernel": {"mat": [[4, 0.3], [-2.25, 1.5]], "tok": ["[UNK]", "", "the", NASTY]},
        "no_padding": {"mat": [[1.5, -2.25]]},
        "avg_instead_of_max": {"mat": [[1.5, -2.25]]},  # duplicate value: deduplicated
        "forgot_bias": {"size": -4},
    }
    all_parts = _typed(ex, every, wrong)
    singles = {
        "integer": _typed(ex, [every[0]], {"forgot_bias": {"size": -4}}),
        "number": _typed(ex, [every[1]], {}),
        "tokens1": _typed(ex, [Part("word", "Most frequent word", "tokens", [NASTY])], {}),
        "choice": _typed(ex, [every[-1]], {}),
    }
    no_mc = _typed(ex, [every[3]], {})
    tensor_mc = _typed(
        ex, [every[7]], {"single_channel": {"ten": [[[1, 0], [3, 0]], [[5, 0], [7, 0]]]}}
    )
    qs = [
        Question("q1", f"Every type {NASTY}", 10, [all_parts, all_parts], "blanks", "Types"),
        Question("q2", "Every type as choice", 3, [all_parts], "multiple_choice", "Types"),
        Question("q3", "Integer", 1, [singles["integer"]], "blanks"),
        Question("q4", "Number", 1, [singles["number"]], "blanks"),
        Question("q5", "Token", 1, [singles["tokens1"]], "blanks"),
        Question("q6", "Choice", 1, [singles["choice"]], "blanks"),
        Question("q7", "No distractors", 1, [no_mc], "multiple_choice"),
        Question("q8", "Integer as choice", 1, [singles["integer"]], "multiple_choice"),
        Question("q9", "Tensor as choice", 2, [tensor_mc], "multiple_choice"),
    ]
    return Quiz(f"Types {NASTY}", "types-set", qs)


# ------------------------------------------------------------------------------------------
# Expected blanks, flattened independently of the writers


def scalars(part: Part) -> list[tuple[str, Any, float]]:
    """(kind, value, tolerance) of every blank of a part, in reading order (a tensor channel
    by channel; ``None`` axes are given, not asked)."""
    t, v, tol = part.type, part.answer, float(part.tolerance or 0)
    if t in ("integer", "number"):
        return [("numeric", v, tol)]
    if t == "choice":
        return [("choice", v, 0.0)]
    if t == "tokens":  # the empty string is typed '' (an empty blank is unanswered)
        return [("text", x if x != "" else "''", 0.0) for x in v]
    if t in ("vector", "integers", "shape"):
        return [("numeric", x, tol) for x in v if x is not None]
    if t == "shapes":
        return [("numeric", x, tol) for s in v for x in s if x is not None]
    if t == "matrix":
        return [("numeric", x, tol) for r in v for x in r]
    if t == "tensor":
        return [
            ("numeric", r[j][c], tol) for c in range(len(v[0][0])) for r in v for j in range(len(r))
        ]
    raise AssertionError(t)


def expected_blanks(ex: Exercise) -> list[tuple[str, Any, float]]:
    return [s for p in ex.parts for s in scalars(p)]


def mc_part(ex: Exercise) -> Part | None:
    """The part the spec says is asked as multiple choice: the last with a distinct
    misconception answer (recomputed here from the exercise)."""
    for p in reversed(ex.parts):
        if any(p.id in m.answers and m.answers[p.id] != p.answer for m in ex.misconceptions):
            return p
    for p in reversed(ex.parts):
        if p.type == "choice":
            return p
    return None


def asked_as_choice(q: Question, ex: Exercise) -> bool:
    return q.style == "multiple_choice" and mc_part(ex) is not None


def dec(v: Any) -> Decimal:
    """The decimal a key value stands for (ints exactly, floats by their shortest repr)."""
    return Decimal(v) if isinstance(v, int) else Decimal(repr(float(v)))


def same_number(text: Any, key: Any) -> bool:
    """A number written by a writer (or parsed back) equals the key exactly."""
    return Decimal(str(text)) == dec(key)


# ------------------------------------------------------------------------------------------
# Moodle cloze (embedded answers) parser


CLOZE = re.compile(r"\{(\d*):([A-Z_]+):((?:\\.|[^\\}])*)\}")


def cloze_unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _split_unescaped(text: str, sep: str) -> list[str]:
    out, cur, i = [], "", 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            cur += text[i : i + 2]
            i += 2
            continue
        if text[i] == sep:
            out.append(cur)
            cur = ""
        else:
            cur += text[i]
        i += 1
    out.append(cur)
    return out


def parse_cloze(text: str) -> list[dict[str, Any]]:
    """Every embedded answer of a Moodle cloze question text, in order.

    ``{w:NUMERICAL:=v:tol#fb~%50%v2}``, ``{w:SHORTANSWER_C:=word}``, ``{w:MULTICHOICE:=a~b}``:
    returns dicts with weight, type and answers ``[(fraction, text, tolerance)]`` (text
    unescaped; tolerance only for NUMERICAL)."""
    out = []
    for m in CLOZE.finditer(text):
        weight, qtype, body = int(m.group(1) or 1), m.group(2), m.group(3)
        answers = []
        for alt in _split_unescaped(body, "~"):
            alt = _split_unescaped(alt, "#")[0]
            if alt.startswith("="):
                frac, alt = 100, alt[1:]
            elif (fm := re.match(r"%(-?\d+(?:\.\d+)?)%", alt)) is not None:
                frac, alt = float(fm.group(1)), alt[fm.end() :]
            else:
                frac = 0
            tol = None
            if qtype in ("NUMERICAL", "NM"):
                value, _, t = alt.partition(":")
                alt, tol = value, Decimal(t or "0")
            answers.append((frac, cloze_unescape(alt), tol))
        out.append({"weight": weight, "type": qtype, "answers": answers})
    return out


# ------------------------------------------------------------------------------------------
# GIFT through gift-pegjs


def parse_gift(path: Path) -> list[dict[str, Any]]:
    """Parse a GIFT file with the npm package gift-pegjs (installed by .ci/run)."""
    if not (NODE_DIR / "node_modules" / "gift-pegjs").is_dir():
        raise AssertionError(
            "gift-pegjs missing: run `cd tests/node && npm install --no-save` (.ci/run does)"
        )
    proc = subprocess.run(
        ["node", str(ROOT / "tests" / "gift_parse.js"), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode != 0:
        raise ValueError(proc.stderr.strip())
    return json.loads(proc.stdout)


# ------------------------------------------------------------------------------------------
# Warnings (grouped: one line per message, naming every question it concerns)


def warned(warnings: list[str], target: str, qid: str, needle: str = "") -> bool:
    """Whether a warning of ``target`` names question ``qid`` and contains ``needle``."""
    names = re.compile(rf"^{re.escape(target)}: question (?:.*, )?{re.escape(qid)}(?= \(|:|,)")
    return any(names.search(w) and needle in w for w in warnings)
