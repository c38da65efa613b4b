"""The class report: score distribution, per-question means and the most common misconceptions
per exercise kind, as one self-contained HTML page (charts are inline SVG from matplotlib).

Importing matplotlib costs about half a second; ``check-all`` has it done, and the charts drawn,
by a process forked at its start (:func:`charts_ahead`), while it reads the key and marks."""

from __future__ import annotations

import io
import re
import statistics
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from . import forked
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


def chart_data(summary: dict[str, Any]) -> dict[str, Any]:
    """What the charts are drawn from: the part of :func:`summarize` that :func:`charts` reads."""
    return {"histogram": summary["histogram"], "misconceptions": summary["misconceptions"]}


def _warm_up() -> None:
    """Import what :func:`charts` draws with (about half a CPU second; a first chart drawn
    ahead as well saved the real ones only a tenth of what it cost)."""
    import matplotlib.backends.backend_svg
    import matplotlib.figure
    import matplotlib.transforms  # noqa: F401


def charts_ahead() -> forked.Ahead:
    """A forked process that imports matplotlib now and draws the charts of the
    :func:`chart_data` it is sent (drawn here where no process is forked)."""
    return forked.Ahead(_warm_up, charts)


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})  # the same report for the same class
    text = buf.getvalue()
    return text[text.index("<svg") :]  # drop the XML prologue and DOCTYPE for inline use


#: SVG text as text (not paths), reproducible ids.
_RC = {"svg.fonttype": "none", "svg.hashsalt": "convgrade"}


def charts(summary: dict[str, Any]) -> tuple[str, str]:
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
        bars = _svg(_misconception_bars(summary["misconceptions"], kinds))
    return hist, bars


def _misconception_bars(found: dict[str, list[dict[str, Any]]], kinds: list[str]):
    """One horizontal bar chart of every kind's most common misconceptions, top to bottom,
    each kind's bars under its name (one axes: a subplot per kind cost ten times the layout)."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure
    from matplotlib.transforms import blended_transform_factory

    ys, titles, counts, heads = [], [], [], []
    y = 0
    for kind in kinds:
        heads.append((y, kind))
        for row in found[kind]:
            y += 1
            ys.append(y)
            titles.append(row["title"])
            counts.append(row["count"])
        y += 1.4  # the next kind's name sits in the gap
    fig = Figure(figsize=(6.5, 0.4 + 0.3 * (y + 1)))
    FigureCanvasSVG(fig)
    ax = fig.subplots()
    ax.barh(ys, counts, height=0.6, color="#b36b00")
    ax.set_yticks(ys, titles, fontsize=8)
    ax.set_ylim(y - 0.9, -0.9)  # first kind on top
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("answers diagnosed")
    to_axes = blended_transform_factory(ax.transAxes, ax.transData)
    for at, kind in heads:
        ax.text(0.005, at + 0.1, kind, transform=to_axes, fontsize=10, fontweight="bold")
    fig.tight_layout(pad=0.3)
    return fig


def render_report(
    c: ClassResult, drawn: forked.Ahead | None = None, summary: dict[str, Any] | None = None
) -> str:
    """The class report as a self-contained HTML page; its charts from ``drawn`` (sent this
    class's :func:`chart_data`) where given; ``summary``: :func:`summarize` of ``c`` where the
    caller has it already."""
    summary = summary or summarize(c)
    hist, bars = drawn.result() if drawn is not None else charts(summary)
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
