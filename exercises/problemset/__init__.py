"""Problem sets: a TOML spec, per-student or per-version variants, handouts, keys, LMS quizzes.

>>> from convgrade.exercises.problemset import derive_seed
>>> 0 <= derive_seed(b"secret", "cnn-w3", "s001", "q1") < 2**63
True
"""

from .assemble import Paper, ProblemSet, assemble, key_dict
from .output import FORMATS, BuildResult, build
from .roster import Student, read_roster
from .seeds import derive_seed, load_secret
from .spec import Section, Spec, SpecError, load_spec, parse_spec

__all__ = [
    "FORMATS",
    "BuildResult",
    "Paper",
    "ProblemSet",
    "Section",
    "Spec",
    "SpecError",
    "Student",
    "assemble",
    "build",
    "derive_seed",
    "key_dict",
    "load_secret",
    "load_spec",
    "parse_spec",
    "read_roster",
]
