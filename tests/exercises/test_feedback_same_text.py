"""The feedback shortcuts (issue 12: check-all under 3 s) give exactly the text of the plain
versions: `_tidy`'s substitutions skipped where they cannot match, `wordwrap` cached."""

from __future__ import annotations

import re

import jinja2
from convgrade.exercises.feedback import _tidy
from convgrade.exercises.render import environment
from hypothesis import given
from hypothesis import strategies as st

TEXT = st.text(alphabet=" \t\nab·−", max_size=60)


def plain_tidy(text: str) -> str:
    """_tidy as it was: both substitutions always."""
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


@given(TEXT)
def test_tidy_equals_the_plain_substitutions(text):
    assert _tidy(text) == plain_tidy(text)


WRAP = "{{ s | wordwrap(w) }}|{{ s | wordwrap(w, break_long_words=False) }}"


@given(st.text(alphabet=" \nabc-", max_size=200), st.integers(5, 30))
def test_cached_wordwrap_equals_jinjas(text, width):
    env = environment("text")
    assert env.filters["wordwrap"] is not jinja2.filters.do_wordwrap  # the cached one is used
    plain = jinja2.Environment().from_string(WRAP)
    assert env.from_string(WRAP).render(s=text, w=width) == plain.render(s=text, w=width)
