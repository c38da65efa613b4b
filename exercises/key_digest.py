"""Read JSON fast; the digest ``grade build`` writes into a key and ``grade check`` verifies.

A class key is about 25 MB of JSON. :func:`parse_json` reads it with orjson (about twice as
fast as :mod:`json`); text orjson refuses goes to :mod:`json`, which either reads it (``NaN``,
integers past 64 bits) or raises the error that names the line. The digest is SHA-256 over what
marking uses from a key (:func:`marked_content`) in a canonical JSON form; ``digest_algorithm``
says which form, so keys written before the field existed still verify:

- ``sha256-orjson-sorted`` (written since): orjson's output with sorted keys, UTF-8, about
  0.03 s for a class key; only for keys that are standard JSON (orjson reads and writes them
  exactly).
- ``sha256-json-sorted-ascii`` (keys without the field): ``json.dumps`` with sorted keys,
  compact separators and ASCII escapes, about 0.3 s.

A digest catches edits, not forgery: whoever can edit the key can recompute it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import orjson

FAST = "sha256-orjson-sorted"
LEGACY = "sha256-json-sorted-ascii"


def parse_json(text: str) -> tuple[Any, bool]:
    """``(data, standard)``: the data of JSON ``text`` and whether orjson read it (standard JSON:
    no ``NaN``/``Infinity``, integers within 64 bits). Raises :class:`json.JSONDecodeError`
    (with ``lineno`` and ``colno``) or :class:`RecursionError` as :func:`json.loads` does."""
    try:
        return orjson.loads(text), True
    except orjson.JSONDecodeError:
        pass  # invalid, or beyond what orjson reads: json gives the data or the line of the error
    return json.loads(text), False


def marked_content(d: dict[str, Any]) -> dict[str, Any]:
    """What marking uses from a key: the questions (kinds, points, part points, styles), each
    student's id and exercises, and the variants."""
    return {
        "questions": d.get("questions"),
        "students": [
            {"id": s.get("id"), "exercises": s.get("exercises")}
            for s in d.get("students") or []
            if isinstance(s, dict)
        ],
        "variants": d.get("variants") or {},
    }


def _orjson_sorted(marked: dict[str, Any]) -> bytes:
    return orjson.dumps(marked, option=orjson.OPT_SORT_KEYS)


def _json_sorted_ascii(marked: dict[str, Any]) -> bytes:
    text = json.dumps(marked, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return text.encode()


#: ``digest_algorithm`` -> the canonical bytes of a key's marked content; the one registry.
ALGORITHMS: dict[str, Callable[[dict[str, Any]], bytes]] = {
    FAST: _orjson_sorted,
    LEGACY: _json_sorted_ascii,
}


def key_digest(d: dict[str, Any], algorithm: str = LEGACY) -> str:
    """SHA-256 (hex) of the key ``d``'s marked content in the canonical form of ``algorithm``.
    Raises ``KeyError`` for an unknown algorithm, ``TypeError``/``ValueError`` for content the
    form cannot hold."""
    return hashlib.sha256(ALGORITHMS[algorithm](marked_content(d))).hexdigest()


def digest_fields(key: dict[str, Any]) -> dict[str, str]:
    """``{"digest_algorithm": ..., "digest": ...}`` for a key about to be written as JSON: the
    fast form where the key is standard JSON orjson writes exactly, else the legacy one."""
    d, standard = parse_json(json.dumps(key))  # the key as load_key will read it
    if standard:
        try:
            return {"digest_algorithm": FAST, "digest": key_digest(d, FAST)}
        except (TypeError, ValueError):  # pragma: no cover - orjson reads what it writes
            pass
    return {"digest_algorithm": LEGACY, "digest": key_digest(d, LEGACY)}


def digest_problem(d: dict[str, Any], standard: bool = True) -> str:
    """Why the key ``d`` (read by :func:`parse_json`, ``standard`` as it returned) does not verify,
    or ``""`` when its ``digest`` matches its content."""
    if "digest" not in d:
        return "has no digest"
    algorithm = d.get("digest_algorithm", LEGACY)
    if algorithm not in ALGORITHMS:
        return (
            f"has an unknown digest_algorithm {algorithm!r} (this convgrade knows "
            f"{', '.join(ALGORITHMS)})"
        )
    if algorithm == FAST and not standard:  # NaN or a huge integer: not what build wrote
        return "was changed after `grade build`"
    try:
        ok = d["digest"] == key_digest(d, algorithm)
    except (TypeError, ValueError, RecursionError):
        ok = False
    return "" if ok else "was changed after `grade build`"
