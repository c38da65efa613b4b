"""The kind registry and :func:`generate`, the one entry point that makes exercises.

A kind is a small module in :mod:`exercises.generators` that defines a :class:`Kind`:

- ``sample(rng, difficulty, given)`` draws random parameters (``given`` are the ones the caller
  fixed; respect them where they constrain the rest);
- ``validate(params)`` checks and normalizes a full parameter dict, raising
  :class:`~exercises.errors.ParamError` naming the bad parameter;
- ``solve(params)`` returns a :class:`Solved` (parts, worked steps, misconceptions);
- ``degenerate(params, solved)`` optionally names why a random instance is unfit to hand out.

A kind whose ``sample`` already returns parameters exactly as ``validate`` would return them sets
``sample_is_valid``; its draws then skip ``validate`` unless some parameters were given
(tests/test_sample_valid.py checks the promise).

Random mode draws, merges the given parameters over the draw, and redraws until the instance is
non-degenerate and every misconception's answer differs from the key.  Fixed mode (every
parameter without a Keras default given; the defaults fill the rest) uses the parameters as
they are and drops misconceptions that coincide with the key, since they cannot be told apart.
"""

from __future__ import annotations

import importlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import ParamError, did_you_mean
from .model import Exercise, Misconception, Part

#: The kinds: module names under :mod:`convgrade.exercises.generators` (each defines ``KIND``),
#: in the order `grade kinds` lists them. The one place a new kind is registered.
KIND_MODULES = (
    "conv1d",
    "conv2d",
    "conv2d_multichannel",
    "conv2d_pool",
    "pooling",
    "output_size",
    "conv_params",
    "model_summary",
    "text_vectorization",
    "embedding_params",
)

MAX_DRAWS = 1000


@dataclass
class Solved:
    """What a kind's ``solve`` returns."""

    parts: list[Part]
    steps: list[dict[str, Any]] = field(default_factory=list)
    misconceptions: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Kind:
    name: str
    version: int
    summary: str
    params: tuple[str, ...]
    sample: Callable[[np.random.Generator, int, dict[str, Any]], dict[str, Any]]
    validate: Callable[[dict[str, Any]], dict[str, Any]]
    solve: Callable[[dict[str, Any]], Solved]
    degenerate: Callable[[dict[str, Any], Solved], str | None] | None = None
    #: Parameters with a Keras default (e.g. strides=1, padding="valid"): fixed mode fills them.
    defaults: dict[str, Any] = field(default_factory=dict)
    #: Follow-through marking of chained parts: part id -> f(params, student_answers) giving the
    #: value that part should have if computed from the student's own earlier answers (parsed,
    #: by part id), or None when they do not allow it. Answer checking credits a match.
    follow_through: dict[str, Callable[[dict[str, Any], dict[str, Any]], Any]] = field(
        default_factory=dict
    )
    #: ``sample`` without given parameters returns what ``validate`` would make of its draw.
    sample_is_valid: bool = False


_KINDS: dict[str, Kind] = {}


def _load() -> dict[str, Kind]:
    if not _KINDS:
        for mod in KIND_MODULES:
            kind = importlib.import_module(f"convgrade.exercises.generators.{mod}").KIND
            _KINDS[kind.name] = kind
    return _KINDS


def kinds() -> dict[str, Kind]:
    """All registered kinds by name, in listing order."""
    return dict(_load())


def get_kind(name: str) -> Kind:
    """The kind called ``name``; a :class:`ParamError` listing the known kinds otherwise."""
    known = _load()
    if name not in known:
        raise ParamError("kind", "one of " + ", ".join(known), name, did_you_mean(name, known))
    return known[name]


def generate(
    kind: str,
    seed: int | None = None,
    difficulty: int = 2,
    params: dict[str, Any] | None = None,
) -> Exercise:
    """Make one exercise of ``kind``.

    >>> ex = generate("conv1d", params={"input": [0, 1, 2, 3, 4, 5, 6], "kernel": [1, 2]})
    >>> ex.answer["output"]
    [2, 5, 8, 11, 14, 17]

    ``seed`` makes a random instance reproducible on every machine (``None`` draws one and records
    it); ``difficulty`` is 1-3; ``params`` fixes some or all parameters by their Keras names.
    """
    k = get_kind(kind)
    if isinstance(difficulty, bool) or not isinstance(difficulty, int | np.integer):
        raise ParamError("difficulty", "an integer 1, 2 or 3", difficulty)
    if not 1 <= difficulty <= 3:
        raise ParamError("difficulty", "1, 2 or 3", difficulty)
    difficulty = int(difficulty)
    given = dict(params or {})
    unknown = sorted(set(given) - set(k.params))
    if unknown:
        raise ParamError(
            unknown[0],
            f"one of the parameters of {k.name}: " + ", ".join(k.params),
            hint=did_you_mean(unknown[0], k.params),
        )
    if all(name in given or name in k.defaults for name in k.params):
        full = {**k.defaults, **given}
        return _finish(k, seed, difficulty, k.validate(full), strict=False)
    if seed is None:
        seed = secrets.randbelow(2**32)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ParamError("seed", "a non-negative integer", seed)
    rng = np.random.Generator(np.random.PCG64(int(seed)))  # default_rng(seed), minus its dispatch
    last_error: ParamError | None = None
    rejected = ""  # why the last valid draw was unfit
    for _ in range(MAX_DRAWS):
        p = k.sample(rng, difficulty, given)
        if given or not k.sample_is_valid:
            p.update(given)
            try:
                p = k.validate(p)
            except ParamError as exc:  # the given params rule out this draw; draw again
                last_error = exc
                continue
        ex = _finish(k, int(seed), difficulty, p, strict=True)
        if isinstance(ex, Exercise):
            return ex
        rejected = ex
    if last_error is not None:
        raise last_error
    raise ParamError(
        "params",
        f"parameters for which {k.name} has a non-degenerate instance",
        hint=f" ({MAX_DRAWS} draws with the given parameters were unfit, the last: {rejected})",
    )


def _finish(k: Kind, seed, difficulty, p, *, strict: bool) -> Exercise | str:
    """The exercise, or (``strict``) why the instance is unfit to hand out."""
    solved = k.solve(p)
    reason = strict and k.degenerate is not None and k.degenerate(p, solved)
    if reason:
        return reason
    key = {part.id: part.answer for part in solved.parts}
    misconceptions = []
    for mid, answers in solved.misconceptions.items():
        differing = {pid: v for pid, v in answers.items() if v != key[pid]}
        if not differing:
            if strict:
                return f"the {mid} mistake gives the key's answer"
            continue
        misconceptions.append(Misconception(mid, differing))
    return Exercise(
        kind=k.name,
        version=k.version,
        seed=seed,
        difficulty=difficulty,
        params=p,
        parts=solved.parts,
        solution=solved.steps,
        misconceptions=misconceptions,
    )
