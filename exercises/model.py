"""The exercise model: plain data, JSON round-trippable. Exporters read it; nothing writes back.

An :class:`Exercise` holds the generator's identity (kind, version, seed, difficulty), the
parameters that define the instance, the answer parts with their typed correct values, the worked
solution steps, and the misconceptions with the wrong answers they produce.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Answer types and the JSON shape of their values.
ANSWER_TYPES = {
    "integer": "an integer",
    "number": "a number (graded with a tolerance)",
    "shape": "a list of positive integers, e.g. [3, 3]",
    "shapes": "a list of shapes, one per layer, without the batch axis",
    "vector": "a list of numbers",
    "matrix": "a list of rows of numbers",
    "tensor": "a nested list of numbers, height x width x channels",
    "tokens": "a list of strings",
    "choice": "one of the listed choices",
    "integers": "a list of integers, one per item",
}


@dataclass
class Part:
    """One answer blank: an id (``output``), a label for humans, a type and the correct value."""

    id: str
    label: str
    type: str
    answer: Any
    tolerance: float = 0.0
    choices: list[Any] | None = None

    def __post_init__(self) -> None:
        if self.type not in ANSWER_TYPES:
            raise ValueError(f"unknown answer type {self.type!r}")

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "label": self.label,
            "type": self.type,
            "answer": self.answer,
        }
        if self.tolerance:
            d["tolerance"] = self.tolerance
        if self.choices is not None:
            d["choices"] = self.choices
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Part:
        return cls(
            id=d["id"],
            label=d["label"],
            type=d["type"],
            answer=d["answer"],
            tolerance=d.get("tolerance", 0.0),
            choices=d.get("choices"),
        )


@dataclass
class Misconception:
    """A named wrong procedure and the answers it produces (only parts where it differs)."""

    id: str
    answers: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "answers": self.answers}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Misconception:
        return cls(id=d["id"], answers=dict(d["answers"]))


@dataclass
class Exercise:
    """One generated exercise instance.

    ``solution`` is a list of step dicts, each with a ``"step"`` key naming its shape
    (``text``, ``formula``, ``window``, ``matrix`` ...); templates render them.
    """

    kind: str
    version: int
    seed: int | None
    difficulty: int
    params: dict[str, Any]
    parts: list[Part]
    solution: list[dict[str, Any]] = field(default_factory=list)
    misconceptions: list[Misconception] = field(default_factory=list)

    @property
    def answer(self) -> dict[str, Any]:
        """Part id -> correct value."""
        return {p.id: p.answer for p in self.parts}

    def part(self, part_id: str) -> Part:
        for p in self.parts:
            if p.id == part_id:
                return p
        raise KeyError(part_id)

    def misconception(self, misconception_id: str) -> Misconception:
        for m in self.misconceptions:
            if m.id == misconception_id:
                return m
        raise KeyError(misconception_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "version": self.version,
            "seed": self.seed,
            "difficulty": self.difficulty,
            "params": self.params,
            "answer": self.answer,
            "parts": [p.to_dict() for p in self.parts],
            "solution": self.solution,
            "misconceptions": [m.to_dict() for m in self.misconceptions],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Exercise:
        return cls(
            kind=d["kind"],
            version=d["version"],
            seed=d["seed"],
            difficulty=d["difficulty"],
            params=d["params"],
            parts=[Part.from_dict(p) for p in d["parts"]],
            solution=list(d.get("solution", [])),
            misconceptions=[Misconception.from_dict(m) for m in d.get("misconceptions", [])],
        )
