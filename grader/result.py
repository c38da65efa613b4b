"""The outcome of grading one submission, and the files written from it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

#: status -> a heading a student understands (the message says the details).
STATUSES: dict[str, str] = {
    "ok": "graded",
    "syntax-error": "your code has a syntax error",
    "import-error": "running your file failed",
    "no-build-model": "no build_model(task) function",
    "build-error": "build_model(task) raised an error",
    "bad-model": "build_model(task) did not return a Keras model",
    "bad-shape": "the model's input or output shape does not fit the task",
    "over-budget": "the model has more parameters than allowed",
    "bad-setting": "EPOCHS or BATCH_SIZE is out of range",
    "compile-error": "compile_model(model) failed",
    "nan-loss": "the training loss became NaN",
    "training-error": "training failed",
    "prediction-error": "predicting the test set failed",
    "timeout": "the time limit was reached",
    "memory-limit": "the memory limit was reached",
    "resource-limit": "a process, file-size or output limit was reached",
    "inconsistent": "the run's report contradicts itself or the budget",
    "implausible": "the test accuracy is implausibly above the validation accuracy",
    "error": "the grader could not finish",
}
#: statuses the worker may report about a submission (anything else from it becomes "error").
WORKER_STATUSES = frozenset(STATUSES) - {
    "ok", "timeout", "resource-limit", "inconsistent", "implausible",
}  # fmt: skip


@dataclass
class Result:
    """What grading one submission gave; ``to_dict()`` is result.json."""

    status: str
    message: str
    assignment: str
    submission: str
    max_score: float
    score: float = 0.0
    accuracy: float | None = None
    params: int | None = None
    epochs: int | None = None
    epochs_run: int | None = None
    batch_size: int | None = None
    backend: str = ""
    #: what it trained on, as the grader asked (not as the submission claims)
    keras_backend: str = ""
    device: str = ""
    seed: int | None = None
    train_seconds: float | None = None
    wall_seconds: float | None = None
    thresholds: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    class_names: list[str] = field(default_factory=list)
    confusion: list[list[int]] = field(default_factory=list)
    per_class_accuracy: list[float | None] = field(default_factory=list)
    history: dict[str, list[float | None]] = field(default_factory=dict)
    summary: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    log: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def heading(self) -> str:
        return STATUSES.get(self.status, self.status)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def gradescope(self) -> dict[str, Any]:
        """Gradescope autograder ``results.json``: score, tests, output."""
        if self.ok:
            acc = f"test accuracy {self.accuracy:.2%}"
            reached = [t for t in self.thresholds if t["reached"]]
            output = f"{acc}; " + (
                f"reached accuracy {reached[-1]['accuracy']:.1%} ({reached[-1]['points']:g} points)"
                if reached else "no threshold reached"
            )  # fmt: skip
        else:
            output = f"{self.heading}: {self.message}"
        tests = [
            {
                "name": "Test accuracy",
                "score": self.score,
                "max_score": self.max_score,
                "output": output,
                "visibility": "visible",
            }
        ]
        if self.notes:
            tests.append(
                {"name": "Notes", "output": "\n".join(self.notes), "visibility": "visible"}
            )
        return {
            "score": self.score,
            "execution_time": round(self.wall_seconds or 0.0, 1),
            "output": "\n".join([output, *self.notes]),
            "tests": tests,
            "visibility": "visible",
            "stdout_visibility": "hidden",
        }
