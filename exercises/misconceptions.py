"""The catalogue of named misconceptions: a short title and the right rule, in a sentence or two.

Kinds declare which misconceptions apply and compute the wrong answer each produces; answer
checking names the misconception when a student's answer matches it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MisconceptionInfo:
    title: str
    rule: str


CATALOG: dict[str, MisconceptionInfo] = {
    "flipped_kernel": MisconceptionInfo(
        "Flipped the kernel (true convolution)",
        "Keras Conv layers compute cross-correlation: lay the kernel over each window as it is, "
        "without flipping it.",
    ),
    "no_padding": MisconceptionInfo(
        "Forgot the padding",
        "Add the zero padding around the input first, then slide the kernel over the padded input.",
    ),
    "one_sided_padding": MisconceptionInfo(
        "Padded one side only",
        "Explicit padding p adds p zeros on both sides of every spatial axis.",
    ),
    "symmetric_same_padding": MisconceptionInfo(
        "Symmetric instead of Keras 'same' padding",
        "Keras 'same' pads a total of max((out-1)*s + k - n, 0) with out = ceil(n/s); the odd "
        "extra zero goes after (bottom/right), so the padding can be asymmetric.",
    ),
    "ignored_stride": MisconceptionInfo(
        "Ignored the stride",
        "With stride s the window moves s positions at a time, so only every s-th position "
        "produces an output.",
    ),
    "size_no_floor": MisconceptionInfo(
        "Rounded instead of flooring the output size",
        "The output size is floor((n + 2p - k) / s) + 1: a window that would run past the "
        "padded input is dropped.",
    ),
    "size_ceil_for_valid": MisconceptionInfo(
        "Used ceil where the formula floors",
        "For 'valid' or explicit padding the output size is floor((n + 2p - k) / s) + 1; only "
        "'same' padding gives ceil(n / s).",
    ),
    "size_floor_for_same": MisconceptionInfo(
        "Used floor where Keras 'same' ceils",
        "With padding='same' Keras gives ceil(n / s) outputs, whatever the kernel size.",
    ),
    "size_off_by_one": MisconceptionInfo(
        "Off by one in the output size",
        "Count window positions: floor((n + 2p - k) / s) + 1 (the +1 counts the first window).",
    ),
    "size_no_padding": MisconceptionInfo(
        "Left the padding out of the output size",
        "Padding enlarges the input: use n + 2p in floor((n + 2p - k) / s) + 1.",
    ),
    "pool_stride_one": MisconceptionInfo(
        "Pooled with stride 1",
        "Keras pooling layers default to strides = pool_size: windows do not overlap.",
    ),
    "avg_instead_of_max": MisconceptionInfo(
        "Averaged instead of taking the maximum",
        "Max pooling keeps the largest value of each window.",
    ),
    "max_instead_of_avg": MisconceptionInfo(
        "Took the maximum instead of averaging",
        "Average pooling takes the mean of each window.",
    ),
    "avg_counts_padding": MisconceptionInfo(
        "Counted padded cells in the average",
        "With padding='same', Keras average pooling divides by the number of real (non-padded) "
        "cells in the window.",
    ),
    "single_channel": MisconceptionInfo(
        "Used only one input channel",
        "Each filter has one kernel slice per input channel; the output is the sum over all "
        "channels (plus the bias).",
    ),
    "forgot_bias": MisconceptionInfo(
        "Forgot the bias",
        "Each filter (or unit) has one bias, added to every output value; layers use a bias by "
        "default (use_bias=True).",
    ),
    "bias_per_input_channel": MisconceptionInfo(
        "Counted one bias per input channel",
        "There is one bias per output channel (filter), not per input channel.",
    ),
    "forgot_input_channels": MisconceptionInfo(
        "Forgot the input channels",
        "A Conv kernel spans all input channels: kh·kw·C_in weights per filter, plus one bias.",
    ),
    "embedding_bias": MisconceptionInfo(
        "Gave the Embedding layer a bias",
        "An Embedding is a lookup table of input_dim × output_dim weights; it has no bias.",
    ),
    "dense_all_axes": MisconceptionInfo(
        "Applied Dense to all axes",
        "Dense acts on the last axis only: in·out + out parameters, where in is the size of the "
        "last axis; the other axes are kept.",
    ),
    "flatten_has_params": MisconceptionInfo(
        "Gave pooling/Flatten/Dropout parameters",
        "Pooling, Flatten and Dropout layers have no trainable parameters: a pooling window "
        "only takes the maximum or mean, it has no weights (not pool_h·pool_w·C + C).",
    ),
    "channels_added": MisconceptionInfo(
        "Added the channels instead of multiplying them",
        "Each of the C_out filters has a kh·kw·C_in kernel: kh·kw·C_in·C_out + C_out "
        "parameters, not kh·kw·(C_in + C_out) + C_out.",
    ),
    "stride_ignored_same": MisconceptionInfo(
        "Ignored the stride with 'same' padding",
        "With padding='same' and stride s Keras gives ceil(n/s) outputs: pad as for that "
        "output size, then move the window s positions at a time.",
    ),
    "same_padding_wrong_side": MisconceptionInfo(
        "Put the extra 'same' padding on the wrong side",
        "When Keras 'same' needs an odd number of zeros, the extra one goes after the input "
        "(bottom/right), never before (top/left).",
    ),
    "no_reserved_tokens": MisconceptionInfo(
        "Left out TextVectorization's reserved indices",
        "The first indices are reserved: in int mode 0 is the padding token '' and 1 is [UNK], "
        "so the most frequent word is 2; multi_hot/count vectors start with the [UNK] entry "
        "at index 0.",
    ),
    "channels_multiplied": MisconceptionInfo(
        "Multiplied the channels instead of summing them",
        "A multi-channel convolution sums the per-channel products over all input channels "
        "(then adds the bias); the channel results are added, not multiplied.",
    ),
    "batchnorm_all_trainable": MisconceptionInfo(
        "Counted all BatchNormalization weights as trainable",
        "BatchNormalization holds 4·C weights, but only gamma and beta (2·C) are trainable.",
    ),
    "count_instead_of_multi_hot": MisconceptionInfo(
        "Counted instead of marking presence",
        "multi_hot marks each vocabulary entry 1 if it occurs at all; count mode counts "
        "occurrences.",
    ),
    "multi_hot_instead_of_count": MisconceptionInfo(
        "Marked presence instead of counting",
        "count mode counts how often each vocabulary entry occurs; multi_hot only marks presence.",
    ),
    "index_off_by_one": MisconceptionInfo(
        "TextVectorization indices off by one",
        "In int mode index 0 is the padding token '' and 1 is [UNK], so the most frequent word "
        "gets index 2; multi_hot/count reserve only index 0 for [UNK].",
    ),
    "alphabetical_vocabulary": MisconceptionInfo(
        "Sorted the vocabulary alphabetically",
        "TextVectorization orders the vocabulary by frequency, most frequent first.",
    ),
    "no_standardize": MisconceptionInfo(
        "Skipped standardization",
        "The default standardize='lower_and_strip_punctuation' lowercases and removes "
        "punctuation before splitting on whitespace.",
    ),
    "ties_alphabetical": MisconceptionInfo(
        "Broke frequency ties alphabetically",
        "Among words with equal counts TextVectorization puts the alphabetically later word "
        "first: Keras sorts by (count, word) and reverses the whole order.",
    ),
    "batchnorm_only_trainable": MisconceptionInfo(
        "Counted only the trainable BatchNormalization weights",
        "BatchNormalization holds 4·C weights (gamma, beta, moving mean, moving variance); "
        "model.summary() and count_params() count all of them, 2·C of them trainable.",
    ),
}


def info(misconception_id: str) -> MisconceptionInfo:
    """Title and rule of a misconception; unknown ids get a generic entry."""
    return CATALOG.get(
        misconception_id,
        MisconceptionInfo(misconception_id.replace("_", " ").capitalize(), ""),
    )
