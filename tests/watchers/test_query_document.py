"""An indexed field locates, counts (in its NUL-joined tokens) and spans tokens exactly as the reference
tokeniser says."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from watchers.query import document
from watchers.query.document import LEAD_WORDS, PARAGRAPH, index_field
from watchers.query.normalise import TOKEN
from watchers.query.parser import parse
from watchers.query.plan import build_plan

_ALPHABET = (
    "aBsS9 _-.,'`\u2019\u2018\u02bc\u00b4\u2032\n\r\t\x0b\x1c"
    "\u201c\u201d\u2014\u2026\u00a0\u00e9\u0301\u0439\u00df"
)
_WORDS = ["NATO", "Nato\u2019s", "expansion", "expands", "grain", "grains", "export", "Ukraine", "ukrainian"]
_QUERIES = ["NATO", "expansion", "grain", '"grain export"', "ukrain*", "export"]


def _paragraph_positions(tokens: list[str]) -> list[int]:
    """The position of every token: its index plus PARAGRAPH times the newlines before it."""
    out, paragraph = [], 0
    for index, token in enumerate(tokens):
        out.append(index + paragraph * PARAGRAPH)
        paragraph += token == "\n"
    return out


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=80) | st.text(max_size=80))
def test_every_token_spans_its_own_characters(text: str) -> None:
    field = index_field(text, build_plan("en", []))
    matches = list(TOKEN.finditer(text))
    positions = _paragraph_positions([m.group() for m in matches])
    for match, position in zip(matches, positions, strict=True):
        if match.group() != "\n":
            assert field.span(position) == match.span()


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [*_WORDS, "the", "of", "\n", ".", "\u2014", "Caf\u00e9", "\u0432\u044b\u0431\u043e\u0440\u044b"]
        ),
        max_size=260,
    )
)
@example(["NATO"] * 70 + ["grain", "\n"] * 20)  # a key at every token around the end of the lead
def test_positions_and_counts_agree_with_the_tokens(words: list[str]) -> None:
    for scanned in (0, 3, 1000):  # count every token at once from the start, after a few forms, never
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(document, "SCANNED_FORMS", scanned)
            _check_positions_and_counts(words)


def _check_positions_and_counts(words: list[str]) -> None:
    plan = build_plan("en", [parse(query) for query in _QUERIES])
    field = index_field(" ".join(words), plan)
    positions = _paragraph_positions(field.tokens)
    keys = sorted(field.keys)
    for key in keys:
        indexes = [i for i, token in enumerate(field.tokens) if key in plan.keyed.get(token, ())]
        assert field.positions(key) == [positions[i] for i in indexes]
        assert field.count((key,)) == (len(indexes), sum(i < LEAD_WORDS for i in indexes))
    every = tuple(keys)
    carrying = [i for i, token in enumerate(field.tokens) if set(plan.keyed.get(token, ())) & set(every)]
    assert field.count(every) == (len(carrying), sum(i < LEAD_WORDS for i in carrying))


@pytest.mark.parametrize(
    "text",
    [
        "Plain words only\nand a second  paragraph,  with   commas.\n\n\nLast one",
        "NATO’s “expansion” — don't stop\nO'Brien's rock`n`roll, James' \tcat\r\n  end",
        "Café au lait, выборы 2024; naïve co\u0301operation\nsecond  line’s words",
        "\n\n  leading newlines and trailing spaces  \n",
    ],
)
def test_spans_of_every_token_in_every_paragraph(text: str) -> None:
    field = index_field(text, build_plan("en", []))
    matches = list(TOKEN.finditer(text))
    positions = _paragraph_positions([m.group() for m in matches])
    for match, position in reversed(list(zip(matches, positions, strict=True))):  # last lines first
        if match.group() != "\n":
            assert field.span(position) == match.span()
