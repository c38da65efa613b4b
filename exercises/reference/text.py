"""Keras ``TextVectorization`` in pure Python: standardize, split, vocabulary, int/multi_hot/count.

Matches ``keras.layers.TextVectorization(standardize="lower_and_strip_punctuation",
split="whitespace")`` on ASCII text:

- standardization lowercases (ASCII) and deletes every character of Python's
  ``string.punctuation`` (Keras' regex ``[!"#$%&()\\*\\+,-\\./:;<=>?@\\[\\\\\\]^_`{|}~\\']``
  is exactly that set), then the text is split on runs of whitespace;
- ``adapt`` counts tokens and sorts them the way ``index_lookup.finalize_state`` does:
  ``np.lexsort((tokens, counts))[::-1]``, i.e. by count descending and, among equal counts, by
  the token's bytes *descending* (reverse alphabetical for lowercase words);
- ``max_tokens`` includes the reserved entries: ``int`` mode reserves index 0 for the padding
  token ``''`` and 1 for ``'[UNK]'``, ``multi_hot``/``count`` reserve index 0 for ``'[UNK]'``.

>>> vocabulary(token_counts(["The cat sat.", "A dog, a CAT!"]), "int")
['', '[UNK]', 'cat', 'a', 'the', 'sat', 'dog']
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Iterable

MASK = ""
OOV = "[UNK]"
MODES = ("int", "multi_hot", "count")
#: Vocabulary orders: Keras' own, and the two wrong ones students use.
ORDERS = ("keras", "ties_alphabetical", "alphabetical")

_PUNCTUATION = str.maketrans("", "", string.punctuation)
# tf.strings.split without a separator splits on ASCII whitespace (not on \x1c-\x1f, which
# Python's str.split() also treats as whitespace).
_WHITESPACE = re.compile(r"[ \t\n\r\x0b\x0c]+")


def standardize(text: str) -> str:
    """``lower_and_strip_punctuation``: ASCII lowercase, then delete ASCII punctuation."""
    return text.lower().translate(_PUNCTUATION)


def tokenize(text: str, *, standardized: bool = True) -> list[str]:
    """Whitespace split, after standardization unless ``standardized`` is false."""
    if standardized:
        text = standardize(text)
    return [t for t in _WHITESPACE.split(text) if t]


def token_counts(corpus: Iterable[str], *, standardized: bool = True) -> Counter:
    """How often each token occurs in the corpus (the reserved tokens never count)."""
    counts = Counter(t for s in corpus for t in tokenize(s, standardized=standardized))
    counts.pop(MASK, None)
    counts.pop(OOV, None)
    return counts


def reserved(mode: str) -> list[str]:
    """The reserved entries at the front of the vocabulary of an ``output_mode``."""
    return [MASK, OOV] if mode == "int" else [OOV]


def order_tokens(counts: Counter, order: str = "keras") -> list[str]:
    """All tokens in vocabulary order.

    ``keras``: count descending, ties by UTF-8 bytes descending (what TensorFlow does);
    ``ties_alphabetical``: count descending, ties alphabetical; ``alphabetical``: ignore counts.
    """
    if order == "keras":
        return sorted(counts, key=lambda t: (counts[t], t.encode()), reverse=True)
    if order == "ties_alphabetical":
        return sorted(counts, key=lambda t: (-counts[t], t.encode()))
    if order == "alphabetical":
        return sorted(counts, key=lambda t: t.encode())
    raise ValueError(f"unknown order {order!r}")


def vocabulary(
    counts: Counter, mode: str, max_tokens: int | None = None, order: str = "keras"
) -> list[str]:
    """``layer.get_vocabulary()`` after ``adapt``: reserved entries, then the learned tokens."""
    front = reserved(mode)
    learned = order_tokens(counts, order)
    if max_tokens:
        learned = learned[: max_tokens - len(front)]
    return front + learned


def lookup(tokens: list[str], vocab: list[str]) -> list[int]:
    """Each token's index; tokens outside the vocabulary get the ``'[UNK]'`` index."""
    index = {t: i for i, t in enumerate(vocab) if t != MASK}
    oov = vocab.index(OOV)
    return [index.get(t, oov) if t != MASK else 0 for t in tokens]


def encode_int(
    tokens: list[str], vocab: list[str], output_sequence_length: int | None = None
) -> list[int]:
    """``int`` output: indices, padded with 0 or truncated to ``output_sequence_length``."""
    ids = lookup(tokens, vocab)
    if output_sequence_length is None:
        return ids
    return (ids + [0] * output_sequence_length)[:output_sequence_length]


def encode_count(tokens: list[str], vocab: list[str]) -> list[int]:
    """``count`` output: how often each vocabulary index occurs in the tokens."""
    out = [0] * len(vocab)
    for i in lookup(tokens, vocab):
        out[i] += 1
    return out


def encode_multi_hot(tokens: list[str], vocab: list[str]) -> list[int]:
    """``multi_hot`` output: 1 where a vocabulary index occurs in the tokens, else 0."""
    return [min(c, 1) for c in encode_count(tokens, vocab)]


def encode(
    tokens: list[str], vocab: list[str], mode: str, output_sequence_length: int | None = None
) -> list[int]:
    """The layer's output for one sentence in ``mode``."""
    if mode == "int":
        return encode_int(tokens, vocab, output_sequence_length)
    if mode == "count":
        return encode_count(tokens, vocab)
    if mode == "multi_hot":
        return encode_multi_hot(tokens, vocab)
    raise ValueError(f"unknown output_mode {mode!r}")
