"""Assemble a problem set: one paper per student (roster mode) or per version (variants mode).

Roster mode: every student gets a personal variant of every question, seeded with
``derive_seed(secret, set_id, student_id, question_id, reroll)``. Variants mode: ``n`` variants of
every question, seeded with ``derive_seed(secret, set_id, "variant-<k>", question_id, attempt)``
(``attempt`` counts redraws of a variant that repeated an earlier one); version ``A`` gets variant
0 of each question, ``B`` variant 1 and so on, cycling where a question has fewer variants (fixed
parameters give one). With ``shuffle``, each paper orders its questions by a permutation seeded
the same way (with ``"order"`` in place of the question id).
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import parallel
from ..errors import ConvgradeError
from ..model import Exercise
from ..quiz import Question, Quiz
from ..registry import generate
from .roster import Student
from .seeds import derive_seed
from .spec import QuestionSpec, Spec

#: Redraws allowed to make a variant differ from the earlier ones (variants mode).
MAX_ATTEMPTS = 25


@dataclass
class Paper:
    """One printed paper: a student's (roster mode) or a version's (variants mode)."""

    id: str
    name: str
    exercises: dict[str, Exercise]
    order: list[str]
    reroll: int = 0
    variant_index: dict[str, int] = field(default_factory=dict)
    #: the roster's email, login and section (non-empty ones), for the gradebooks
    contact: dict[str, str] = field(default_factory=dict)


@dataclass
class ProblemSet:
    spec: Spec
    questions: list[QuestionSpec]
    papers: list[Paper]
    variants: dict[str, list[Exercise]]
    roster: bool

    def question(self, qid: str) -> QuestionSpec:
        return next(q for q in self.questions if q.id == qid)

    def quiz(self) -> Quiz:
        """The LMS view: every question with its variant pool (the LMS draws one per student)."""
        return Quiz(
            self.spec.title,
            self.spec.set_id,
            [
                Question(
                    q.id,
                    q.title,
                    float(q.section.points),
                    list(self.variants[q.id]),
                    q.section.style,
                    q.section.title,
                    dict(q.section.part_points) if q.section.part_points else None,
                )
                for q in self.questions
            ],
        )


def params_key(ex: Exercise) -> str:
    return json.dumps(ex.params, sort_keys=True)


def version_name(k: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = string.ascii_uppercase
    name = ""
    k += 1
    while k:
        k, r = divmod(k - 1, 26)
        name = letters[r] + name
    return name


def _order(spec: Spec, secret: bytes, who: str, reroll: int, qids: list[str]) -> list[str]:
    if not spec.shuffle:
        return list(qids)
    rng = np.random.default_rng(derive_seed(secret, spec.set_id, who, "order", reroll))
    return [qids[i] for i in rng.permutation(len(qids))]


def _make(q: QuestionSpec, seed: int) -> Exercise:
    s = q.section
    return generate(s.kind, seed=seed, difficulty=s.difficulty, params=dict(s.params) or None)


#: Exercises from which generation is split over the CPUs (forking and sending the exercises
#: back cost about as much as generating a hundred).
PARALLEL_FROM = 400


def _in_parallel(make: Callable[[Sequence], list], items: Sequence, per_item: int, each) -> list:
    """``make(items)``, in chunks generated at once (:mod:`convgrade.exercises.parallel`) when
    there are enough exercises; the progress bar follows this process's chunk."""
    worth = len(items) * per_item >= PARALLEL_FROM
    return parallel.map_followed(make, items, worth, each, "generating")


def assemble(
    spec: Spec,
    secret: bytes,
    *,
    students: list[Student] | None = None,
    rerolls: dict[str, int] | None = None,
    variants: int = 1,
    progress: Callable[[Iterable, str], Iterable] | None = None,
) -> ProblemSet:
    """Generate every exercise of the set (see the module docstring for the seeding)."""
    each = progress or (lambda items, label: items)
    questions = spec.questions
    qids = [q.id for q in questions]
    if students is not None:
        rerolls = rerolls or {}
        unknown = sorted(set(rerolls) - {s.id for s in students})
        if unknown:
            raise ConvgradeError(f"--reroll {unknown[0]}: no such student in the roster")

        def make_papers(chunk: Sequence[Student]) -> list[Paper]:
            papers = []
            for st in chunk:
                r = rerolls.get(st.id, 0)
                exs = {
                    q.id: _make(q, derive_seed(secret, spec.set_id, st.id, q.id, r))
                    for q in questions
                }
                order = _order(spec, secret, st.id, r, qids)
                contact = {k: v for k in ("email", "login", "section") if (v := getattr(st, k))}
                papers.append(Paper(st.id, st.name, exs, order, r, contact=contact))
            return papers

        papers = _in_parallel(make_papers, students, len(questions), each)
        pool: dict[str, list[Exercise]] = {}
        for q in questions:
            seen: dict[str, Exercise] = {}
            for p in papers:
                seen.setdefault(params_key(p.exercises[q.id]), p.exercises[q.id])
            pool[q.id] = list(seen.values())
        return ProblemSet(spec, questions, papers, pool, roster=True)

    if rerolls:
        raise ConvgradeError("--reroll needs a --roster (it re-rolls one student's variant)")
    if not 1 <= variants <= 1000:
        raise ConvgradeError(f"--variants: expected 1 to 1000, got {variants}")

    def make_variants(chunk: Sequence[QuestionSpec]) -> list[list[Exercise]]:
        out = []
        for q in chunk:
            found: list[Exercise] = []
            keys: set[str] = set()
            for k in range(variants):
                for attempt in range(MAX_ATTEMPTS):
                    ex = _make(q, derive_seed(secret, spec.set_id, f"variant-{k}", q.id, attempt))
                    if params_key(ex) not in keys:
                        break
                if params_key(ex) in keys:  # fixed params or a tiny space: no new variant exists
                    break
                keys.add(params_key(ex))
                found.append(ex)
            out.append(found)
        return out

    pool = dict(zip(qids, _in_parallel(make_variants, questions, variants, each)))
    papers = []
    for k in range(variants):
        name = version_name(k)
        index = {qid: k % len(pool[qid]) for qid in qids}  # fewer variants: cycle
        exs = {qid: pool[qid][index[qid]] for qid in qids}
        order = _order(spec, secret, f"version-{name}", 0, qids)
        papers.append(Paper(name, f"Version {name}", exs, order, 0, index))
    return ProblemSet(spec, questions, papers, pool, roster=False)


def part_points(q: QuestionSpec, ex: Exercise) -> dict[str, float]:
    """Points per part: the spec's ``part_points``, else the question's points split evenly."""
    pp = q.section.part_points
    ids = [p.id for p in ex.parts]
    if pp is not None and set(pp) == set(ids):
        return {pid: pp[pid] for pid in ids}
    share = q.section.points / len(ids)
    return {pid: round(share, 6) for pid in ids}


def key_dict(ps: ProblemSet) -> dict[str, Any]:
    """The answer key (``key.json``): everything needed to regenerate and check every paper.

    The course secret is not in it; seeds are. ``variants`` lists every question's variants in
    variants mode; with a roster it is empty (the students' exercises are the variants, and the
    LMS pool is their distinct set).
    """
    spec = ps.spec
    questions = []
    for q in ps.questions:
        s = q.section
        entry: dict[str, Any] = {
            "id": q.id,
            "section": s.title,
            "title": q.title,
            "kind": s.kind,
            "difficulty": s.difficulty,
            "points": s.points,
            "style": s.style,
        }
        if s.params:
            entry["params"] = s.params
        if s.part_points:
            entry["part_points"] = s.part_points
        questions.append(entry)
    key: dict[str, Any] = {
        "format": "convgrade-key",
        "format_version": 1,
        "title": spec.title,
        "set_id": spec.set_id,
        "spec_sha256": spec.sha256,
        "mode": "roster" if ps.roster else "variants",
        "shuffle": spec.shuffle,
        "questions": questions,
        "students": [],
        "variants": {},
    }
    if ps.roster:
        key["students"] = [
            {
                "id": p.id,
                "name": p.name,
                **p.contact,
                "reroll": p.reroll,
                "order": p.order,
                "exercises": {qid: p.exercises[qid].to_dict() for qid in p.exercises},
            }
            for p in ps.papers
        ]
    else:
        key["variants"] = {qid: [ex.to_dict() for ex in exs] for qid, exs in ps.variants.items()}
        key["versions"] = [
            {"id": p.id, "order": p.order, "variants": p.variant_index} for p in ps.papers
        ]
    from ..key_digest import digest_fields  # the digest `grade check` verifies

    key.update(digest_fields(key))
    return key
