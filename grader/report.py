"""Result files of one graded submission: result.json, Gradescope results.json, report.html.

The HTML report is one self-contained page (plots embedded as base64 PNG, drawn with
matplotlib's Agg backend), rendered from ``templates/reports/submission.html.j2``.
"""

from __future__ import annotations

import base64
import io
import json
import os
import tempfile
from pathlib import Path

import jinja2
from convgrade.exercises.errors import ConvgradeError
from convgrade.grader.assignment import Assignment
from convgrade.grader.result import Result
from convgrade.templates import TEMPLATE_DIR


def write_outputs(res: Result, a: Assignment, out_dir: Path) -> None:
    """Write the three files; each appears whole or not at all."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConvgradeError(
            f"{out_dir}: cannot create the output folder ({exc.strerror})"
        ) from None
    files = {
        "result.json": res.to_json() + "\n",
        "results.json": json.dumps(res.gradescope(), indent=2) + "\n",
        "report.html": render_report(res, a),
    }
    for name, text in files.items():
        fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out_dir / name)


def render_report(res: Result, a: Assignment) -> str:
    """The HTML report of one result."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    curves = learning_curves_png(res.history) if any(res.history.values()) else None
    rows = [
        {"name": name, "accuracy": acc, "total": sum(row), "correct": row[i]}
        for i, (name, acc, row) in enumerate(
            zip(res.class_names, res.per_class_accuracy, res.confusion)
        )
    ]
    peak = max((max(r) for r in res.confusion), default=0) or 1
    keys = list(res.history)
    n_epochs = max((len(v) for v in res.history.values()), default=0)
    epochs = [
        [res.history[k][i] if i < len(res.history[k]) else None for k in keys]
        for i in range(n_epochs)
    ]
    return env.get_template("reports/submission.html.j2").render(
        r=res, a=a, curves=curves, per_class=rows, peak=peak, keys=keys, epochs=epochs
    )


def learning_curves_png(history: dict[str, list]) -> str:
    """Loss and accuracy per epoch (training and validation) as a base64 PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.4), dpi=100)
    for i, metric in enumerate(("loss", "accuracy")):
        ax = fig.add_subplot(1, 2, i + 1)
        for key, label, style in (
            (metric, "training", "-o"),
            (f"val_{metric}", "validation", "--s"),
        ):
            values = history.get(key) or []
            if values:
                epochs = range(1, len(values) + 1)
                ax.plot(epochs, [float("nan") if v is None else v for v in values], style,
                        label=label, markersize=3)  # fmt: skip
        ax.set_xlabel("epoch")
        ax.set_title(metric)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return base64.b64encode(buf.getvalue()).decode("ascii")
