"""Handouts, answer keys and answer sheets rendered from a :class:`ProblemSet` through Jinja2.

Each paper's body is rendered once per format and reused for the student's own file and the
class pack (all papers in one document, a page break between papers). Formats: ``html``,
``markdown`` and ``typst`` (the PDF's source: :mod:`.pdf` compiles one document for all papers).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from markupsafe import Markup

from .. import parallel
from ..export.base import prompt
from ..model import Exercise, Part
from ..render import environment, macros, render_prompt
from . import mc
from .assemble import Paper, ProblemSet, part_points, version_name


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def short_id(seed: int | None) -> str:
    """A variant's short id for printed keys: the seed's first 7 hex digits (key.json has all)."""
    return "-" if seed is None else f"{seed:016x}"[:7]


def _dims(m: Any) -> tuple[int, int, int]:
    """(rows, columns, channels) of a matrix or an H x W x C tensor (nested lists)."""
    rows, cols = len(m), len(m[0])
    chans = len(m[0][0]) if isinstance(m[0][0], list) else 1
    return rows, cols, chans


def answer_grid(ex: Exercise, part: Part) -> tuple[int, int, int]:
    """The empty answer grid of a matrix or tensor part: (rows, columns, channels).

    As large as the (padded) input, never the answer's own shape, so it gives nothing away;
    the channels are the answer's (the number of filters, which the question states).
    """
    rows, cols, chans = _dims(part.answer)
    x = ex.params.get("input")
    if isinstance(x, list) and x and isinstance(x[0], list):
        pad = ex.params.get("padding")
        extra = 2 * pad if isinstance(pad, int) and not isinstance(pad, bool) else 0
        r, c, _ = _dims(x)
        return max(r + extra, rows), max(c + extra, cols), chans
    return max(rows, 6), max(cols, 6), chans


def _items(ps: ProblemSet, paper: Paper, fmt: str | None) -> list[dict[str, Any]]:
    """The paper's questions in its order, with prompts rendered in ``fmt`` (None: no prompt)."""
    items = []
    for qid in paper.order:
        q = ps.question(qid)
        ex = paper.exercises[qid]
        opts = mc.options(ex) if q.section.style == "multiple_choice" else None
        items.append(
            {
                "qid": qid,
                "title": q.title,
                "kind": ex.kind,
                "points": q.section.points,
                "prompt": render_prompt(ex, fmt) if fmt is not None else "",
                "parts": [opts[0]] if opts else ex.parts,
                "part": opts[0] if opts else None,
                "options": opts[1] if opts else None,
                "mc": opts is not None,
                "variant": None if ps.roster else paper.variant_index[qid],
                "space": q.section.answer_space,
                # two answer areas for matrices do not fit on one page with the prompt
                "tall": q.section.answer_space != "none"
                and sum(p.type in ("matrix", "tensor") for p in ex.parts) >= 2,
                "grids": {
                    p.id: answer_grid(ex, p) for p in ex.parts if p.type in ("matrix", "tensor")
                },
            }
        )
    return items


def _total(ps: ProblemSet) -> float:
    return sum(q.section.points for q in ps.questions)


#: Paper and key templates per format.
PAPER = {"html": "paper.html.j2", "markdown": "paper.md.j2", "typst": "paper.typ.j2"}
KEY = {"html": "key.html.j2", "typst": "key.typ.j2", "typst-worked": "key-worked.typ.j2"}


def paper_body(ps: ProblemSet, paper: Paper, fmt: str, n: int = 0) -> str:
    """One paper's handout body: ``fmt`` ``html`` (a fragment), ``markdown`` or ``typst`` (the
    ``n``-th paper of a document)."""
    name = PAPER[fmt]
    text = (
        environment(fmt)
        .get_template(f"problemset/{name}")
        .render(
            spec=ps.spec,
            paper=paper,
            items=_items(ps, paper, fmt),
            f=macros(fmt),
            roster=ps.roster,
            total=_total(ps),
            n=n,
        )
    )
    return _tidy(text, fmt)


def _tidy(text: str, fmt: str) -> str:
    """Collapse runs of blank lines; HTML is marked safe for the page template."""
    text = re.sub(r"\n\s*\n(\s*\n)+", "\n\n", text.strip()) + "\n"
    return Markup(text) if fmt in ("html", "typst") else text


def html_page(title: str, bodies: list[str]) -> str:
    """A self-contained HTML document (inline print CSS) of one or more bodies."""
    return (
        environment("html")
        .get_template("problemset/page.html.j2")
        .render(title=title, bodies=bodies)
    )


#: Papers x questions from which the Typst papers are rendered in two processes (a fork and
#: sending the text back cost about as much as rendering a few hundred questions).
PARALLEL_FROM = 400


def typst_papers(
    ps: ProblemSet, each: Callable[[Iterable, str], Iterable] | None = None
) -> list[str]:
    """Every paper's Typst body in order (numbered for its footer), rendered by this process and
    a forked one at once where :func:`exercises.parallel.jobs` allows; ``each`` is the progress
    bar (it follows this process's half)."""
    numbered = list(enumerate(ps.papers))
    return parallel.map_followed(
        lambda chunk: [paper_body(ps, paper, "typst", n) for n, paper in chunk],
        numbered,
        len(numbered) * len(ps.questions) >= PARALLEL_FROM,
        each or (lambda items, label: items),
        "pdf",
    )


def typst_doc(title: str, bodies: list[str]) -> str:
    """A whole Typst document (page setup, styles) of one or more paper or key bodies."""
    return (
        environment("typst")
        .get_template("problemset/doc.typ.j2")
        .render(title=title, bodies=bodies)
    )


def markdown_doc(bodies: list[str]) -> str:
    """Markdown papers separated by horizontal rules."""
    return "\n---\n\n".join(b.strip() + "\n" for b in bodies)


def key_groups(ps: ProblemSet, fmt: str | None = "html") -> list[dict[str, Any]]:
    """The key's groups: one per student (roster mode) or per question (variants mode), with
    prompts rendered in ``fmt`` (None: none, for the marking key)."""

    def entry(eid: str, heading: str, qid: str, ex: Exercise) -> dict[str, Any]:
        q = ps.question(qid)
        return {
            "id": eid,
            "heading": heading,
            "ex": ex,
            "points": sum(part_points(q, ex).values()),
            # cached: the LMS writers render the same prompts
            "prompt": prompt(ex, fmt) if fmt is not None else "",
            "short_id": short_id(ex.seed),
        }

    groups = []
    if ps.roster:
        for p in ps.papers:
            who = f"Student {p.id}" + (f" · {p.name}" if p.name else "")
            entries = [
                entry(qid, f"{qid} · {ps.question(qid).title}", qid, p.exercises[qid])
                for qid in (q.id for q in ps.questions)
            ]
            groups.append({"id": p.id, "heading": who, "entries": entries})
    else:
        for q in ps.questions:
            entries = [
                entry(f"v{k}", f"{q.id} · variant {k} (version {version_name(k)})", q.id, ex)
                for k, ex in enumerate(ps.variants[q.id])
            ]
            heading = f"{q.id} · {q.title} · {len(entries)} variant(s)"
            groups.append({"id": q.id, "heading": heading, "entries": entries})
    return groups


def key_bodies(ps: ProblemSet, progress=None, fmt: str = "html") -> list[str]:
    """The key's bodies, one per group: ``fmt`` ``html``, ``typst`` (the marking key: answers
    only) or ``typst-worked`` (with prompts, worked steps and misconception answers)."""
    each = progress or (lambda items, label: items)
    lang = "typst" if fmt.startswith("typst") else fmt
    tpl = environment(lang).get_template(f"problemset/{KEY[fmt]}")
    f = macros(lang)
    groups = each(key_groups(ps, None if fmt == "typst" else lang), "key")
    return [_tidy(tpl.render(spec=ps.spec, group=g, f=f, n=n), lang) for n, g in enumerate(groups)]


def answer_sheet(ps: ProblemSet, paper: Paper) -> str:
    """The blank answer sheet (TOML) of one paper, in the paper's question order."""
    who = f"student {paper.id}" if ps.roster else _one_line(paper.name)
    items = _items(ps, paper, None)
    for it in items:
        it["title"] = _one_line(it["title"])
    return (
        environment("text")
        .get_template("problemset/answers.toml.j2")
        .render(
            title=_one_line(ps.spec.title),
            who=who,
            student=paper.id if ps.roster else None,
            set_id=ps.spec.set_id,
            items=items,
        )
    )
