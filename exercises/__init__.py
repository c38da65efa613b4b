"""convgrade exercises: generators, reference math, answer checking, problem sets, exporters.

Pure numpy: importing this package never imports TensorFlow.

>>> from convgrade import exercises
>>> ex = exercises.generate("conv2d", seed=1)
>>> exercises.Exercise.from_dict(ex.to_dict()) == ex
True
"""

from .errors import ConvgradeError, ParamError
from .model import Exercise, Misconception, Part
from .registry import generate, get_kind, kinds

__all__ = [
    "ConvgradeError",
    "Exercise",
    "Misconception",
    "ParamError",
    "Part",
    "generate",
    "get_kind",
    "kinds",
]
