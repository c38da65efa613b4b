"""Each mistake is named from its definition, and only where the student's answers agree."""

from __future__ import annotations

import numpy as np
import pytest
from convgrade.exercises.checking import check_exercise

from convgrade import exercises


def named(ex, answers) -> list[str]:
    return [d.id for d in check_exercise(ex, answers).diagnoses]


@pytest.mark.parametrize("seed", range(5))
def test_no_diagnosis_from_a_total_alone_when_the_per_layer_counts_say_otherwise(seed):
    ex = exercises.generate("embedding_params", seed=seed)
    wrong = ex.misconception("embedding_bias").answers
    assert "embedding_bias" in named(ex, wrong)  # the mistake itself is named
    right_layers = {"params": ex.answer["params"], "total": wrong["total"]}
    assert "embedding_bias" not in named(ex, right_layers)


def test_a_shifted_multi_hot_vector_is_not_named_ties_alphabetical():
    seen = 0
    for seed in range(300):
        ex = exercises.generate("text_vectorization", seed=seed, difficulty=2)
        if "multi_hot" not in ex.answer or "ties_alphabetical" not in {
            m.id for m in ex.misconceptions
        }:
            continue
        seen += 1
        answers = dict(ex.answer)
        answers["multi_hot"] = np.roll(ex.answer["multi_hot"], 1).tolist()
        assert "ties_alphabetical" not in named(ex, answers), seed
        assert "ties_alphabetical" in named(ex, ex.misconception("ties_alphabetical").answers)
    assert seen >= 3


def corr2d(x, k, pads, stride) -> np.ndarray:
    """Cross-correlation of matrix ``x`` with ``k`` after (top, bottom, left, right) zeros."""
    t, b, l, r = pads
    xp = np.pad(np.asarray(x, float), ((t, b), (l, r)))
    k = np.asarray(k, float)
    (kh, kw), (h, w) = k.shape, xp.shape
    return np.array(
        [
            [(xp[i : i + kh, j : j + kw] * k).sum() for j in range(0, w - kw + 1, stride)]
            for i in range(0, h - kh + 1, stride)
        ]
    )


def same_pads(n: int, k: int, s: int) -> tuple[int, int]:
    total = max((-(-n // s) - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def find(kind, ok, *, tries=400, difficulty=2):
    for seed in range(tries):
        ex = exercises.generate(kind, seed=seed, difficulty=difficulty)
        if ok(ex):
            return ex
    raise AssertionError(f"no {kind} instance found")


def conv2d_answer(y: np.ndarray) -> dict:
    return {"shape": list(y.shape), "output": y.astype(int).tolist()}


def test_ignoring_the_stride_under_same_with_stride_2_is_named():
    ex = find(
        "conv2d",
        lambda e: e.params["padding"] == "same" and e.params["strides"] in (2, [2, 2]),
        difficulty=3,
    )
    x, k = ex.params["input"], ex.params["kernel"]
    (h, w), (kh, kw) = np.shape(x), np.shape(k)
    y = corr2d(x, k, (*same_pads(h, kh, 1), *same_pads(w, kw, 1)), 1)  # 'same' as at stride 1
    assert named(ex, conv2d_answer(y))[:1] == ["stride_ignored_same"]


def test_same_padding_on_the_wrong_side_at_stride_1_is_named():
    def fits(e):
        p = e.params
        return (
            p["padding"] == "same"
            and p["strides"] in (1, [1, 1])
            and np.shape(p["kernel"])[0] % 2 == 0
        )

    ex = find("conv2d", fits, difficulty=3)
    x, k = ex.params["input"], ex.params["kernel"]
    (h, w), (kh, kw) = np.shape(x), np.shape(k)
    (t, b), (l, r) = same_pads(h, kh, 1), same_pads(w, kw, 1)
    y = corr2d(x, k, (b, t, r, l), 1)  # the extra zero before instead of after
    assert "same_padding_wrong_side" in named(ex, conv2d_answer(y))


def test_an_off_by_one_output_size_is_named_and_the_short_vector_keeps_its_right_entries():
    ex = find("conv1d", lambda e: e.params["padding"] != "same" and e.answer["length"] > 2)
    y = ex.answer["output"]
    answers = {"length": len(y) - 1, "output": y[:-1]}  # floor((n + 2p - k)/s) without + 1
    assert "size_off_by_one" in named(ex, answers)
    out = next(p for p in check_exercise(ex, answers).parts if p.id == "output")
    assert out.score == pytest.approx((len(y) - 1) / len(y)) and "one entry short" in out.message
    assert out.status == "partial"


def test_channels_multiplied_instead_of_summed_is_named():
    ex = find("conv2d_multichannel", lambda e: np.shape(e.params["input"])[2] > 1)
    x, k = np.asarray(ex.params["input"], float), np.asarray(ex.params["kernel"], float)
    s = ex.params["strides"]
    s = s[0] if isinstance(s, list) else s
    pad = ex.params["padding"]
    (h, w), (kh, kw) = x.shape[:2], k.shape[:2]
    if pad == "same":
        pads = (*same_pads(h, kh, s), *same_pads(w, kw, s))
    else:
        pads = (pad or 0,) * 4 if isinstance(pad, int) else (0, 0, 0, 0)
    maps = []
    for f in range(k.shape[3]):
        prod = np.prod([corr2d(x[..., c], k[:, :, c, f], pads, s) for c in range(x.shape[2])], 0)
        maps.append(prod + (ex.params["bias"] or [0] * k.shape[3])[f])
    y = np.stack(maps, axis=-1)
    assert "channels_multiplied" in named(ex, {"shape": list(y.shape), "output": y.tolist()})


def test_conv_params_with_the_channels_added_is_named():
    ex = exercises.generate("conv_params", seed=1, difficulty=2)
    counts, c_in = [], ex.params["layers"][0]["input_channels"]
    for layer in ex.params["layers"]:
        ks = layer["kernel_size"]
        kk = int(
            np.prod(
                ks if isinstance(ks, list) else [ks] * (2 if "2D" in layer["class_name"] else 1)
            )
        )
        c_out = layer["filters"]
        counts.append(kk * (c_in + c_out) + (c_out if layer["use_bias"] else 0))
        c_in = c_out
    assert named(ex, {"params": counts, "total": sum(counts)})[:1] == ["channels_added"]


def test_textvectorization_indices_without_the_reserved_tokens_are_named():
    ex = find("text_vectorization", lambda e: "int" in e.answer and 1 not in e.answer["int"])
    answers = dict(ex.answer, int=[i - 2 if i >= 2 else i for i in ex.answer["int"]])
    assert "no_reserved_tokens" in named(ex, answers)
    ex = find("text_vectorization", lambda e: "multi_hot" in e.answer)
    answers = dict(ex.answer, multi_hot=ex.answer["multi_hot"][1:])  # no [UNK] slot
    assert "no_reserved_tokens" in named(ex, answers)


def test_pooling_given_parameters_is_produced_and_named():
    def has_pooling(e) -> bool:
        names = [layer["class_name"] for layer in e.params["layers"]]
        return any(n.startswith(("MaxPooling", "AveragePooling")) for n in names)

    ex = find("model_summary", has_pooling)
    params = list(ex.answer["params"])
    shape = list(ex.params["input_shape"])
    for i, (layer, out) in enumerate(zip(ex.params["layers"], ex.answer["shapes"])):
        cls = layer["class_name"]
        if cls.startswith(("MaxPooling", "AveragePooling")):
            ps = layer.get("pool_size", 2)
            window = int(np.prod(ps if isinstance(ps, list) else [ps] * (2 if "2D" in cls else 1)))
            params[i] = window * shape[-1] + shape[-1]  # pool_h·pool_w·C + C
        shape = out
    answers = dict(ex.answer, params=params, total=sum(params))
    assert "flatten_has_params" in named(ex, answers)


def test_every_named_mistake_has_its_own_rule_text():
    from convgrade.exercises.misconceptions import CATALOG

    new = ["stride_ignored_same", "same_padding_wrong_side", "size_off_by_one",
           "channels_multiplied", "channels_added", "no_reserved_tokens",
           "flatten_has_params"]  # fmt: skip
    rules = [CATALOG[m].rule for m in new]
    assert all(rules) and len(set(rules)) == len(rules)
