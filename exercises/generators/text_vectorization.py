"""text_vectorization: a corpus and a query under Keras TextVectorization."""

from __future__ import annotations

import string
from collections import Counter
from typing import Any

import numpy as np

from .. import params as P
from ..errors import ParamError
from ..model import Part
from ..reference import text as T
from ..registry import Kind, Solved

#: Plain lowercase ASCII words the random corpora are made of; nouns may take a possessive 's.
# fmt: off
NOUNS = (
    "cat", "dog", "bird", "fish", "cow", "sun", "moon", "star", "tree", "rain", "snow", "book",
    "pen", "cup", "box", "park", "river", "hill", "road", "house", "boat", "car", "train",
    "apple", "bread", "milk", "tea",
)
WORDS = (
    "the", "a", "and", "red", "blue", "green", "big", "small", "old", "new", "fast", "slow",
    "sees", "likes", "eats", "runs", "jumps", "reads", *NOUNS,
)
# fmt: on

# difficulty -> (pool size, sentences, words per sentence, query words, mode counts)
LEVELS = {
    1: ((5, 6), (3, 3), (3, 5), (3, 4), (1, 1)),
    2: ((6, 8), (3, 4), (3, 6), (4, 5), (1, 2)),
    3: ((7, 9), (4, 5), (4, 7), (5, 6), (2, 3)),
}
PARAMS = ("corpus", "query", "max_tokens", "output_mode", "output_sequence_length")
MAX_SENTENCES = 12
MAX_CHARS = 200
_ALLOWED = set(string.printable)
_FAMILY = {"int": "int", "multi_hot": "bag", "count": "bag"}


def _between(rng: np.random.Generator, lo_hi: tuple[int, int]) -> int:
    return int(rng.integers(lo_hi[0], lo_hi[1] + 1))


def _sentence(rng: np.random.Generator, words: list[str], difficulty: int) -> str:
    """Capitalize, punctuate and (at higher difficulty) shout or possess some words."""
    words = list(words)
    if difficulty >= 2 and rng.random() < 0.3:
        i = int(rng.integers(len(words)))
        words[i] = words[i].upper()
    if difficulty >= 2 and len(words) > 3 and rng.random() < 0.4:
        i = int(rng.integers(1, len(words) - 1))
        words[i] += ","
    nouns = [i for i, w in enumerate(words) if w in NOUNS]
    if difficulty >= 3 and nouns and rng.random() < 0.25:
        words[nouns[int(rng.integers(len(nouns)))]] += "'s"  # cat's -> cats, a new token
    words[0] = words[0][:1].upper() + words[0][1:]
    end = "." if difficulty == 1 else ".!?"[int(rng.integers(3))]
    return " ".join(words) + end


def sample(rng: np.random.Generator, difficulty: int, given: dict[str, Any]) -> dict[str, Any]:
    pool_n, n_sent, per_sent, query_n, n_modes = LEVELS[difficulty]
    order = rng.permutation(len(WORDS))
    pool = [WORDS[i] for i in order[: _between(rng, pool_n)]]
    spare = [WORDS[i] for i in order[len(pool) :]]
    corpus_words = [
        [pool[int(i)] for i in rng.integers(len(pool), size=_between(rng, per_sent))]
        for _ in range(_between(rng, n_sent))
    ]
    corpus = [_sentence(rng, ws, difficulty) for ws in corpus_words]
    modes = sorted(
        rng.choice(T.MODES, size=_between(rng, n_modes), replace=False).tolist(),
        key=T.MODES.index,
    )
    fixed = given.get("output_mode")
    if isinstance(fixed, str):
        modes = [fixed]
    elif isinstance(fixed, list) and all(isinstance(m, str) for m in fixed):
        modes = fixed

    seen = sorted({w for ws in corpus_words for w in ws})
    q = [seen[int(i)] for i in rng.integers(len(seen), size=_between(rng, query_n) - 1)]
    q.insert(int(rng.integers(len(q) + 1)), q[int(rng.integers(len(q)))])  # a repeated word
    if difficulty == 3 or (difficulty == 2 and rng.random() < 0.5):
        q[int(rng.integers(1, len(q)))] = spare[0]  # out of vocabulary
    query = _sentence(rng, q, min(difficulty, 2))

    max_tokens = None
    if difficulty == 3:
        distinct = len(T.token_counts(corpus))
        learned = max(3, distinct - _between(rng, (1, 3)))
        if learned < distinct:
            front = T.reserved("int" if "int" in modes else "multi_hot")
            max_tokens = learned + len(front)
    length = None
    if "int" in modes and difficulty >= 2 and rng.random() < 0.5:
        n = len(T.tokenize(query))
        length = max(1, n + int(rng.choice([-2, -1, 1, 2])))
    return dict(zip(PARAMS, (corpus, query, max_tokens, modes, length)))


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_CHARS or not set(value) <= _ALLOWED:
        raise ParamError(name, f"a string of at most {MAX_CHARS} printable ASCII characters", value)
    return value


def validate(p: dict[str, Any]) -> dict[str, Any]:
    corpus = p["corpus"]
    if not isinstance(corpus, list) or not 1 <= len(corpus) <= MAX_SENTENCES:
        raise ParamError("corpus", f"a list of 1 to {MAX_SENTENCES} sentences (strings)", corpus)
    corpus = [_text("corpus", s) for s in corpus]
    if not T.token_counts(corpus):
        raise ParamError("corpus", "sentences with at least one word after standardization")
    query = _text("query", p["query"])
    modes = p["output_mode"]
    if isinstance(modes, str):
        modes = [modes]
    if not isinstance(modes, list) or not modes:
        raise ParamError("output_mode", "a mode or a list of modes: int, multi_hot, count", modes)
    for m in modes:
        P.choice("output_mode", m, T.MODES)
    modes = [m for m in T.MODES if m in modes]
    max_tokens = p["max_tokens"]
    if max_tokens is not None:
        lo = 3 if "int" in modes else 2  # room for at least one word after the reserved entries
        max_tokens = P.integer("max_tokens", max_tokens, lo=lo)
    length = p["output_sequence_length"]
    if length is not None:
        if "int" not in modes:
            raise ParamError("output_sequence_length", "null unless output_mode includes 'int'")
        length = P.integer("output_sequence_length", length, lo=1, hi=64)
    return dict(zip(PARAMS, (corpus, query, max_tokens, modes, length)))


def _answers(
    p: dict[str, Any],
    counts: Counter,
    tokens: list[str],
    *,
    order: str = "keras",
    layout: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Every part's answer under one reading of the rules (the key or a misconception).

    ``counts`` are the corpus token counts and ``tokens`` the query's tokens; ``layout`` maps
    each asked mode to the mode whose reserved entries it uses (the swap is the
    index_off_by_one misconception).
    """
    modes = p["output_mode"]
    layout = layout or {m: m for m in modes}
    vocabs = {m: T.vocabulary(counts, layout[m], p["max_tokens"], order) for m in modes}
    out: dict[str, Any] = {}
    ids = _part_ids(modes)
    out[ids[0]] = vocabs[modes[0]]
    if len(ids) == 2:
        out[ids[1]] = vocabs[modes[-1]]
    for m in modes:
        length = p["output_sequence_length"] if m == "int" else None
        out[m] = T.encode(tokens, vocabs[m], m, length)
    return out


def _without_reserved(key: dict[str, Any], modes: list[str]) -> dict[str, Any]:
    """The vectors written as if the vocabulary had no reserved entries (the
    ``no_reserved_tokens`` misconception): int indices 2 lower (only when every query word is
    known, so no [UNK] is needed), multi_hot/count vectors without the leading [UNK] entry."""
    out: dict[str, Any] = {}
    for m in modes:
        v = key[m]
        if m == "int":
            if 1 not in v and any(i >= 2 for i in v):
                out[m] = [i - 2 if i >= 2 else i for i in v]
        elif len(v) > 1:
            out[m] = v[1:]
    return out


def _part_ids(modes: list[str]) -> list[str]:
    """``vocabulary`` for the first mode's layer, ``bag_vocabulary`` when int and a bag mode mix."""
    if len({_FAMILY[m] for m in modes}) == 2:
        return ["vocabulary", "bag_vocabulary"]
    return ["vocabulary"]


def _tokens_text(tokens: list[str]) -> str:
    return "[" + ", ".join(repr(t) for t in tokens) + "]"


def solve(p: dict[str, Any]) -> Solved:
    modes = p["output_mode"]
    counts = T.token_counts(p["corpus"])
    tokens = T.tokenize(p["query"])
    key = _answers(p, counts, tokens)
    ids = _part_ids(modes)
    labels = {
        "vocabulary": "Vocabulary, layer.get_vocabulary()",
        "bag_vocabulary": "Vocabulary of the "
        + " and ".join(m for m in modes if m != "int")
        + (" layers" if len(modes) == 3 else " layer"),
        "int": "int output for the query",
        "multi_hot": "multi_hot output for the query",
        "count": "count output for the query",
    }
    if len(ids) == 2:
        labels["vocabulary"] = "Vocabulary of the int layer"
    parts = [Part(i, labels[i], "tokens", key[i]) for i in ids]
    parts += [Part(m, labels[m], "vector", key[m]) for m in modes]

    steps: list[dict[str, Any]] = [
        {
            "step": "text",
            "text": "Standardize (lowercase, delete punctuation) and split on whitespace:",
        }
    ]
    for s in p["corpus"]:
        steps.append({"step": "text", "text": f"{s!r} → {_tokens_text(T.tokenize(s))}"})
    ordered = T.order_tokens(counts)
    groups: dict[int, list[str]] = {}
    for t in ordered:
        groups.setdefault(counts[t], []).append(t)
    steps.append(
        {
            "step": "text",
            "text": "Counts, most frequent first; equal counts in reverse alphabetical order: "
            + "; ".join(f"{c}× " + ", ".join(ws) for c, ws in groups.items()),
        }
    )
    for part_id in ids:
        vocab = key[part_id]
        mode = modes[0] if part_id == "vocabulary" else modes[-1]
        front = T.reserved(mode)
        text = f"{labels[part_id]}: " + ", ".join(f"{i} {t!r}" for i, t in enumerate(vocab))
        if p["max_tokens"]:
            dropped = ordered[p["max_tokens"] - len(front) :]
            if dropped:
                text += (
                    f" (max_tokens={p['max_tokens']} keeps {p['max_tokens'] - len(front)} words "
                    f"after {len(front)} reserved; dropped: {', '.join(dropped)})"
                )
        steps.append({"step": "text", "text": text})
    steps.append({"step": "text", "text": f"Query {p['query']!r} → {_tokens_text(tokens)}"})
    for m in modes:
        vocab = key[ids[0]] if _FAMILY[m] == _FAMILY[modes[0]] else key[ids[-1]]
        ids_of = T.lookup(tokens, vocab)
        if m == "int":
            text = "int: " + ", ".join(
                f"{t}→{i}" + (" ([UNK])" if i == 1 else "") for t, i in zip(tokens, ids_of)
            )
            n = p["output_sequence_length"]
            if n is not None and n > len(tokens):
                text += f"; padded with 0 to output_sequence_length={n}"
            elif n is not None and n < len(tokens):
                text += f"; truncated to output_sequence_length={n}"
        else:
            hits = sorted(set(ids_of))
            text = f"{m}: " + ", ".join(f"index {i} {vocab[i]!r} ×{ids_of.count(i)}" for i in hits)
        steps.append({"step": "text", "text": text})
        steps.append({"step": "vector", "label": f"{m} output", "value": key[m]})

    wrong: dict[str, dict[str, Any]] = {}
    swapped = {m: ("multi_hot" if m == "int" else "int") for m in modes}
    wrong["index_off_by_one"] = _answers(p, counts, tokens, layout=swapped)
    if "multi_hot" in modes:
        bag = key[ids[-1]]  # multi_hot and count share the bag-of-words vocabulary
        wrong["count_instead_of_multi_hot"] = {"multi_hot": T.encode_count(tokens, bag)}
    if "count" in modes:
        wrong["multi_hot_instead_of_count"] = {"count": [min(c, 1) for c in key["count"]]}
    unreserved = _without_reserved(key, modes)
    if unreserved:
        wrong["no_reserved_tokens"] = unreserved
    wrong["ties_alphabetical"] = _answers(p, counts, tokens, order="ties_alphabetical")
    wrong["alphabetical_vocabulary"] = _answers(p, counts, tokens, order="alphabetical")
    raw_counts = T.token_counts(p["corpus"], standardized=False)
    wrong["no_standardize"] = _answers(p, raw_counts, T.tokenize(p["query"], standardized=False))
    return Solved(parts, steps, wrong)


def degenerate(p: dict[str, Any], solved: Solved) -> str | None:
    key = {part.id: part.answer for part in solved.parts}
    tokens = T.tokenize(p["query"])
    if len(tokens) < 2:
        return "query with fewer than two words"
    for part_id in ("vocabulary", "bag_vocabulary"):
        vocab = key.get(part_id)
        if vocab is None:
            continue
        learned = [t for t in vocab if t not in (T.MASK, T.OOV)]
        if len(learned) < 3:
            return "fewer than three words in the vocabulary"
        if not set(tokens) & set(learned):
            return "no query word in the vocabulary"
    return None


KIND = Kind(
    name="text_vectorization",
    version=1,
    summary="Keras TextVectorization: standardize, vocabulary, int / multi_hot / count vectors",
    params=PARAMS,
    sample=sample,
    validate=validate,
    solve=solve,
    degenerate=degenerate,
    defaults={"max_tokens": None, "output_mode": "int", "output_sequence_length": None},
)
