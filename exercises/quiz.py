"""The quiz model that problem sets produce and LMS writers read.

A :class:`Quiz` is a list of :class:`Question` s; each question has one or more variants
(exercises of the same kind and difficulty), of which the LMS draws one per student.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import Exercise

#: How a question is asked: every part as a blank, or one part as multiple choice.
STYLES = ("blanks", "multiple_choice")


@dataclass
class Question:
    id: str  # "q1", unique in the quiz
    title: str
    points: float
    variants: list[Exercise]
    style: str = "blanks"
    section: str = ""
    #: Points per part id (the spec's ``part_points``); None: ``points`` split evenly.
    part_points: dict[str, float] | None = None


@dataclass
class Quiz:
    title: str
    set_id: str
    questions: list[Question] = field(default_factory=list)
