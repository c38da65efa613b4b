"""Size constraints (kernel_size, input_shape, filters) over arbitrary combinations: either the
exercise has exactly those sizes and the numpy oracle's answer, or a ParamError names one of the
given parameters; never a hang or another exception."""

from __future__ import annotations

import numpy as np
import pytest
from convgrade.exercises import registry
from hypothesis import given, settings
from hypothesis import strategies as st

from convgrade import exercises
from tests import numpy_oracle

SIDE = st.integers(2, 8)  # input sides; 1-wide inputs only exercise the errors
KSIDE = st.integers(1, 4)
PADDING = st.one_of(st.sampled_from(["valid", "same"]), st.integers(0, 2))
GEOMETRY = {
    "padding": PADDING,
    "strides": st.integers(1, 2),
    "input_shape": st.one_of(SIDE, st.tuples(SIDE, SIDE).map(list)),
}


@pytest.fixture(autouse=True, scope="module")
def _fewer_redraws():
    """Combinations no draw can satisfy exhaust the redraws: 60 instead of 1000 keep this fast
    (the property is about the answers and the errors, not the draw budget)."""
    budget, registry.MAX_DRAWS = registry.MAX_DRAWS, 60
    yield
    registry.MAX_DRAWS = budget


def _generate(kind: str, params: dict, seed: int, difficulty: int):
    given_ = {k: v for k, v in params.items() if v is not None}
    try:
        ex = exercises.generate(kind, seed=seed, difficulty=difficulty, params=given_)
        print("OK", kind)
        return ex
    except exercises.ParamError as exc:
        assert exc.name in set(given_) | {"params"}, (exc, given_)
        print("ERR", kind, exc)
        return None


def _side(value, axis: int) -> int:
    return value if isinstance(value, int) else value[axis]


COMMON = dict(seed=st.integers(0, 2**32 - 1), difficulty=st.integers(1, 3))


@settings(max_examples=40, deadline=None)
@given(kernel_size=st.one_of(KSIDE, st.tuples(KSIDE, KSIDE).map(list)), **GEOMETRY, **COMMON)
def test_conv2d(kernel_size, padding, strides, input_shape, seed, difficulty):
    params = dict(kernel_size=kernel_size, padding=padding, strides=strides,
                  input_shape=input_shape)  # fmt: skip
    ex = _generate("conv2d", params, seed, difficulty)
    if ex is not None:
        p = ex.params
        assert np.shape(p["input"]) == tuple(_side(input_shape, a) for a in (0, 1))
        assert np.shape(p["kernel"]) == tuple(_side(kernel_size, a) for a in (0, 1))
        x, k = np.array(p["input"])[..., None], np.array(p["kernel"])[..., None, None]
        want = numpy_oracle.conv2d(x, k, strides, padding)[..., 0]
        np.testing.assert_array_equal(ex.answer["output"], want)


@settings(max_examples=40, deadline=None)
@given(
    kernel_size=st.one_of(KSIDE, st.tuples(KSIDE, KSIDE).map(list)),
    channels=st.one_of(st.none(), st.integers(1, 4)),
    filters=st.one_of(st.none(), st.integers(1, 3)),
    **GEOMETRY,
    **COMMON,
)
def test_conv2d_multichannel(kernel_size, channels, filters, padding, strides, input_shape,
                             seed, difficulty):  # fmt: skip
    if channels is not None:
        input_shape = [_side(input_shape, 0), _side(input_shape, 1), channels]
    params = dict(kernel_size=kernel_size, filters=filters, padding=padding, strides=strides,
                  input_shape=input_shape)  # fmt: skip
    ex = _generate("conv2d_multichannel", params, seed, difficulty)
    if ex is not None:
        p = ex.params
        h, w, c = np.shape(p["input"])
        assert (h, w) == (_side(input_shape, 0), _side(input_shape, 1))
        assert channels is None or c == channels
        assert np.shape(p["kernel"])[:2] == tuple(_side(kernel_size, a) for a in (0, 1))
        assert filters is None or np.shape(p["kernel"])[3] == filters
        want = numpy_oracle.conv2d(p["input"], p["kernel"], strides, padding, p["bias"])
        np.testing.assert_array_equal(ex.answer["output"], want)


@settings(max_examples=40, deadline=None)
@given(
    kernel_size=KSIDE,
    pool_size=st.one_of(st.none(), st.integers(1, 3)),
    **GEOMETRY,
    **COMMON,
)
def test_conv2d_pool(kernel_size, pool_size, padding, strides, input_shape, seed, difficulty):
    params = dict(kernel_size=kernel_size, pool_size=pool_size, padding=padding,
                  strides=strides, input_shape=input_shape)  # fmt: skip
    ex = _generate("conv2d_pool", params, seed, difficulty)
    if ex is not None:
        p = ex.params
        assert np.shape(p["input"]) == tuple(_side(input_shape, a) for a in (0, 1))
        x, k = np.array(p["input"])[..., None], np.array(p["kernel"])[..., None, None]
        y = numpy_oracle.conv2d(x, k, strides, padding)[..., 0]
        z = numpy_oracle.pool2d(y, p["pool_size"], p["pool_strides"], p["pool_padding"], p["mode"])
        np.testing.assert_array_equal(ex.answer["conv_output"], y)
        np.testing.assert_allclose(ex.answer["pool_output"], z, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    pool_size=st.integers(1, 4),
    padding=st.sampled_from(["valid", "same"]),
    strides=st.one_of(st.none(), st.integers(1, 3)),
    input_shape=GEOMETRY["input_shape"],
    **COMMON,
)
def test_pooling(pool_size, padding, strides, input_shape, seed, difficulty):
    params = dict(pool_size=pool_size, padding=padding, input_shape=input_shape)
    ex = _generate("pooling", {**params, "strides": strides}, seed, difficulty)
    if ex is not None:
        p = ex.params
        assert np.shape(p["input"]) == tuple(_side(input_shape, a) for a in (0, 1))
        want = numpy_oracle.pool2d(p["input"], pool_size, p["strides"], padding, p["mode"])
        np.testing.assert_allclose(ex.answer["output"], want, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    kernel_size=st.integers(1, 6),
    input_shape=st.integers(1, 12),
    padding=PADDING,
    strides=st.integers(1, 3),
    **COMMON,
)
def test_conv1d(kernel_size, input_shape, padding, strides, seed, difficulty):
    params = dict(kernel_size=kernel_size, input_shape=input_shape, padding=padding,
                  strides=strides)  # fmt: skip
    ex = _generate("conv1d", params, seed, difficulty)
    if ex is not None:
        p = ex.params
        assert len(p["input"]) == input_shape and len(p["kernel"]) == kernel_size
        want = numpy_oracle.conv1d(p["input"], p["kernel"], strides, padding)
        np.testing.assert_array_equal(ex.answer["output"], want)
