"""The fast tokeniser gives exactly the tokens of the reference regular expression."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchers.query.normalise import TOKEN, fold, split_text, split_tokens

_STRAIGHT = str.maketrans("\u2019\u2018", "''")

# Characters where tokenising is subtle: apostrophes of every kind, possessive s, underscores, hyphens,
# newlines and other whitespace, the punctuation the fast path swaps, accents, combining marks, Cyrillic.
_ALPHABET = (
    "aBsS9 _-.,'`\u2019\u2018\u02bc\u00b4\u2032\n\r\t\x0b\x1c"
    "\u201c\u201d\u2014\u2026\u00a0\u00e9\u0301\u0439\u00df"
)


def reference(text: str) -> list[str]:
    return [token.translate(_STRAIGHT) for token in TOKEN.findall(text)]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "NATO's expansion",
        "NATO\u2019s expansion \u2014 \u201cquoted\u201d\u2026",
        "NATO's's don't 's 'sx James' O'Brien's rock`n`roll",
        "foo_bar Russia-Ukraine\r\nnext\n\nparagraph\n",
        "caf\u00e9 \u0432\u044b\u0431\u043e\u0440\u044b",
        "a's1 a's. a'S",
    ],
)
def test_examples_tokenise_like_the_regex(text: str) -> None:
    assert [t.translate(_STRAIGHT) for t in split_tokens(text)] == reference(text)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=60) | st.text(max_size=60))
def test_any_text_tokenises_like_the_regex(text: str) -> None:
    fast = split_tokens(text)
    assert [t.translate(_STRAIGHT) for t in fast] == reference(text)
    assert [fold(t) for t in fast] == [fold(t) for t in TOKEN.findall(text)]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_ALPHABET + "ABCXYZ", max_size=60) | st.text(max_size=60))
def test_lower_cased_tokens_fold_and_count_like_the_originals(text: str) -> None:
    original = split_tokens(text)
    lowered = split_tokens(text, lower=True)
    assert [len(t) for t in lowered] == [len(t) for t in original]  # same spans
    assert [fold(t) for t in lowered] == [fold(t) for t in original]
    assert lowered in (original, [t.lower() for t in original])  # ASCII is lower-cased, other text kept


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_ALPHABET + "ABCXYZ", max_size=60) | st.text(max_size=60))
def test_split_text_keeps_offsets_and_counts_newlines(text: str) -> None:
    cut, tokens, breaks = split_text(text, lower=True)
    assert tokens == split_tokens(text, lower=True)
    assert len(cut) == len(text)
    assert breaks is None or breaks == [i for i, token in enumerate(tokens) if token == "\n"]
    at = 0
    for token in tokens:  # every token is found in the cut text in order, where the regex finds it
        at = cut.index(token, at)
        at += len(token)
    assert [cut[m.start() : m.end()] for m in TOKEN.finditer(text)] == tokens
