"""pooling: max or average pooling of a matrix (Keras MaxPooling2D / AveragePooling2D).

``input_shape`` fixes the input's size while its values stay random.

Also home of the pooling solution pieces the conv-then-pool kind reuses:
:func:`pool_solution` (answer, worked steps, misconception outputs) and :func:`pool_answer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import params as P
from .. import sizes
from ..geometry import (
    check_fits,
    constant_grid,
    draw_out,
    input_length,
    pair_value,
    size_steps,
    strides_or_none,
)
from ..model import Part
from ..reference.pool import MODES, Windows, pool2d_modes, pool_cells, pool_windows
from ..registry import Kind, Solved
from ..sampling import pick
from .conv2d import as_pair, cell_labels

#: Tolerance of an answer with non-integer averages (students round to two decimals).
TOLERANCE = 0.01


@dataclass(frozen=True)
class Level:
    out: tuple[int, int]
    square: bool
    pools: tuple[Any, ...]
    strides: tuple[Any, ...]  # None = pool_size (the Keras default)
    paddings: tuple[str, ...]
    values: tuple[int, int]


LEVELS = {
    1: Level((2, 2), True, (2,), (None,), ("valid",), (0, 9)),
    2: Level((2, 3), True, (2,), (None, None, 1), ("valid", "same"), (-3, 9)),
    3: Level((2, 3), False, (2, 3, (2, 3), (3, 2)), (None, 1, 2), ("valid", "same"), (-5, 9)),
}


def padding_name(name: str, value: Any) -> str:
    """Pooling padding: 'valid' or 'same' (no explicit integer, as in Keras)."""
    return P.choice(name, value.lower() if isinstance(value, str) else value, P.PADDINGS)


NAMES = {"mode": "mode", "pool_size": "pool_size", "strides": "strides", "padding": "padding"}


def sample(rng: np.random.Generator, difficulty: int, given: dict[str, Any]) -> dict[str, Any]:
    level = LEVELS[difficulty]
    mode = given.get("mode") or pick(rng, MODES)
    if "pool_size" in given:
        pool = P.size_pair("pool_size", given["pool_size"], lo=1)
    else:
        pool = as_pair(pick(rng, level.pools))
    if "strides" in given:
        s = strides_or_none("strides", given["strides"])
    else:
        s = pick(rng, level.strides)
        s = None if s is None else as_pair(s)
    strides = s or pool
    padding = padding_name("padding", given["padding"]) if "padding" in given else None
    padding = padding or pick(rng, level.paddings)
    ishape = sizes.pair("input_shape", given.get("input_shape"))
    if "input" in given:
        shape = (1, 1)  # replaced by the given input
    elif ishape is not None:  # lecture-sized inputs with random values
        shape = ishape
        if "padding" in given and "pool_size" in given:  # never fits: fail now, not per redraw
            check_fits("pool_size", shape, pool, strides, padding, what="pool")
    else:
        oh = draw_out(rng, level.out, pool[0], strides[0], padding)
        h = input_length(rng, oh, pool[0], strides[0], padding)
        if level.square and pool[0] == pool[1] and strides[0] == strides[1]:
            shape = (h, h)
        else:
            ow = draw_out(rng, level.out, pool[1], strides[1], padding)
            shape = (h, input_length(rng, ow, pool[1], strides[1], padding))
    lo, hi = level.values
    return {
        "input": rng.integers(lo, hi + 1, size=shape).tolist(),
        "mode": mode,
        "pool_size": pair_value(pool),
        "strides": None if s is None else pair_value(s),
        "padding": padding,
    }


def validate_pool(
    p: dict[str, Any], shape: tuple[int, ...], names: dict[str, str], of: str = "input"
) -> dict:
    """Checked pooling parameters (under this kind's ``names``) for an ``of`` of ``shape``."""
    mode = P.choice(names["mode"], p[names["mode"]], MODES)
    pool = P.size_pair(names["pool_size"], p[names["pool_size"]], lo=1)
    strides = strides_or_none(names["strides"], p[names["strides"]])
    padding = padding_name(names["padding"], p[names["padding"]])
    check_fits(names["pool_size"], shape, pool, strides or pool, padding, what="pool", of=of)
    return {
        names["mode"]: mode,
        names["pool_size"]: pair_value(pool),
        names["strides"]: None if strides is None else pair_value(strides),
        names["padding"]: padding,
    }


def validate(p: dict[str, Any]) -> dict[str, Any]:
    x = P.array("input", p["input"], 2)
    sizes.check("input_shape", sizes.pair("input_shape", p.get("input_shape")), x.shape, "input")
    return {"input": P.tolist(x), **validate_pool(p, x.shape, NAMES)}


def pool_answer(y: np.ndarray, mode: str) -> list:
    """Plain JSON values: averages as floats, maxima as the input's numbers."""
    if mode != "max":
        return y.round(10).tolist()  # a mean is always a float array
    return P.tolist(y)


def pooled(
    x: np.ndarray,
    pool: tuple[int, int],
    strides: tuple[int, int],
    padding: str,
    modes: tuple[str, ...],
    flat: list | None = None,
) -> list[list] | None:
    """``x`` pooled in each of ``modes``, as the JSON answers :func:`pool_answer` makes; ``None``
    when the pool does not fit.

    Integer matrices (every random instance) are pooled in plain Python (:func:`pool_cells`,
    exact and faster on a few cells); others with numpy (:func:`pool2d_modes`).  ``flat`` is
    ``x.ravel().tolist()`` where the caller has it already (used for integer ``x`` only).
    """
    if x.dtype.kind not in "iu":
        ys = pool2d_modes(x, pool, strides, padding, modes)
        return None if ys is None else [pool_answer(y, m) for y, m in zip(ys, modes)]
    windows = pool_windows(x.shape, pool, strides, padding)
    if windows is None:
        return None
    if flat is None:
        flat = x.ravel().tolist()
    return pooled_cells(windows, windows.cells(flat), modes)


def pooled_cells(windows: Windows, cells: list[tuple], modes: tuple[str, ...]) -> list[list]:
    """:func:`pooled` of an integer matrix, from the real cells of its ``windows``."""
    ow = windows.out[1]
    out = []
    for m in modes:
        flat = pool_cells(cells, m, windows.area)
        if m != "max":  # pool_answer's round(10) as numpy does it: scale, rint, unscale
            flat = [round(v * 1e10) / 1e10 for v in flat]
        out.append([flat[i : i + ow] for i in range(0, len(flat), ow)])
    return out


def shape(matrix: list[list]) -> list[int]:
    """[rows, columns] of a matrix given as nested lists."""
    return [len(matrix), len(matrix[0])]


def is_integral(values: list) -> bool:
    return all(float(v).is_integer() for row in values for v in row)


def pool_solution(
    x: np.ndarray,
    pool: tuple[int, int],
    strides: tuple[int, int],
    padding: str,
    mode: str,
    *,
    label: str = "y",
    output: str = "output",
) -> tuple[list, list[dict[str, Any]], dict[str, list]]:
    """Keras pooling of the matrix ``x``: the answer ``y`` (JSON values, as :func:`pool_answer`
    makes them), the worked steps, and misconception -> wrong answer."""
    windows = pool_windows(x.shape, pool, strides, padding)
    pads, (oh, ow) = windows.pads, windows.out
    other = "average" if mode == "max" else "max"
    counting = mode == "average" and any(pads)
    modes = (mode, other, "average_counting_padding") if counting else (mode, other)
    flat = P.tolist(x.ravel())  # x's values as the steps show them (x's own, for integers)
    values = windows.cells(flat)
    if x.dtype.kind in "iu":  # the values are x's own ints
        y, y_other, *y_counting = pooled_cells(windows, values, modes)
    else:
        y, y_other, *y_counting = pooled(x, pool, strides, padding, modes)
    steps = size_steps(x.shape, pool, strides, padding, (oh, ow), pads, output=output)
    if any(pads):
        steps.append(
            {
                "step": "text",
                "text": "Padded cells are ignored: they never win a max and are not counted "
                "in an average.",
            }
        )
    op = "max" if mode == "max" else "mean"
    labels = cell_labels(label, oh, ow)
    steps += [
        {"step": "pool", "label": lab, "op": op, "values": r, "result": v}
        for lab, r, v in zip(labels, map(list, values), [v for row in y for v in row])
    ]

    wrong: dict[str, list] = {}
    if strides == pool and max(pool) > 1:
        y1 = pooled(x, pool, (1, 1), padding, (mode,), flat)
        if y1 is not None:
            wrong["pool_stride_one"] = y1[0]
    if mode == "max":
        wrong["avg_instead_of_max"] = y_other
    else:
        wrong["max_instead_of_avg"] = y_other
    if counting:
        wrong["avg_counts_padding"] = y_counting[0]
    return y, steps, wrong


def solve(p: dict[str, Any]) -> Solved:
    x = np.asarray(p["input"])
    mode, padding = p["mode"], p["padding"]
    pool = as_pair(p["pool_size"])
    strides = pool if p["strides"] is None else as_pair(p["strides"])
    output, steps, wrong_y = pool_solution(x, pool, strides, padding, mode)
    tol = 0.0 if is_integral(output) else TOLERANCE
    parts = [
        Part("shape", "Output shape (rows, columns)", "shape", shape(output)),
        Part("output", "Output matrix", "matrix", output, tolerance=tol),
    ]
    wrong = {m: {"shape": shape(v), "output": v} for m, v in wrong_y.items()}
    return Solved(parts, steps, wrong)


def degenerate(p: dict[str, Any], solved: Solved) -> str | None:
    y = solved.parts[1].answer
    if len(y) < 2 or len(y[0]) < 2:
        return "fewer than two output rows or columns"
    if not any(any(row) for row in y):
        return "all-zero output"
    if constant_grid(p["input"]):
        return "constant input"
    return None


KIND = Kind(
    name="pooling",
    version=1,
    summary="Max or average pooling of a matrix: pool_size, strides (default pool_size), padding",
    params=("input", "mode", "pool_size", "strides", "padding", "input_shape"),
    sample=sample,
    validate=validate,
    solve=solve,
    degenerate=degenerate,
    defaults={
        "mode": "max",
        "pool_size": 2,
        "strides": None,
        "padding": "valid",
        "input_shape": None,
    },
    sample_is_valid=True,
)
