"""text_vectorization: hand-worked examples, and agreement with Keras TextVectorization.

The oracle is the real layer: for every asked output mode, a fresh
``keras.layers.TextVectorization`` is adapted on the corpus and called on the query; its
``get_vocabulary()`` and output must equal our parts exactly.
"""

from __future__ import annotations

import string

import numpy as np
import pytest
from convgrade.exercises.errors import ParamError
from convgrade.exercises.reference import text as T
from convgrade.exercises.render import render

from convgrade import exercises
from tests.keras_oracle import keras

KIND = "text_vectorization"


def keras_layer(corpus, mode, max_tokens=None, output_sequence_length=None, standardize=True):
    """A TextVectorization layer adapted on ``corpus``."""
    layer = keras().layers.TextVectorization(
        max_tokens=max_tokens,
        output_mode=mode,
        output_sequence_length=output_sequence_length,
        standardize="lower_and_strip_punctuation" if standardize else None,
    )
    layer.adapt(corpus)
    return layer


def keras_answers(p, *, standardize=True) -> dict:
    """What Keras says for each part of an exercise with params ``p``."""
    out = {}
    vocabs = []
    for mode in p["output_mode"]:
        length = p["output_sequence_length"] if mode == "int" else None
        layer = keras_layer(p["corpus"], mode, p["max_tokens"], length, standardize)
        vocabs.append([str(t) for t in layer.get_vocabulary()])
        out[mode] = np.asarray(layer([p["query"]]))[0].astype(int).tolist()
    out["vocabulary"] = vocabs[0]
    if "int" in p["output_mode"] and len(p["output_mode"]) > 1:
        out["bag_vocabulary"] = vocabs[-1]
    return out


def fixed(corpus, query, **kw):
    return exercises.generate(KIND, params={"corpus": corpus, "query": query, **kw})


def test_hand_worked_example():
    # Counts: the 3, every other word 1; ties in reverse alphabetical order.
    ex = fixed(
        ["The cat sat on the mat.", "The dog ate my homework!"],
        "the dog ate the pizza",
        output_mode=["int", "count"],
    )
    words = ["the", "sat", "on", "my", "mat", "homework", "dog", "cat", "ate"]
    assert ex.answer["vocabulary"] == ["", "[UNK]", *words]
    assert ex.answer["bag_vocabulary"] == ["[UNK]", *words]
    assert ex.answer["int"] == [2, 8, 10, 2, 1]
    assert ex.answer["count"] == [1, 2, 0, 0, 0, 0, 0, 1, 0, 1]
    assert ex.misconception("multi_hot_instead_of_count").answers == {
        "count": [1, 1, 0, 0, 0, 0, 0, 1, 0, 1]
    }
    assert ex.misconception("index_off_by_one").answers["int"] == [1, 7, 9, 1, 0]


def test_defaults_and_parts():
    ex = fixed(["a b b"], "b a c")
    assert ex.params["output_mode"] == ["int"]
    assert [p.id for p in ex.parts] == ["vocabulary", "int"]
    assert ex.answer == {"vocabulary": ["", "[UNK]", "b", "a"], "int": [2, 3, 1]}
    ex = fixed(["a b b"], "b a c", output_mode=["count", "multi_hot"], max_tokens=2)
    assert [p.id for p in ex.parts] == ["vocabulary", "multi_hot", "count"]
    assert ex.answer["vocabulary"] == ["[UNK]", "b"]
    assert ex.answer["multi_hot"] == [1, 1]


@pytest.mark.parametrize(
    "bad, name",
    [
        ({"corpus": "a b"}, "corpus"),
        ({"corpus": []}, "corpus"),
        ({"corpus": ["!!! ..."]}, "corpus"),
        ({"corpus": ["caf\u00e9"]}, "corpus"),
        ({"query": 3}, "query"),
        ({"output_mode": "tf_idf"}, "output_mode"),
        ({"output_mode": []}, "output_mode"),
        ({"max_tokens": 2}, "max_tokens"),
        ({"max_tokens": 1, "output_mode": "count"}, "max_tokens"),
        ({"output_sequence_length": 3, "output_mode": "multi_hot"}, "output_sequence_length"),
        ({"output_sequence_length": 0}, "output_sequence_length"),
    ],
)
def test_bad_params_name_the_parameter(bad, name):
    params = {"corpus": ["a b"], "query": "a", **bad}
    with pytest.raises(ParamError) as err:
        exercises.generate(KIND, params=params)
    assert err.value.name == name


def test_cli_bad_mode_is_one_line_error(grade):
    r = grade("generate", KIND, "--param", "output_mode=binary")
    assert r.returncode == 2
    assert r.stderr.strip().startswith("error:") and "output_mode" in r.stderr
    assert "Traceback" not in r.stderr


def test_random_instances_are_fit_to_hand_out():
    for difficulty in (1, 2, 3):
        for seed in range(100):
            ex = exercises.generate(KIND, seed=seed, difficulty=difficulty)
            p = ex.params
            assert all(set(s) <= set(string.printable) for s in p["corpus"])
            tokens = T.tokenize(p["query"])
            assert len(tokens) >= 2
            assert len(ex.answer["vocabulary"]) <= 14
            if difficulty == 3:
                assert p["max_tokens"] is not None
                assert len(ex.answer["vocabulary"]) == p["max_tokens"]
                # the query has a word outside every vocabulary
                assert any(t not in ex.answer["vocabulary"] for t in tokens)
            # a tie among the vocabulary words, so the tie-break rule matters
            assert "ties_alphabetical" in {m.id for m in ex.misconceptions}


def test_renders_in_every_format():
    for seed in range(5):
        ex = exercises.generate(KIND, seed=seed, difficulty=3)
        for fmt in ("text", "markdown", "html"):
            out = render(ex, fmt, solution=True)
            assert "TextVectorization" in out
            assert "adapt(corpus)" in out
    html = render(fixed(["It's <b>bold</b> & fun"], "fun fun"), "html", solution=True)
    assert "&lt;b&gt;" in html and "<b>bold" not in html


# --- cross-checks against the real layer ------------------------------------------------------


@pytest.mark.tf
@pytest.mark.parametrize("difficulty, seeds", [(1, 100), (2, 150), (3, 250)])
def test_agrees_with_keras(difficulty, seeds):
    for seed in range(seeds):
        ex = exercises.generate(KIND, seed=seed, difficulty=difficulty)
        assert keras_answers(ex.params) == ex.answer, ex.params


@pytest.mark.tf
def test_no_standardize_misconception_is_keras_with_standardize_none():
    for seed in range(40):
        ex = exercises.generate(KIND, seed=seed, difficulty=2 + seed % 2)
        want = keras_answers(ex.params, standardize=False)
        got = {**ex.answer, **ex.misconception("no_standardize").answers}
        assert got == want, ex.params


@pytest.mark.tf
def test_tie_break_is_reverse_byte_order():
    # Every token occurs twice: order is decided by the tie-break alone.
    words = ["b", "a", "c", "ab", "b2", "10", "9", "zz", "Z"]
    corpus = [" ".join(words), " ".join(reversed(words))]
    vocab = [str(t) for t in keras_layer(corpus, "int").get_vocabulary()]
    assert vocab == ["", "[UNK]", "zz", "z", "c", "b2", "b", "ab", "a", "9", "10"]
    ex = fixed(corpus, "a b", output_mode=["int", "multi_hot"])
    assert ex.answer["vocabulary"] == vocab
    assert ex.answer["bag_vocabulary"] == vocab[1:]
    # Counts still come first: a more frequent word precedes the tie group.
    corpus = ["apple kiwi banana", "kiwi apple cherry", "cherry date"]
    vocab = [str(t) for t in keras_layer(corpus, "count").get_vocabulary()]
    assert vocab == ["[UNK]", "kiwi", "cherry", "apple", "date", "banana"]
    assert fixed(corpus, "a", output_mode="count").answer["vocabulary"] == vocab


@pytest.mark.tf
def test_punctuation_and_whitespace():
    corpus = [
        "It's a well-known fact: a/b (c) [d] {e} #f $g %h &i *j +k ~l `m |n \\o ^p _q",
        '@r <s> =t "u" !v ?w ;x y.z, A\tB\nC\x0bD\x0cE\rF  G',
        "Don't STOP... don't-stop!",
    ]
    query = "don't stop IT'S a (c) q"
    for mode in ("int", "multi_hot", "count"):
        p = {
            "corpus": corpus,
            "query": query,
            "max_tokens": None,
            "output_mode": [mode],
            "output_sequence_length": None,
        }
        ex = exercises.generate(KIND, params=p)
        assert keras_answers(ex.params) == ex.answer
    assert T.tokenize(corpus[0])[:4] == ["its", "a", "wellknown", "fact"]


@pytest.mark.tf
@pytest.mark.parametrize("max_tokens", [3, 4, 5, 6, 7, 50])
def test_max_tokens_truncates_inside_a_tie_group(max_tokens):
    corpus = ["red red red blue blue green", "pink grey blue, Green!", "tan PINK red"]
    for modes in (["int"], ["multi_hot"], ["count"], ["int", "multi_hot", "count"]):
        ex = fixed(corpus, "red green tan tan violet", output_mode=modes, max_tokens=max_tokens)
        assert keras_answers(ex.params) == ex.answer, (modes, max_tokens)
        front = 2 if modes[0] == "int" else 1
        assert len(ex.answer["vocabulary"]) == min(max_tokens, front + 6)


@pytest.mark.tf
@pytest.mark.parametrize("length", [1, 3, 5, 8])
def test_output_sequence_length_pads_and_truncates(length):
    ex = fixed(["one two two three"], "Two one four two three", output_sequence_length=length)
    assert keras_answers(ex.params) == ex.answer
    assert len(ex.answer["int"]) == length


@pytest.mark.tf
def test_readme_example():
    ex = fixed(
        ["The cat sat.", "A dog, a CAT!"], "the cat and the dog", output_mode=["int", "multi_hot"]
    )
    assert ex.answer == {
        "vocabulary": ["", "[UNK]", "cat", "a", "the", "sat", "dog"],
        "bag_vocabulary": ["[UNK]", "cat", "a", "the", "sat", "dog"],
        "int": [4, 2, 1, 4, 6],
        "multi_hot": [1, 1, 0, 1, 0, 1],
    }
    assert keras_answers(ex.params) == ex.answer
