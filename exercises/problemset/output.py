"""`grade build`: assemble a problem set and write every requested output, atomically.

Everything is written into a temporary directory next to the output directory and moved into
place at the end, so a failure leaves the output directory as it was. The same spec, secret and
roster give byte-identical files (no timestamps, sorted JSON keys).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import parallel
from ..errors import ConvgradeError, did_you_mean
from ..export import PROMPTS, SELF_PARALLEL, WRITERS
from ..export.base import prerender
from . import pdf
from .assemble import ProblemSet, assemble, key_dict, part_points
from .check import report, report_text
from .documents import (
    answer_sheet,
    html_page,
    key_bodies,
    markdown_doc,
    paper_body,
    typst_doc,
    typst_papers,
)
from .roster import read_roster
from .seeds import SECRET_ENV, load_secret, public_secret
from .spec import load_spec

#: The LMS quiz formats: those registered in :mod:`convgrade.exercises.export`.
LMS_FORMATS = tuple(WRITERS)
#: Every format `grade build --formats` knows, in output order.
FORMATS = ("html", "markdown", "pdf", "key", "key-worked", *LMS_FORMATS)
#: Formats built only when named (not by default nor by ``all``): ``key-worked`` is the worked
#: key as a PDF (prompts, every window's products, misconception answers), about 18 pages a
#: student, which costs about as much as all the other formats together for a class.
OPT_IN = ("key-worked",)
#: Columns of key.csv.
KEY_CSV_COLUMNS = (
    "student",
    "name",
    "reroll",
    "variant",
    "question",
    "part",
    "label",
    "type",
    "points",
    "kind",
    "version",
    "seed",
    "difficulty",
    "answer",
    "tolerance",
)

Progress = Callable[[Iterable, str], Iterable]
#: Relative CPU cost of the key and of each LMS writer (measured), to spread them over the CPUs.
STEP_COST = {"key": 9, "qti21": 10, "canvas": 6.5, "gift": 2, "moodle": 1.5, "blackboard": 2}
#: Exercises (papers x questions) from which the key and the LMS writers run in parallel.
PARALLEL_FROM = 400


@dataclass
class BuildResult:
    out: Path
    problemset: ProblemSet
    formats: list[str]
    files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    check: str | None = None
    timings: dict[str, float] = field(default_factory=dict)


def pdf_available() -> bool:
    return pdf.available()


def _unavailable(fmt: str) -> str | None:
    if fmt in ("pdf", "key-worked") and not pdf_available():
        return f"format {fmt} is not available: it needs Typst (pip install 'convgrade[pdf]')"
    return None


def parse_formats(text: str | None) -> tuple[list[str], list[str]]:
    """(formats, notes): ``text`` a comma-separated subset of :data:`FORMATS`; None or ``all``
    (also as one item of the list, e.g. ``all,key-worked``) means every format available here
    except the opt-in ones (:data:`OPT_IN`); the unavailable ones are named in the notes."""
    names = ["all"] if text is None else [t.strip() for t in text.split(",")]
    chosen: list[str] = []
    notes: list[str] = []
    if "all" in names:
        defaults = [f for f in FORMATS if f not in OPT_IN]
        chosen = [f for f in defaults if _unavailable(f) is None]
        notes = [_unavailable(f) for f in defaults if f not in chosen]
        names = [n for n in names if n != "all"]
    for name in names:
        if name not in FORMATS:
            raise ConvgradeError(
                f"--formats: unknown format {name!r}{did_you_mean(name, FORMATS)} "
                f"(expected a subset of {','.join(FORMATS)})"
            )
        problem = _unavailable(name)
        if problem:
            raise ConvgradeError(problem)
        if name not in chosen:
            chosen.append(name)
    return [f for f in FORMATS if f in chosen], notes


def previous_rerolls(out: Path, set_id: str) -> dict[str, int]:
    """Reroll counters recorded in ``out/key.json`` by an earlier build of the same set."""
    path = out / "key.json"
    if not path.is_file():
        return {}
    try:
        key = json.loads(path.read_text(encoding="utf-8"))
        if key.get("format") != "convgrade-key" or key.get("set_id") != set_id:
            raise ConvgradeError(
                f"{path}: an earlier build of another set ({key.get('set_id')!r}); "
                "choose another --out"
            )
        return {s["id"]: int(s.get("reroll", 0)) for s in key.get("students", [])}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ConvgradeError(
            f"{path}: not a readable convgrade key (rerolls are kept there)"
        ) from None


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ConvgradeError(f"--out {out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not (out / "key.json").is_file():
        raise ConvgradeError(
            f"--out {out}: directory is not empty and holds no earlier build (no key.json); "
            "a build replaces the whole directory, so choose a new or empty one"
        )


@parallel.no_gc()  # a build keeps every object it makes: collections only rescan them
def build(
    spec_path: Path,
    out: Path,
    *,
    roster: Path | None = None,
    variants: int | None = None,
    formats: str | None = None,
    rerolls: Iterable[str] = (),
    secret_file: Path | None = None,
    check: bool = False,
    progress: Progress | None = None,
) -> BuildResult:
    """Validate everything, then write the outputs (see :data:`FORMATS`) into ``out``."""
    out = Path(out)
    spec = load_spec(Path(spec_path))
    students = read_roster(Path(roster)) if roster is not None else None
    secret = load_secret(secret_file)
    rerolls = list(rerolls)
    if students is not None:
        if secret is None:
            raise ConvgradeError(
                f"a roster needs the course secret: set ${SECRET_ENV} or pass --secret-file"
            )
        if variants is not None:
            raise ConvgradeError("--variants and --roster exclude each other")
    else:
        secret = secret or public_secret(spec.set_id)
    chosen, notes = parse_formats(formats)
    _check_out(out)
    counters: dict[str, int] = {}
    if students is not None:
        ids = {s.id for s in students}
        counters = {k: v for k, v in previous_rerolls(out, spec.set_id).items() if k in ids}
        for sid in rerolls:
            if sid not in ids:
                raise ConvgradeError(f"--reroll {sid}: no such student in the roster")
            counters[sid] = counters.get(sid, 0) + 1
    elif rerolls:
        raise ConvgradeError("--reroll needs a --roster (it re-rolls one student's variant)")
    t0 = time.perf_counter()
    ps = assemble(
        spec,
        secret,
        students=students,
        rerolls=counters,
        variants=variants or 1,
        progress=progress,
    )
    result = BuildResult(out, ps, chosen, notes=notes)
    result.timings["generate"] = time.perf_counter() - t0
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        _write_all(ps, tmp, chosen, result, progress, check)
        result.files = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file())
        _swap(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return result


def _swap(tmp: Path, out: Path) -> None:
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
        os.rmdir(old)
        os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)
    os.chmod(out, 0o755)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


class _Clock:
    """Seconds spent per step (``BuildResult.timings``; never written into the outputs)."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings

    @contextmanager
    def __call__(self, step: str):
        t = time.perf_counter()
        try:
            yield
        finally:
            self.timings[step] = self.timings.get(step, 0.0) + time.perf_counter() - t


def _write_all(ps, tmp, chosen, result, progress, check) -> None:
    # the PDFs compile in threads (the compiler uses every core) while the other formats render
    with pdf.Background() as pdfs:
        _write_formats(ps, tmp, chosen, result, progress, check, pdfs)
        with _Clock(result.timings)("pdf"):
            pdfs.wait()


def _write_formats(ps, tmp, chosen, result, progress, check, pdfs) -> None:
    each = progress or (lambda items, label: items)
    clock = _Clock(result.timings)
    spec = ps.spec
    per_paper = "students" if ps.roster else "versions"
    if "pdf" in chosen:
        with clock("pdf"):
            pdfs.submit(typst_doc(spec.title, typst_papers(ps, progress)), tmp / "handout.pdf")
            if "key" in chosen:
                # the marking key: answers only (untagged, as every key PDF: a few pages a
                # student for the instructor)
                typ = key_bodies(ps, progress, "typst")
                pdfs.submit(typst_doc(f"Key · {spec.title}", typ), tmp / "key.pdf", tagged=False)
    if "key-worked" in chosen:
        with clock("key-worked"):
            typ = key_bodies(ps, progress, "typst-worked")
            title = f"Worked key · {spec.title}"
            pdfs.submit(typst_doc(title, typ), tmp / "key-worked.pdf", tagged=False)
    html_bodies: list[str] = []
    md_bodies: list[str] = []
    for paper in each(ps.papers, "rendering"):
        d = tmp / per_paper / paper.id
        with clock("answer sheets"):
            _write(d / "answers.toml", answer_sheet(ps, paper))
        if "html" in chosen:
            with clock("html"):
                body = paper_body(ps, paper, "html")
                html_bodies.append(body)
                _write(d / "handout.html", html_page(f"{spec.title} · {paper.id}", [body]))
        if "markdown" in chosen:
            with clock("markdown"):
                body = paper_body(ps, paper, "markdown")
                md_bodies.append(body)
                _write(d / "handout.md", body)
    if "html" in chosen:
        with clock("html"):
            _write(tmp / "handout.html", html_page(spec.title, html_bodies))
    if "markdown" in chosen:
        with clock("markdown"):
            _write(tmp / "handout.md", markdown_doc(md_bodies))
    quiz = ps.quiz() if any(f in LMS_FORMATS for f in chosen) else None
    steps: dict[str, tuple[float, Callable[[], list[str]]]] = {}
    if "key" in chosen:
        steps["key"] = (STEP_COST["key"], lambda: write_key(ps, tmp, progress))
    for fmt in chosen:
        if fmt in LMS_FORMATS:
            steps[fmt] = (STEP_COST.get(fmt, 1.0), lambda fmt=fmt: WRITERS[fmt](quiz, tmp))
    if len(ps.papers) * len(ps.questions) < PARALLEL_FROM:
        steps = {name: (0.0, fn) for name, (_, fn) in steps.items()}  # one process
    elif len(steps) > 1 or not SELF_PARALLEL.issuperset(steps):
        # every prompt the steps need, rendered on all CPUs before the steps fork
        needed = {"html" if name == "key" else PROMPTS.get(name) for name in steps} - {None}
        with clock("prompts"):
            prerender([ex for exs in ps.variants.values() for ex in exs], sorted(needed))
    for step, (warnings, seconds) in parallel.run_steps(steps).items():
        result.warnings.extend(warnings)
        result.timings[step] = seconds
    if check:
        with clock("check"):
            rep = report(ps)
            result.check = report_text(rep, ps.roster)
            _write(tmp / "check.txt", result.check)
            _write(tmp / "check.json", json.dumps(rep, indent=1, sort_keys=True) + "\n")


def write_key(ps: ProblemSet, tmp: Path, progress: Progress | None) -> list[str]:
    """``key.json``, ``key.csv`` and ``key.html`` (no warnings)."""
    key = key_dict(ps)
    _write(tmp / "key.json", json.dumps(key, sort_keys=True, separators=(",", ":")) + "\n")
    _write(tmp / "key.csv", key_csv(ps))
    _write(tmp / "key.html", html_page(f"Key · {ps.spec.title}", key_bodies(ps, progress)))
    return []


def key_csv(ps: ProblemSet) -> str:
    """``key.csv``: one row per (student or variant, question, part); answers as JSON."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(KEY_CSV_COLUMNS)

    def rows(student: str, name: str, reroll: Any, variant: Any, qid: str, ex) -> None:
        q = ps.question(qid)
        pts = part_points(q, ex)
        for part in ex.parts:
            w.writerow(
                [
                    student,
                    name,
                    reroll,
                    variant,
                    qid,
                    part.id,
                    part.label,
                    part.type,
                    pts[part.id],
                    ex.kind,
                    ex.version,
                    "" if ex.seed is None else ex.seed,
                    ex.difficulty,
                    json.dumps(part.answer, separators=(",", ":")),
                    part.tolerance,
                ]
            )

    if ps.roster:
        for p in ps.papers:
            for q in ps.questions:
                rows(p.id, p.name, p.reroll, "", q.id, p.exercises[q.id])
    else:
        for q in ps.questions:
            for k, ex in enumerate(ps.variants[q.id]):
                rows("", "", "", k, q.id, ex)
    return buf.getvalue()
