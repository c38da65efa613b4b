"""Keras layer arithmetic in pure Python: output shapes, parameter counts, and the model as code.

A layer is a dict ``{"class_name": "Conv2D", <Keras constructor arguments by Keras name>}``;
shapes leave out the batch axis.  :func:`check_layer` validates and normalizes one layer dict,
:func:`compute_output_shape` and :func:`count_params` follow Keras 3 semantics (Dense acts on the
last axis, Embedding has no bias, BatchNormalization holds 4·C weights of which 2·C are
trainable), and :func:`analyze` runs a whole ``Sequential`` stack.

``wrong`` (a set of misconception ids) switches one rule to the named wrong procedure, so a
misconception's answers come from the same code as the key:

>>> analyze((32, 32, 3), [{"class_name": "Conv2D", "filters": 32, "kernel_size": 5}])
[LayerResult(shape=(28, 28, 32), params=2432, trainable=2432)]
>>> analyze((32, 32, 3), [{"class_name": "Conv2D", "filters": 32, "kernel_size": 5}],
...         wrong={"forgot_bias"})[0].params
2400
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from .. import params as P
from ..errors import ParamError
from .conv import output_length

Shape = tuple[int, ...]

ACTIVATIONS = ("relu", "sigmoid", "softmax", "tanh", "linear")

_REQUIRED = object()

#: class name -> (spatial rank or None, Keras constructor arguments with their defaults).
_CONV = {
    "filters": _REQUIRED,
    "kernel_size": _REQUIRED,
    "strides": 1,
    "padding": "valid",
    "activation": None,
    "use_bias": True,
}
_POOL = {"pool_size": 2, "strides": None, "padding": "valid"}
LAYERS: dict[str, dict[str, Any]] = {
    "Conv1D": _CONV,
    "Conv2D": _CONV,
    "MaxPooling1D": _POOL,
    "MaxPooling2D": _POOL,
    "AveragePooling1D": _POOL,
    "AveragePooling2D": _POOL,
    "GlobalMaxPooling1D": {},
    "GlobalMaxPooling2D": {},
    "GlobalAveragePooling1D": {},
    "GlobalAveragePooling2D": {},
    "Flatten": {},
    "Dense": {"units": _REQUIRED, "activation": None, "use_bias": True},
    "Dropout": {"rate": _REQUIRED},
    "Embedding": {"input_dim": _REQUIRED, "output_dim": _REQUIRED},
    "BatchNormalization": {},
}


def spatial_rank(class_name: str) -> int | None:
    """1 or 2 for the Conv/pooling layers (their input is spatial axes + channels), else None."""
    if class_name.endswith("1D"):
        return 1
    if class_name.endswith("2D"):
        return 2
    return None


@dataclass(frozen=True)
class LayerResult:
    """One layer of an analyzed model: output shape (no batch axis) and weight counts."""

    shape: Shape
    params: int
    trainable: int


def check_layer(name: str, layer: Any) -> dict[str, Any]:
    """Validate one layer dict; unknown or missing arguments are named as ``name.arg``.

    Returns the layer with its arguments in Keras order; defaults are not filled in, so the
    dict stays what the user wrote (and what Keras receives).
    """
    if not isinstance(layer, dict) or "class_name" not in layer:
        raise ParamError(name, 'a dict with "class_name" and Keras constructor arguments', layer)
    cls = P.choice(f"{name}.class_name", layer["class_name"], tuple(LAYERS))
    spec = LAYERS[cls]
    unknown = sorted(set(layer) - set(spec) - {"class_name"})
    if unknown:
        args = ", ".join(spec) or "no arguments"
        raise ParamError(
            f"{name}.{unknown[0]}", f"an argument of {cls} ({args})", layer[unknown[0]]
        )
    out: dict[str, Any] = {"class_name": cls}
    rank = spatial_rank(cls)
    for arg, default in spec.items():
        if arg not in layer:
            if default is _REQUIRED:
                raise ParamError(f"{name}.{arg}", f"a value ({cls} has no default {arg})")
            continue
        if layer[arg] is None and default is not None:  # only pooling strides default to None
            raise ParamError(f"{name}.{arg}", f"a value for {cls} (or leave it out)", "None")
        out[arg] = _check_arg(f"{name}.{arg}", arg, layer[arg], rank)
    return out


def _check_arg(name: str, arg: str, value: Any, rank: int | None) -> Any:
    if arg in ("kernel_size", "pool_size") or (arg == "strides" and value is not None):
        return window_arg(name, value, rank or 1)
    if arg == "strides":
        return None
    if arg == "padding":
        return P.choice(name, value, P.PADDINGS)
    if arg == "activation":
        return None if value is None else P.choice(name, value, ACTIVATIONS)
    if arg == "use_bias":
        return P.boolean(name, value)
    if arg == "rate":
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
            raise ParamError(name, "a number from 0 up to (not including) 1", value)
        return value
    return P.integer(name, value, lo=1, hi=10_000_000)  # filters, units, input_dim, output_dim


def window_arg(name: str, value: Any, rank: int) -> int | list[int]:
    """An int, or a list of ``rank`` ints (Keras accepts both for kernel/pool size, strides)."""
    if isinstance(value, list | tuple):
        if len(value) != rank:
            raise ParamError(name, f"an integer or a list of {rank} integers", value)
        return [P.integer(name, v, lo=1, hi=64) for v in value]
    return P.integer(name, value, lo=1, hi=64)


def per_axis(value: int | Sequence[int], rank: int) -> tuple[int, ...]:
    """Keras's normalization of ``3`` or ``[3, 3]`` to one value per spatial axis."""
    return tuple(value) if isinstance(value, list | tuple) else (value,) * rank


def _needs_rank(name: str, cls: str, shape: Shape, ranks: tuple[int, ...], what: str) -> None:
    if len(shape) not in ranks:
        raise ParamError(
            name, f"an input of {what} for {cls}", f"input shape {format_shape(shape)}"
        )


def compute_output_shape(
    cls: str, args: dict[str, Any], shape: Shape, *, name: str = "layer", wrong=frozenset()
) -> Shape:
    """Output shape of one layer (batch axis left out); ParamError when the input cannot fit."""
    rank = spatial_rank(cls)
    if cls.startswith(("Conv", "MaxPooling", "AveragePooling")):
        _needs_rank(name, cls, shape, (rank + 1,), f"rank {rank + 1} (spatial axes + channels)")
        is_conv = cls.startswith("Conv")
        window = per_axis(args["kernel_size"] if is_conv else args.get("pool_size", 2), rank)
        strides = args.get("strides", 1 if is_conv else None)
        if strides is None:
            strides = 1 if "pool_stride_one" in wrong else window
        strides = per_axis(strides, rank)
        padding = args.get("padding", "valid")
        if padding == "same" and "size_no_padding" in wrong:
            padding = "valid"
        spatial = []
        for n, k, s in zip(shape[:rank], window, strides):
            if padding == "valid" and k > n:
                arg = "kernel_size" if is_conv else "pool_size"
                raise ParamError(
                    f"{name}.{arg}",
                    f"a window no larger than the input {format_shape(shape)} of {cls}",
                    args["kernel_size" if is_conv else "pool_size"],
                )
            spatial.append(output_length(n, k, s, padding))
        channels = args["filters"] if is_conv else shape[-1]
        return (*spatial, channels)
    if cls.startswith("Global"):
        _needs_rank(name, cls, shape, (rank + 1,), f"rank {rank + 1} (spatial axes + channels)")
        return (shape[-1],)
    if cls == "Flatten":
        return (math.prod(shape),)
    if cls == "Dense":
        if "dense_all_axes" in wrong:
            return (args["units"],)
        return (*shape[:-1], args["units"])
    if cls == "Embedding":
        return (*shape, args["output_dim"])
    return shape  # Dropout, BatchNormalization


def count_params(
    cls: str, args: dict[str, Any], shape: Shape, *, wrong=frozenset()
) -> tuple[int, int]:
    """(all weights, trainable weights) of one layer given its input shape, as Keras counts."""
    bias = args.get("use_bias", True) and "forgot_bias" not in wrong
    if cls.startswith("Conv"):
        c_in, c_out = shape[-1], args["filters"]
        kernel = math.prod(per_axis(args["kernel_size"], spatial_rank(cls)))
        if "forgot_input_channels" in wrong:
            c_in = 1
        b = (c_in if "bias_per_input_channel" in wrong else c_out) if bias else 0
        n = kernel * (c_in + c_out if "channels_added" in wrong else c_in * c_out) + b
        return n, n
    if cls == "Dense":
        fan_in = math.prod(shape) if "dense_all_axes" in wrong else shape[-1]
        n = fan_in * args["units"] + (args["units"] if bias else 0)
        return n, n
    if cls == "Embedding":
        n = args["input_dim"] * args["output_dim"]
        if "embedding_bias" in wrong:
            n += args["output_dim"]
        return n, n
    if cls == "BatchNormalization":
        c = shape[-1]
        total = 2 * c if "batchnorm_only_trainable" in wrong else 4 * c
        return total, (total if "batchnorm_all_trainable" in wrong else 2 * c)
    if "flatten_has_params" in wrong and cls.startswith(("MaxPooling", "AveragePooling")):
        c = shape[-1]  # a window of weights and a bias per channel, as if it were a layer
        n = math.prod(per_axis(args.get("pool_size", 2), spatial_rank(cls))) * c + c
        return n, n
    return 0, 0


def analyze(
    input_shape: Sequence[int],
    layers: Sequence[dict[str, Any]],
    *,
    name: str = "layers",
    wrong: Collection[str] = frozenset(),
) -> list[LayerResult]:
    """Every layer's output shape and weight counts for a ``Sequential`` stack.

    Raises :class:`ParamError` naming ``layers[i].arg`` when a layer cannot take its input.
    """
    shape: Shape = tuple(input_shape)
    out = []
    for i, layer in enumerate(layers):
        cls = layer["class_name"]
        if cls == "Embedding" and i > 0:
            raise ParamError(f"{name}[{i}].class_name", "Embedding only as the first layer", cls)
        params, trainable = count_params(cls, layer, shape, wrong=wrong)
        shape = compute_output_shape(cls, layer, shape, name=f"{name}[{i}]", wrong=wrong)
        if min(shape) < 1:
            raise ParamError(f"{name}[{i}]", "a layer with a non-empty output", layer)
        out.append(LayerResult(shape, params, trainable))
    return out


def format_shape(shape: Sequence[int | None]) -> str:
    """A shape as Python writes a tuple: ``(32, 32, 3)``, ``(10,)``, ``(None, None, 3)``."""
    inner = ", ".join(str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _py(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list | tuple):
        return format_shape(value)
    return repr(value)


def layer_code(layer: dict[str, Any]) -> str:
    """One layer as Keras code: ``layers.Conv2D(filters=8, kernel_size=3, activation="relu")``.

    Only the class's Keras arguments are written (``input_channels`` and the like are not),
    leaving out ``None`` and ``use_bias=True`` (Keras defaults).
    """
    spec = LAYERS[layer["class_name"]]
    shown = {k: v for k, v in layer.items() if k in spec and v is not None}
    if shown.get("use_bias") is True:  # the Keras default, as a course writes it
        del shown["use_bias"]
    args = ", ".join(f"{k}={_py(v)}" for k, v in shown.items())
    return f"layers.{layer['class_name']}({args})"


def model_code(input_shape: Sequence[int | None], layers: Sequence[dict[str, Any]]) -> str:
    """The model as the Keras code a student reads (``keras.Sequential`` with ``keras.Input``)."""
    lines = [
        "import keras",
        "from keras import layers",
        "",
        "model = keras.Sequential([",
        f"    keras.Input(shape={format_shape(input_shape)}),",
    ]
    lines += [f"    {layer_code(layer)}," for layer in layers]
    lines.append("])")
    return "\n".join(lines)
