"""The class report: score distribution, per-question means and the most common misconceptions
per exercise kind, as one self-contained HTML page (charts are inline SVG from matplotlib)."""

from __future__ import annotations

import io
import re
import statistics
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from .misconceptions import info
from .render import environment

if TYPE_CHECKING:
    from .class_check import ClassResult

TOP = 5  # misconceptions shown per kind


def summarize(c: ClassResult) -> dict[str, Any]:
    """The numbers behind the report (plain data; the tests read it)."""
    scores = [100 * r.score for r in c.results]
    questions = []
    for q in c.key.questions:
        marks = [qr for r in c.results for qr in r.questions if qr.id == q.id]
        questions.append(
            {
                "id": q.id,
                "kind": q.kind,
                "title": q.title,
                "mean_percent": 100 * statistics.fmean(m.score for m in marks) if marks else 0.0,
                "full_marks": sum(m.score >= 1 for m in marks),
                "answered": len(marks),
            }
        )
    per_kind: dict[str, Counter] = defaultdict(Counter)
    for r in c.results:
        for qr in r.questions:
            for d in qr.diagnoses:
                per_kind[qr.kind][d.id] += 1
    misconceptions = {
        kind: [
            {"id": mid, "title": info(mid).title, "rule": info(mid).rule, "count": n}
            for mid, n in counts.most_common(TOP)
        ]
        for kind, counts in sorted(per_kind.items())
    }
    bins = [0] * 10
    for s in scores:
        bins[min(int(s // 10), 9)] += 1
    return {
        "students": len(c.results),
        "absent": list(c.absent),
        "not_marked": [
            {"student": p.student, "status": p.status, "reason": p.reason} for p in c.problems
        ],
        "mean_percent": statistics.fmean(scores) if scores else 0.0,
        "median_percent": statistics.median(scores) if scores else 0.0,
        "histogram": bins,
        "questions": questions,
        "misconceptions": misconceptions,
    }


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})  # the same report for the same class
    text = buf.getvalue()
    return text[text.index("<svg") :]  # drop the XML prologue and DOCTYPE for inline use


#: SVG text as text (not paths), reproducible ids.
_RC = {"svg.fonttype": "none", "svg.hashsalt": "convgrade"}


def _charts(summary: dict[str, Any]) -> tuple[str, str]:
    """The score histogram and the misconception bars as SVG. Built on
    :class:`matplotlib.figure.Figure` directly (no pyplot and its backend machinery), laid out
    once by ``tight_layout`` and drawn once (no second, ``bbox_inches="tight"`` draw)."""
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(6.5, 2.8))
        FigureCanvasSVG(fig)
        ax = fig.subplots()
        labels = [f"{10 * i}–{10 * i + 10 if i < 9 else 100}" for i in range(10)]
        ax.bar(labels, summary["histogram"], color="#3b6ea5")
        ax.set_xlabel("score (%)")
        ax.set_ylabel("students")
        ax.tick_params(axis="x", labelsize=8)
        ax.yaxis.get_major_locator().set_params(integer=True)
        fig.tight_layout(pad=0.3)
        hist = _svg(fig)

        kinds = [k for k, v in summary["misconceptions"].items() if v]
        if not kinds:
            return hist, ""
        sizes = [len(summary["misconceptions"][k]) + 1 for k in kinds]
        fig = Figure(figsize=(6.5, 0.4 + 0.4 * sum(sizes)))
        FigureCanvasSVG(fig)
        axes = fig.subplots(len(kinds), 1, squeeze=False, gridspec_kw={"height_ratios": sizes})
        for ax, kind in zip(axes[:, 0], kinds):
            rows = summary["misconceptions"][kind][::-1]
            ax.barh(
                [r["title"] for r in rows], [r["count"] for r in rows], height=0.6, color="#b36b00"
            )
            ax.set_title(kind, loc="left", fontsize=10)
            ax.tick_params(axis="y", labelsize=8)
            ax.xaxis.get_major_locator().set_params(integer=True)
        axes[-1, 0].set_xlabel("answers diagnosed")
        fig.tight_layout(pad=0.3)
        bars = _svg(fig)
    return hist, bars


def render_report(c: ClassResult) -> str:
    """The class report as a self-contained HTML page."""
    summary = summarize(c)
    hist, bars = _charts(summary)
    env = environment("html")
    from markupsafe import Markup

    clean = re.compile(r"<!--.*?-->", re.S)
    return env.get_template("feedback/class_report.html.j2").render(
        key=c.key,
        s=summary,
        results=sorted(c.results, key=lambda r: r.student),
        histogram_svg=Markup(clean.sub("", hist)),
        misconceptions_svg=Markup(clean.sub("", bars)),
    )
