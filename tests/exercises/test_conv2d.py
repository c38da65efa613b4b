"""conv2d: the lecture's examples, agreement with Keras Conv2D, bad parameters, misconceptions."""

from __future__ import annotations

import contextlib
import json
import signal

import numpy as np
import pytest

from convgrade import exercises
from tests import numpy_oracle
from tests.conftest import ROOT
from tests.exercises.sizes_support import assert_values_vary, draws
from tests.keras_oracle import conv

EXAMPLES = ROOT / "examples"

LECTURE_5X5 = [[1, 2, 3, 2, 1], [2, 3, 2, 1, 3], [3, 2, 1, 3, 2], [2, 1, 3, 2, 1], [1, 3, 2, 1, 3]]
LECTURE_KERNEL = [[1, 2, 1], [2, 4, 2], [1, 2, 1]]


def test_lecture_2d_example():
    x = [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    ex = exercises.generate("conv2d", params={"input": x, "kernel": [[0, 1], [2, 3]]})
    assert ex.answer == {"shape": [2, 2], "output": [[19, 25], [37, 43]]}
    # y[0,0] = 0·0 + 1·1 + 3·2 + 4·3 = 19, worked out window by window
    windows = [s for s in ex.solution if s["step"] == "window"]
    assert windows[0] == {
        "step": "window",
        "label": "y[0,0]",
        "values": [0, 1, 3, 4],
        "weights": [0, 1, 2, 3],
        "sum": 19,
    }
    assert [w["label"] for w in windows] == ["y[0,0]", "y[0,1]", "y[1,0]", "y[1,1]"]
    # The flipped kernel [[3,2],[1,0]] gives 0·3 + 1·2 + 3·1 + 4·0 = 5 at y[0,0].
    assert ex.misconception("flipped_kernel").answers == {"output": [[5, 11], [23, 29]]}


def test_lecture_5x5_padding_2_stride_2():
    params = {"input": LECTURE_5X5, "kernel": LECTURE_KERNEL, "padding": 2, "strides": 2}
    ex = exercises.generate("conv2d", params=params)
    assert ex.answer["shape"] == [4, 4]  # floor((5 + 4 - 3) / 2) + 1
    # Corner: only the kernel's bottom-right 1 meets x[0,0] = 1; centre-ish window y[1,1] is
    # rows/columns 0..2 of x against the whole kernel.
    assert ex.answer["output"][0][0] == 1
    assert ex.answer["output"][1][1] == 1 + 4 + 3 + 4 + 12 + 4 + 3 + 4 + 1
    want = conv(
        np.array(LECTURE_5X5, float)[..., None],
        np.array(LECTURE_KERNEL, float)[..., None, None],
        2,
        2,
    )[..., 0]
    np.testing.assert_array_equal(ex.answer["output"], want)
    ids = [m.id for m in ex.misconceptions]
    # The kernel is symmetric, so flipping it changes nothing and is not offered.
    assert ids == ["no_padding", "one_sided_padding", "ignored_stride", "size_off_by_one"]
    assert ex.misconception("no_padding").answers["shape"] == [2, 2]
    assert ex.misconception("one_sided_padding").answers["shape"] == [3, 3]
    assert ex.misconception("ignored_stride").answers["shape"] == [7, 7]
    assert any(s["step"] == "matrix" and s["label"] == "Padded input" for s in ex.solution)


def test_same_padding_is_keras_asymmetric():
    # 4x4 input, 2x2 kernel, same, stride 1: one zero row/column at the bottom/right only.
    x = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]
    ex = exercises.generate(
        "conv2d", params={"input": x, "kernel": [[1, 0], [0, 1]], "padding": "same"}
    )
    assert ex.answer["shape"] == [4, 4]
    assert ex.answer["output"][3][3] == 16  # x[3,3]·1 + padding
    assert ex.answer["output"][0][0] == 1 + 6
    sym = ex.misconception("symmetric_same_padding").answers
    assert sym["shape"] == [5, 5]  # one zero on every side


def _keras_output(p):
    x = np.array(p["input"], float)[..., None]
    k = np.array(p["kernel"], float)[..., None, None]
    return conv(x, k, p["strides"], p["padding"])[..., 0]


@pytest.mark.tf
@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_agrees_with_keras(difficulty):
    for seed in range(80):
        ex = exercises.generate("conv2d", seed=seed, difficulty=difficulty)
        want = _keras_output(ex.params)
        assert ex.answer["shape"] == list(want.shape), ex.params
        np.testing.assert_array_equal(ex.answer["output"], want, err_msg=str(ex.params))


def _keras_padded(p, pads, strides):
    """Keras Conv2D ('valid') on the input zero-padded (top, bottom, left, right) by numpy."""
    t, b, l, r = pads
    x = np.pad(np.array(p["input"], float), ((t, b), (l, r)))
    return conv(x[..., None], np.array(p["kernel"], float)[..., None, None], strides, "valid")[
        ..., 0
    ]


def _keras_pads(p):
    """The (top, bottom, left, right) zeros Keras adds for p's padding (the convention)."""
    (h, w), (kh, kw) = np.shape(p["input"]), np.shape(p["kernel"])
    s = p["strides"] if isinstance(p["strides"], list) else [p["strides"]] * 2
    if p["padding"] == "valid":
        return (0, 0, 0, 0)
    if isinstance(p["padding"], int):
        return (p["padding"],) * 4
    out = []
    for n, k, st in ((h, kh, s[0]), (w, kw, s[1])):
        total = max((-(-n // st) - 1) * st + k - n, 0)
        out += [total // 2, total - total // 2]
    return tuple(out)


@pytest.mark.tf
def test_misconceptions_are_what_keras_computes_for_the_wrong_procedure():
    seen = set()
    for difficulty in (2, 3):
        for seed in range(60):
            ex = exercises.generate("conv2d", seed=seed, difficulty=difficulty)
            p = ex.params
            t, b, l, r = pads = _keras_pads(p)
            for m in ex.misconceptions:
                if m.id == "flipped_kernel":
                    q = {**p, "kernel": np.array(p["kernel"])[::-1, ::-1].tolist()}
                    want = _keras_output(q)
                elif m.id == "no_padding":
                    want = _keras_padded(p, (0, 0, 0, 0), p["strides"])
                elif m.id == "one_sided_padding":
                    want = _keras_padded(p, (t, 0, l, 0), p["strides"])
                elif m.id == "symmetric_same_padding":
                    th, tw = -(-(t + b) // 2), -(-(l + r) // 2)
                    want = _keras_padded(p, (th, th, tw, tw), p["strides"])
                elif m.id == "ignored_stride":
                    want = _keras_padded(p, pads, 1)
                elif m.id == "same_padding_wrong_side":
                    want = _keras_padded(p, (b, t, r, l), p["strides"])
                elif m.id == "stride_ignored_same":
                    want = _keras_padded(p, _keras_pads({**p, "strides": 1}), 1)
                elif m.id == "size_off_by_one":
                    want = np.asarray(ex.answer["output"])[:-1, :-1]
                else:
                    raise AssertionError(f"unexpected misconception {m.id}")
                seen.add(m.id)
                got = m.answers.get("output", ex.answer["output"])
                np.testing.assert_array_equal(got, want, err_msg=f"{m.id} {p}")
    assert seen == {
        "flipped_kernel",
        "no_padding",
        "one_sided_padding",
        "symmetric_same_padding",
        "ignored_stride",
        "same_padding_wrong_side",
        "stride_ignored_same",
        "size_off_by_one",
    }


def test_random_instances_are_hand_computable():
    for difficulty in (1, 2, 3):
        for seed in range(100):
            ex = exercises.generate("conv2d", seed=seed, difficulty=difficulty)
            x, y = np.array(ex.params["input"]), np.array(ex.answer["output"])
            assert x.shape[0] <= 9 and x.shape[1] <= 9
            assert 2 <= y.shape[0] <= 4 and 2 <= y.shape[1] <= 5
            assert np.abs(x).max() <= 4 and y.any() and len(np.unique(x)) > 1
            if difficulty == 1:
                assert ex.params["padding"] == "valid" and ex.params["strides"] == 1


@pytest.mark.parametrize(
    "params, name",
    [
        ({"input": [[1, 2], [3, 4]], "kernel": [[1, 2, 3]] * 3}, "kernel"),
        ({"input": [[1, 2], [3, 4]], "kernel": [[1]], "strides": 0}, "strides"),
        ({"input": [[1, 2], [3, 4]], "kernel": [[1]], "strides": [1, 0]}, "strides"),
        ({"input": [1, 2, 3], "kernel": [[1]]}, "input"),
        ({"input": [[1, 2], [3]], "kernel": [[1]]}, "input"),
        ({"input": [[1, 2], [3, 4]], "kernel": [[1]], "padding": "full"}, "padding"),
        ({"input": [[1, 2], [3, 4]], "kernel": [[1]], "padding": -1}, "padding"),
    ],
)
def test_bad_params_name_the_parameter(params, name):
    with pytest.raises(exercises.ParamError, match=f"parameter '{name}'"):
        exercises.generate("conv2d", params=params)


def test_padded_kernel_fits_with_padding():
    # 2x2 input, 3x3 kernel: too large unpadded, fine with padding 1.
    ex = exercises.generate(
        "conv2d", params={"input": [[1, 2], [3, 4]], "kernel": [[1, 1, 1]] * 3, "padding": 1}
    )
    assert ex.answer == {"shape": [2, 2], "output": [[10, 10], [10, 10]]}


def test_cli_error_kernel_too_large(grade):
    r = grade("generate", "conv2d", "--param", "input=[[1,2],[3,4]]", "--param", "kernel=[[1,2,3]]")
    assert r.returncode == 2
    assert "parameter 'kernel'" in r.stderr and "Traceback" not in r.stderr


def test_given_params_constrain_random_instances():
    for seed in range(20):
        ex = exercises.generate("conv2d", seed=seed, params={"padding": "same", "strides": 2})
        assert ex.params["padding"] == "same" and ex.params["strides"] == 2
        ex = exercises.generate("conv2d", seed=seed, params={"kernel": [[1, -1], [2, 0]]})
        assert ex.params["kernel"] == [[1, -1], [2, 0]]


def test_lecture_example_files():
    ex = exercises.generate(**json.loads((EXAMPLES / "lecture-conv2d-3x3.json").read_text()))
    assert ex.answer["output"] == [[19, 25], [37, 43]]
    spec = json.loads((EXAMPLES / "lecture-conv2d-5x5-padding2-stride2.json").read_text())
    assert spec["params"]["input"] == LECTURE_5X5 and spec["params"]["kernel"] == LECTURE_KERNEL
    assert spec["params"]["padding"] == 2 and spec["params"]["strides"] == 2
    assert exercises.generate(**spec).answer["shape"] == [4, 4]


def test_sizes_can_be_fixed_while_values_stay_random():
    """The lecture's 5x5 input, 3x3 kernel, padding 2, stride 2 -> 4x4 output, random values."""
    lecture = {"kernel_size": 3, "input_shape": [5, 5], "padding": 2, "strides": 2}
    exs = [exercises.generate("conv2d", seed=s, difficulty=2, params=lecture) for s in range(6)]
    for ex in exs:
        assert np.shape(ex.params["input"]) == (5, 5) and np.shape(ex.params["kernel"]) == (3, 3)
        assert ex.answer["shape"] == [4, 4] and np.shape(ex.answer["output"]) == (4, 4)
        assert "kernel_size" not in ex.params  # sizes constrain the draw; params stay Keras's
    assert len({str(ex.params["kernel"]) for ex in exs}) == len(exs)
    with pytest.raises(exercises.ConvgradeError, match="kernel_size"):
        exercises.generate("conv2d", params={"kernel": [[1, 2], [3, 4]], "kernel_size": 3})


@contextlib.contextmanager
def _deadline(seconds: int):
    """Fail (instead of hanging the suite) when the body runs longer than ``seconds``."""

    def _late(*_):
        raise TimeoutError(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, _late)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def test_sizes_combine_with_every_difficulty_and_agree_with_numpy():
    lecture = {"kernel_size": 3, "input_shape": 5, "padding": 2, "strides": 2}
    exs = draws("conv2d", lecture, seeds=8)
    for ex in exs:
        p = ex.params
        x, k = np.array(p["input"])[..., None], np.array(p["kernel"])[..., None, None]
        want = numpy_oracle.conv2d(x, k, p["strides"], p["padding"])[..., 0]
        assert want.shape == (4, 4)
        np.testing.assert_array_equal(ex.answer["output"], want)
    assert_values_vary(exs)
    # Difficulty still sets the values: level 1 draws from 0..3, level 3 from -3..4.
    assert all(0 <= v <= 3 for ex in exs[:8] for row in ex.params["input"] for v in row)
    assert any(v < 0 for ex in exs[16:] for row in ex.params["input"] for v in row)


def test_a_one_by_one_kernel_does_not_hang_random_draws():
    """A 1 x 1 kernel (given, or kernel_size = 1) is its own flip: the draw used to loop forever
    looking for a kernel that changes when flipped."""
    with _deadline(20):
        ex = exercises.generate("conv2d", seed=3, params={"kernel": [[2]]})
        assert ex.params["kernel"] == [[2]]
        ex = exercises.generate(
            "conv2d",
            seed=3,
            params={"kernel_size": 1, "input_shape": 4, "padding": "valid", "strides": 1},
        )
    assert np.shape(ex.params["kernel"]) == (1, 1) and ex.answer["shape"] == [4, 4]
    assert "flipped_kernel" not in {m.id for m in ex.misconceptions}


def test_a_kernel_size_too_large_names_kernel_size_at_once():
    params = {"kernel_size": 3, "input_shape": 2, "padding": "valid"}
    want = r"parameter 'kernel_size': expected a kernel of at most 2 x 2 \(the padded input\)"
    with pytest.raises(exercises.ParamError, match=want):
        exercises.generate("conv2d", seed=1, params=params)
