"""Geometry shared by the 2-D kinds: padding, output-size steps, fit checks, out-first sampling."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from . import params as P
from .errors import ParamError
from .reference.conv import output_length, pad_amounts
from .reference.grid import Pads

AXES = ("rows", "columns")


@lru_cache(maxsize=1024)  # user parameters can make many shapes
def conv_pads(
    shape: tuple[int, ...], size: tuple[int, int], strides: tuple[int, int], padding: str | int
) -> Pads:
    """(top, bottom, left, right) zeros Keras (or explicit padding p) adds around the input
    (cached: hand exercises have few geometries)."""
    t, b = pad_amounts(shape[0], size[0], strides[0], padding)
    l, r = pad_amounts(shape[1], size[1], strides[1], padding)
    return (t, b, l, r)


def check_fits(
    name: str,
    shape: tuple[int, ...],
    size: tuple[int, int],
    strides: tuple[int, int],
    padding: str | int,
    what: str = "kernel",
    of: str = "input",
) -> None:
    """ParamError naming ``name`` when a ``size`` window is larger than the padded ``of``."""
    pads = conv_pads(shape, size, strides, padding)
    ph, pw = shape[0] + pads[0] + pads[1], shape[1] + pads[2] + pads[3]
    if size[0] > ph or size[1] > pw:
        raise ParamError(
            name,
            f"a {what} of at most {ph} x {pw} (the padded {of}), not {size[0]} x {size[1]}",
        )


def pair_value(pair: tuple[int, int]) -> int | list[int]:
    """Store a Keras size pair as an int when both axes agree, else as [h, w]."""
    return pair[0] if pair[0] == pair[1] else [pair[0], pair[1]]


def strides_or_none(name: str, value: Any) -> tuple[int, int] | None:
    """Pooling strides: None (= pool_size, as Keras defaults) or an int / pair >= 1."""
    return None if value is None else P.size_pair(name, value, lo=1)


def size_steps(
    shape: tuple[int, ...],
    size: tuple[int, int],
    strides: tuple[int, int],
    padding: str | int,
    out: tuple[int, int],
    pads: Pads,
    *,
    output: str = "output",
) -> list[dict[str, Any]]:
    """Formula steps for the output size along rows and columns (one step if they agree)."""
    texts = _size_texts((shape[0], shape[1]), size, strides, padding, out, pads, output)
    return [{"step": "formula", "text": text} for text in texts]


@lru_cache(maxsize=1024)  # user parameters can make many shapes
def _size_texts(
    shape: tuple[int, int],
    size: tuple[int, int],
    strides: tuple[int, int],
    padding: str | int,
    out: tuple[int, int],
    pads: Pads,
    output: str,
) -> tuple[str, ...]:
    """The texts of :func:`size_steps` (cached: hand exercises have few geometries)."""
    texts = []
    for axis in (0, 1):
        n, k, s = shape[axis], size[axis], strides[axis]
        before, after = pads[2 * axis], pads[2 * axis + 1]
        if padding == "same":
            where = ("top", "bottom") if axis == 0 else ("left", "right")
            texts.append(
                f"padding='same': out = ceil(n / s) = ceil({n} / {s}) = {out[axis]}; total padding "
                f"max((out - 1)·s + k - n, 0) = {before + after}: {before} {where[0]}, "
                f"{after} {where[1]}"
            )
        else:
            p = 0 if padding == "valid" else padding
            texts.append(
                f"out = floor((n + 2p - k) / s) + 1 = floor(({n} + {2 * p} - {k}) / {s}) + 1 "
                f"= {out[axis]}"
            )
    if texts[0] == texts[1]:
        return (f"{output} rows and columns: {texts[0]}",)
    return tuple(f"{output} {axis}: {text}" for axis, text in zip(AXES, texts))


def input_length(
    rng: np.random.Generator, out: int, k: int, s: int, padding: str | int, least: int = 3
) -> int:
    """A random input length n that gives ``out`` outputs (n >= least, which may give more)."""
    extra = int(rng.integers(s)) if s > 1 else 0
    if padding == "same":
        n = (out - 1) * s + 1 + extra
    else:
        p = 0 if padding == "valid" else padding
        n = (out - 1) * s + k - 2 * p + extra
    return max(n, least)


def explicit_ok(p: int, size: tuple[int, int], strides: tuple[int, int], out_hi: int) -> bool:
    """Explicit padding p is sensible: p < k, and even a 3-wide input gives <= out_hi outputs."""
    return all(p < k and output_length(3, k, s, p) <= out_hi for k, s in zip(size, strides))


@lru_cache(maxsize=1024)  # user parameters can make many shapes
def fitting_paddings(
    paddings: tuple, size: tuple[int, int], strides: tuple[int, int], out_hi: int
) -> tuple:
    """The ``paddings`` a random instance may use: names, and each explicit p that
    :func:`explicit_ok` accepts (cached: a level has few kernel sizes and strides)."""
    return tuple(p for p in paddings if isinstance(p, str) or explicit_ok(p, size, strides, out_hi))


def draw_out(
    rng: np.random.Generator,
    out: tuple[int, int],
    k: int,
    s: int,
    padding: str | int,
    max_n: int = 8,
) -> int:
    """An output length from the range ``out``, capped so that the input length
    :func:`input_length` draws for it stays within ``max_n`` (unless ``out[0]`` needs more)."""
    hi = min(out[1], max(out[0], output_length(max_n - (s - 1), k, s, padding)))
    return (
        out[0] if hi == out[0] else int(rng.integers(out[0], hi + 1))
    )  # no draw: see sampling.pick


def constant_grid(m: list[list[Any]]) -> bool:
    """Whether every cell of a matrix (or every pixel of an H x W x C input) is the same."""
    first = m[0][0]
    return all(v == first for row in m for v in row)
