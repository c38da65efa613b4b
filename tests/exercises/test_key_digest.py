"""The key digest's two forms (issue 12: a key is verified before use; check-all under 3 s).

Keys written before ``digest_algorithm`` existed keep verifying with the ``json.dumps`` form;
``grade build`` now writes the orjson form, which costs a class key 0.03 s instead of 0.3 s.
Either way an edited key is refused unless the instructor allows it.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from convgrade.exercises.answer_sheets import AnswerFileError, load_key
from convgrade.exercises.key_digest import (
    FAST,
    LEGACY,
    digest_fields,
    key_digest,
    marked_content,
    parse_json,
)

from tests.key_helpers import make_key


@pytest.fixture(scope="module")
def key():
    key = make_key(["conv1d", "text_vectorization"], n_students=2, seed=3)
    key["students"][0]["name"] = "Zoë Ñúñez"  # non-ASCII: the two forms write it differently
    return key


def write(path, key, **fields):
    path.write_text(json.dumps({**key, **fields}, indent=1), encoding="utf-8")
    return path


def legacy_digest(key) -> str:
    """The digest as keys were written before digest_algorithm (the former key_digest)."""
    text = json.dumps(marked_content(key), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def test_build_writes_the_fast_form_and_it_verifies(tmp_path, key):
    fields = digest_fields(key)
    assert fields["digest_algorithm"] == FAST
    assert fields["digest"] != legacy_digest(key)
    loaded = load_key(write(tmp_path / "key.json", key, **fields))
    assert [q.id for q in loaded.questions] == ["q1", "q2"]


def test_a_key_written_before_digest_algorithm_still_verifies(tmp_path, key):
    path = write(tmp_path / "key.json", key, digest=legacy_digest(key))
    assert load_key(path).students["s001"]["name"] == "Zoë Ñúñez"
    assert key_digest(json.loads(path.read_text())) == legacy_digest(key)


@pytest.mark.parametrize("algorithm", [FAST, LEGACY])
def test_an_edited_key_is_refused_in_either_form_unless_allowed(tmp_path, key, algorithm):
    fields = {"digest_algorithm": algorithm, "digest": key_digest(key, algorithm)}
    assert load_key(write(tmp_path / "key.json", key, **fields))
    for edit in ("answer", "points", "kind"):
        bad = json.loads(json.dumps(key))
        ex = bad["students"][1]["exercises"]["q1"]
        if edit == "answer":
            ex["parts"][0]["answer"] = 99
        elif edit == "points":
            bad["questions"][1]["points"] = 40
        else:
            bad["questions"][0]["kind"] = "conv2d"
        path = write(tmp_path / "key.json", bad, **fields)
        with pytest.raises(AnswerFileError, match="the key was changed after `grade build`"):
            load_key(path)
        assert load_key(path, allow_edited=True)


def test_an_unknown_algorithm_is_named(tmp_path, key):
    path = write(tmp_path / "key.json", key, digest_algorithm="md5", digest="0" * 32)
    with pytest.raises(AnswerFileError) as err:
        load_key(path)
    assert "unknown digest_algorithm 'md5'" in str(err.value)
    assert FAST in str(err.value) and "--allow-edited-key" in str(err.value)
    assert load_key(path, allow_edited=True)


def test_the_fast_form_refuses_what_only_json_reads(tmp_path, key):
    """orjson writes NaN as null: a fast-form key that needs Python's json (NaN, huge
    integers) is not one build wrote, even if its digest was taken over the nulls."""
    bad = json.loads(json.dumps(key))
    bad["students"][0]["exercises"]["q1"]["parts"][0]["answer"] = None
    fields = {"digest_algorithm": FAST, "digest": key_digest(bad, FAST)}
    path = write(tmp_path / "key.json", bad, **fields)
    assert load_key(path)
    path.write_text(path.read_text().replace('"answer": null', '"answer": NaN', 1))
    with pytest.raises(AnswerFileError, match="was changed after `grade build`"):
        load_key(path)


def test_parse_json_reads_like_json_and_names_the_line():
    text = '{"a": [1, 2.5, "é"], "b": {"c": null}}'
    assert parse_json(text) == (json.loads(text), True)
    odd = '{"n": NaN, "big": 123456789012345678901234567890}'
    data, standard = parse_json(odd)
    assert not standard and data["big"] == 123456789012345678901234567890
    with pytest.raises(json.JSONDecodeError) as err:
        parse_json('{\n  "a": 1,\n  "b": oops\n}')
    assert (err.value.lineno, err.value.colno) == (3, 8)


def test_the_two_forms_are_pinned():
    """Changing either canonical form would make every key written with it fail to verify."""
    d = {"questions": [{"id": "q1", "points": 2.5, "title": "Größe"}], "students": []}
    assert key_digest(d, LEGACY) == legacy_digest(d)
    assert key_digest(d, LEGACY) == (
        hashlib.sha256(
            b'{"questions":[{"id":"q1","points":2.5,"title":"Gr\\u00f6\\u00dfe"}],'
            b'"students":[],"variants":{}}'
        ).hexdigest()
    )
    assert key_digest(d, FAST) == (
        hashlib.sha256(
            '{"questions":[{"id":"q1","points":2.5,"title":"Größe"}],'
            '"students":[],"variants":{}}'.encode()
        ).hexdigest()
    )
