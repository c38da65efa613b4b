"""PDF handouts and keys of a 20-question set for 300 students: Typst, and the old WeasyPrint path.

    python benchmarks/bench_pdf.py [--students 300] [--questions 20] [--weasyprint 40]
    python benchmarks/bench_pdf.py --students 20 --source handout.typ   # the source, to profile
    python benchmarks/bench_pdf.py --handout-only                        # issue 13's target alone

Assembles the set of ``bench_build.py`` once, then times, for the same papers: rendering the Typst
source and compiling it into ``handout.pdf`` (one document, compiled once), the marking key
``key.pdf`` and the opt-in worked key ``key-worked.pdf`` (on main: the one key), and, with
``--weasyprint N`` (needs ``pip install weasyprint pypdf`` and Pango; no longer a dependency), the
former path for the first N papers: the HTML handout typeset by WeasyPrint in chunks of 20 papers
in parallel worker processes, joined with pypdf. Prints wall seconds, CPU seconds (this process
and its threads, plus the worker processes) and pages per wall second of each; on a shared machine
the CPU seconds are the fairer comparison.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import platform
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_build import write_inputs  # noqa: E402
from convgrade.exercises.problemset import load_spec, read_roster  # noqa: E402
from convgrade.exercises.problemset.assemble import assemble  # noqa: E402
from convgrade.exercises.problemset.documents import (  # noqa: E402
    KEY,
    html_page,
    key_bodies,
    paper_body,
    typst_doc,
    typst_papers,
)
from convgrade.exercises.problemset.pdf import compile_typst  # noqa: E402

#: Papers per WeasyPrint chunk in the former path.
CHUNK = 20


def pages(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def weasyprint_pdf(html: str) -> bytes:
    import logging
    import warnings

    warnings.simplefilter("ignore")
    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return weasyprint.HTML(string=html, base_url=".").write_pdf()


def weasyprint_path(bodies: list[str], title: str) -> bytes:
    """The former ``pdf.write_pdf``: chunks of 20 papers typeset in parallel, joined by pypdf."""
    from pypdf import PdfWriter

    htmls = [html_page(title, bodies[i : i + CHUNK]) for i in range(0, len(bodies), CHUNK)]
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(len(htmls), os.cpu_count() or 1), mp_context=ctx) as p:
        parts = list(p.map(weasyprint_pdf, htmls))
    writer = PdfWriter()
    for data in parts:
        writer.append(io.BytesIO(data))
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def cpu() -> float:
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn):
    """(result, (wall seconds, CPU seconds))."""
    t, c = time.perf_counter(), cpu()
    out = fn()
    return out, (time.perf_counter() - t, cpu() - c)


def plus(a, b):
    return (a[0] + b[0], a[1] + b[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=300)
    ap.add_argument("--questions", type=int, default=20)
    ap.add_argument("--weasyprint", type=int, default=0, metavar="N", help="papers (0: skip)")
    ap.add_argument("--handout-only", action="store_true", help="skip the keys (35 s more)")
    ap.add_argument(
        "--source", type=Path, metavar="FILE", help="write the handout's Typst source and stop"
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pdf-") as d:
        spec_path, roster_path = write_inputs(Path(d), args.students, args.questions)
        spec = load_spec(spec_path)
        ps = assemble(spec, b"benchmark-secret", students=read_roster(roster_path))
    print(
        f"{args.questions} questions x {args.students} students; Python "
        f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs"
    )
    rows = []
    bodies, t_render = timed(lambda: typst_papers(ps))  # as grade build renders them
    if args.source:  # for profiling the compiler alone (valgrind --tool=callgrind ...)
        args.source.write_text(typst_doc(spec.title, bodies), encoding="utf-8")
        return
    data, t_compile = timed(lambda: compile_typst(typst_doc(spec.title, bodies)))
    n = pages(data)
    rows.append(("Typst handout: render source", args.students, None, t_render))
    rows.append(("Typst handout: compile", args.students, n, t_compile))
    rows.append(
        ("Typst handout: render + compile (target)", args.students, n, plus(t_render, t_compile))
    )
    # key.pdf (the marking key: answers only) and the opt-in key-worked.pdf (with worked steps);
    # on main, where "typst-worked" does not exist, "typst" is the worked key
    worked = "typst-worked" if "typst-worked" in KEY else "typst"
    for label, fmt in (("marking key", "typst"), ("worked key", worked)):
        if args.handout_only or (label == "marking key" and fmt == worked):
            continue
        keys, t_krender = timed(lambda fmt=fmt: key_bodies(ps, None, fmt))
        kdata, t_kcompile = timed(lambda k=keys: compile_typst(typst_doc("Key", k), tagged=False))
        rows.append((f"Typst {label}: render source", args.students, None, t_krender))
        rows.append((f"Typst {label}: compile", args.students, pages(kdata), t_kcompile))
    if args.weasyprint:
        k = min(args.weasyprint, args.students)
        sub, t_sub = timed(
            lambda: [paper_body(ps, p, "typst", i) for i, p in enumerate(ps.papers[:k])]
        )
        sdata, t_scompile = timed(lambda: compile_typst(typst_doc(spec.title, sub)))
        rows.append(("Typst handout (render + compile)", k, pages(sdata), plus(t_sub, t_scompile)))
        html, t_html = timed(lambda: [paper_body(ps, p, "html") for p in ps.papers[:k]])
        wdata, t_weasy = timed(lambda: weasyprint_path(html, spec.title))
        rows.append(
            ("WeasyPrint handout (render + typeset)", k, pages(wdata), plus(t_html, t_weasy))
        )
    print("\n| step | papers | pages | wall s | CPU s | pages/s |\n|---|---:|---:|---:|---:|---:|")
    for name, papers, n_pages, (wall, cpu_s) in rows:
        rate = f"{n_pages / wall:.1f}" if n_pages else ""
        print(f"| {name} | {papers} | {n_pages or ''} | {wall:.2f} | {cpu_s:.2f} | {rate} |")


if __name__ == "__main__":
    main()
