"""Neutralise text that came from a submission before a terminal shows it.

A student controls exception texts, layer names, notes and its worker's stderr. Terminal escape
sequences (colours, cursor moves, OSC titles and links) are removed; every other control
character, and the Unicode controls that reorder or break lines (bidi overrides, U+2028), is
made visible as ``\\xNN`` / ``\\uNNNN``. :func:`one_line` also makes newlines visible, so a
message cannot print a forged "status ok" line under the real one. HTML escaping is the
templates' job (Jinja2 autoescape), CSV formula prefixes the gradebook writers'.
"""

from __future__ import annotations

import re
import unicodedata

#: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), and two-character ESC sequences.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, erase line
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: titles, hyperlinks
    r"|\x1b[@-Z\\-_]"  # two-character sequences
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _visible(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _unsafe(ch: str) -> bool:
    return ch in _BIDI or unicodedata.category(ch) in ("Cc", "Zl", "Zp")


def visible(text: str, *, keep: str = "\n\t") -> str:
    """``text`` with escape sequences removed and other control characters (but ``keep``)
    shown as escapes."""
    text = _ESCAPES.sub("", text)
    return "".join(_visible(c) if c not in keep and _unsafe(c) else c for c in text)


def one_line(text: str) -> str:
    """``text`` safe to print as one line: newlines and tabs are made visible too."""
    return visible(text, keep="")
