"""conv1d: a vector cross-correlated with a kernel, with padding and stride (Keras Conv1D).

``kernel_size`` and ``input_shape`` (the input length) fix sizes while the values stay random.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import params as P
from .. import sizes
from ..errors import ParamError
from ..model import Part
from ..reference.conv import correlate1d, pad_amounts
from ..registry import Kind, Solved

# difficulty -> (input length range, kernel sizes, value range, strides, paddings)
LEVELS = {
    1: ((5, 7), (2, 3), (0, 4), (1,), ("valid",)),
    2: ((6, 9), (2, 3), (-2, 4), (1, 2), ("valid", "same", 1)),
    3: ((7, 11), (3, 4), (-3, 5), (1, 2, 3), ("valid", "same", 1, 2)),
}


def sample(rng: np.random.Generator, difficulty: int, given: dict[str, Any]) -> dict[str, Any]:
    (n_lo, n_hi), ks, (v_lo, v_hi), strides, paddings = LEVELS[difficulty]
    n = sizes.length("input_shape", given.get("input_shape"))
    if n is None:
        n = int(rng.integers(n_lo, n_hi + 1))
    k = sizes.length("kernel_size", given.get("kernel_size"))
    if k is None:
        k = int(rng.choice(ks))
    else:
        sizes.random_kernel("kernel_size", (k,))
    return {
        "input": rng.integers(v_lo, v_hi + 1, size=n).tolist(),
        "kernel": rng.integers(v_lo, v_hi + 1, size=k).tolist(),
        "strides": int(rng.choice(strides)),
        "padding": paddings[int(rng.integers(len(paddings)))],
    }


def validate(p: dict[str, Any]) -> dict[str, Any]:
    x = P.array("input", p["input"], 1)
    w = P.array("kernel", p["kernel"], 1)
    sizes.check("kernel_size", sizes.length("kernel_size", p.get("kernel_size")), w.shape, "kernel")
    sizes.check("input_shape", sizes.length("input_shape", p.get("input_shape")), x.shape, "input")
    s = P.integer("strides", p["strides"], lo=1)
    pad = P.padding("padding", p["padding"])
    padded = len(x) + sum(pad_amounts(len(x), len(w), s, pad))
    if len(w) > padded:
        raise ParamError(
            sizes.fit_name(p), f"at most {padded} entries (the padded input length)", len(w)
        )
    return {"input": P.tolist(x), "kernel": P.tolist(w), "strides": s, "padding": pad}


def _run(x, w, s, before, after) -> list:
    xp = np.concatenate([np.zeros(before, x.dtype), x, np.zeros(after, x.dtype)])
    if len(w) > len(xp):
        return []
    return P.tolist(correlate1d(xp, w, s, "valid"))


def solve(p: dict[str, Any]) -> Solved:
    x, w = np.asarray(p["input"]), np.asarray(p["kernel"])
    s, pad = p["strides"], p["padding"]
    n, k = len(x), len(w)
    before, after = pad_amounts(n, k, s, pad)
    y = _run(x, w, s, before, after)
    parts = [
        Part("length", "Output length", "integer", len(y)),
        Part("output", "Output vector", "vector", y),
    ]
    steps: list[dict[str, Any]] = []
    if pad == "same":
        total = before + after
        steps.append(
            {
                "step": "formula",
                "text": (
                    f"padding='same': out = ceil(n / s) = ceil({n} / {s}) = {len(y)}; "
                    "total padding "
                    f"max((out - 1)·s + k - n, 0) = {total}: {before} zero(s) before, {after} after"
                ),
            }
        )
    else:
        pv = 0 if pad == "valid" else pad
        steps.append(
            {
                "step": "formula",
                "text": (
                    f"out = floor((n + 2p - k) / s) + 1 = floor(({n} + {2 * pv} - {k}) / {s}) + 1 "
                    f"= {len(y)}"
                ),
            }
        )
    xp = np.concatenate([np.zeros(before, x.dtype), x, np.zeros(after, x.dtype)])
    if before or after:
        steps.append({"step": "vector", "label": "Padded input", "value": P.tolist(xp)})
    for i, v in enumerate(y):
        steps.append(
            {
                "step": "window",
                "label": f"y[{i}]",
                "values": P.tolist(xp[i * s : i * s + k]),
                "weights": p["kernel"],
                "sum": v,
            }
        )

    wrong: dict[str, dict[str, Any]] = {}
    flipped = _run(x, w[::-1], s, before, after)
    wrong["flipped_kernel"] = {"output": flipped}
    if before or after:
        nopad = _run(x, w, s, 0, 0)
        wrong["no_padding"] = {"length": len(nopad), "output": nopad}
    if isinstance(pad, int) and pad > 0:
        one = _run(x, w, s, pad, 0)
        wrong["one_sided_padding"] = {"length": len(one), "output": one}
    if pad == "same" and (before + after) % 2 == 1:
        half = math.ceil((before + after) / 2)
        sym = _run(x, w, s, half, half)
        wrong["symmetric_same_padding"] = {"length": len(sym), "output": sym}
    if before != after:  # the odd extra 'same' zero put before the input
        side = _run(x, w, s, after, before)
        if side != y:
            wrong["same_padding_wrong_side"] = {"output": side}
    if s > 1 and pad == "same":  # 'same' worked out as for stride 1
        s1 = _run(x, w, 1, *pad_amounts(n, k, 1, pad))
        wrong["stride_ignored_same"] = {"length": len(s1), "output": s1}
    elif s > 1:
        s1 = _run(x, w, 1, before, after)
        wrong["ignored_stride"] = {"length": len(s1), "output": s1}
    if pad != "same" and len(y) > 2:  # floor((n + 2p - k) / s) without the + 1
        wrong["size_off_by_one"] = {"length": len(y) - 1, "output": y[:-1]}
    return Solved(parts, steps, wrong)


def degenerate(p: dict[str, Any], solved: Solved) -> str | None:
    y = solved.parts[1].answer
    if len(y) < 2:
        return "fewer than two outputs"
    if not any(y):
        return "all-zero output"
    if not any(p["kernel"]) or len(set(p["input"])) < 2:
        return "constant input or zero kernel"
    return None


KIND = Kind(
    name="conv1d",
    version=1,
    summary="1-D convolution (cross-correlation) of a vector with a kernel, padding and stride",
    params=("input", "kernel", "strides", "padding", "kernel_size", "input_shape"),
    sample=sample,
    validate=validate,
    solve=solve,
    degenerate=degenerate,
    defaults={"strides": 1, "padding": "valid", "kernel_size": None, "input_shape": None},
)
