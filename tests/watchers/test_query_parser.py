"""The query language's parser: every construct, every error (with its column), and never a crash."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchers.errors import QuerySyntaxError
from watchers.query.nodes import (
    AllOf,
    AnyOf,
    FromSource,
    InField,
    InLanguage,
    Near,
    Not,
    Phrase,
    Prefix,
    Window,
    Word,
)
from watchers.query.parser import DEFAULT_WINDOW, parse


def w(text: str) -> Word:
    return Word(text, text.lower())


def test_plain_words_form_a_window() -> None:
    assert parse("NATO expansion") == Window((Word("NATO", "nato"), w("expansion")), DEFAULT_WINDOW)
    assert parse("grain") == w("grain")


def test_phrases_fold_quotes_case_and_hyphens() -> None:
    expected = Phrase(("russia", "ukraine"))
    assert parse('"Russia-Ukraine"') == expected
    assert parse("“Russia Ukraine”") == expected
    assert parse("Russia-Ukraine") == expected  # a hyphenated bare word is the phrase of its parts
    assert parse('"NATO’s"') == Phrase(("nato",))


def test_boolean_operators_and_precedence() -> None:
    a, b, c = w("a"), w("b"), w("c")
    assert parse("a OR b") == AnyOf((a, b))
    assert parse("a AND b") == AllOf((a, b))
    assert parse("a OR b c") == Window((AnyOf((a, b)), c), DEFAULT_WINDOW)
    assert parse("a AND b OR c") == AllOf((a, AnyOf((b, c))))
    assert parse("(a b) AND c") == AllOf((Window((a, b), DEFAULT_WINDOW), c))
    assert parse("a and b") == Window((a, w("and"), b), DEFAULT_WINDOW)  # lower case is a word


def test_negation_forms() -> None:
    assert parse("NATO -stadium") == AllOf((Word("NATO", "nato"), Not(w("stadium"))))
    assert parse("NATO NOT stadium") == parse("NATO -stadium")
    assert parse("NATO expansion -stadium") == AllOf(
        (Window((Word("NATO", "nato"), w("expansion")), DEFAULT_WINDOW), Not(w("stadium")))
    )
    assert parse("NATO - expansion") == Window((Word("NATO", "nato"), w("expansion")), DEFAULT_WINDOW)


def test_near_wildcard_and_scopes() -> None:
    assert parse("NATO NEAR/5 (expansion OR enlargement)") == Near(
        Word("NATO", "nato"), AnyOf((w("expansion"), w("enlargement"))), 5
    )
    assert parse("Ukrain*") == Prefix("ukrain")
    assert parse("title:NATO") == InField("title", Word("NATO", "nato"))
    assert parse("text:(a OR b)") == InField("text", AnyOf((w("a"), w("b"))))
    assert parse('source:"BBC News"') == FromSource(("bbc", "news"))
    assert parse("source:reut*") == FromSource(("reut",), prefix=True)
    assert parse("lang:FR grain") == AllOf((w("grain"), InLanguage("fr")))


@pytest.mark.parametrize(
    ("query", "column", "reason"),
    [
        ("", 1, "empty query"),
        ("   ", 1, "empty query"),
        ("NATO (expansion", 6, "unbalanced parenthesis"),
        ("NATO expansion)", 15, "unbalanced parenthesis"),
        ("(NATO OR (expansion)", 1, "unbalanced parenthesis"),
        ("()", 1, "empty parentheses"),
        ('NATO "expansion', 6, "unclosed quote"),
        ('""', 1, "empty phrase"),
        ("NATO NEAR expansion", 6, "NEAR needs a number"),
        ("NATO NEAR/x expansion", 6, "NEAR needs a number"),
        ("a NEAR/0 b", 3, "NEAR distance must be between 1 and 100"),
        ("a NEAR/101 b", 3, "NEAR distance must be between 1 and 100"),
        ("a NEAR/3", 3, "NEAR/3 needs a term on both sides"),
        ("NEAR/3 a", 1, "NEAR/3 needs a term on both sides"),
        ("a NEAR/3 -b", 10, "NEAR joins words, phrases or (… OR …) groups"),
        ("a NEAR/3 title:b", 10, "NEAR joins words, phrases or (… OR …) groups"),
        ("a OR", 3, "OR needs a term on both sides"),
        ("OR a", 1, "OR needs a term on both sides"),
        ("a OR OR b", 3, "OR needs a term on both sides"),
        ("a AND", 3, "AND needs a term on both sides"),
        ("AND a", 1, "AND needs a term on both sides"),
        ("a NOT", 3, "NOT needs a term after it"),
        ("Uk*", 1, "a wildcard needs at least 3 letters before *"),
        ("*", 1, "a wildcard needs at least 3 letters before *"),
        ("Uk*raine", 3, "* is only allowed at the end of a word"),
        ("foo:bar", 1, "unknown field 'foo:'"),
        ("title: NATO", 1, "title: needs a term right after it"),
        ("title:", 1, "title: needs a term right after it"),
        ("lang:english", 6, "lang: needs a language code"),
        ("source:(a OR b)", 8, 'source: takes a word or a "phrase"'),
        ("-stadium", 1, "the query only excludes"),
        ("NOT a AND -b", 1, "the query only excludes"),
        ("(" * 60 + "a" + ")" * 60, 21, "the query is nested too deeply"),
        ("a" * 2001, 2001, "the query is longer than 2000 characters"),
    ],
)
def test_every_error_names_its_column(query: str, column: int, reason: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse(query)
    assert info.value.reason == reason
    assert info.value.column == column
    assert f"at column {column}" in str(info.value)


def test_errors_carry_a_hint() -> None:
    with pytest.raises(QuerySyntaxError, match=r"NEAR needs a number at column 6 \(write it like NEAR/5\)"):
        parse("NATO NEAR expansion")


_PIECES = st.sampled_from(
    ["NATO", "expansion", "AND", "OR", "NOT", "-", "(", ")", '"', "“", "NEAR/3", "NEAR", "*", "Ukr*",
     "title:", "»", "«", "„", "source:", "lang:", "lang:en", ":", "é", "’s", " ", "  ", "\n", "0", "NEAR/0"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=60), st.lists(_PIECES, max_size=20).map("".join)))
def test_parsing_never_crashes(query: str) -> None:
    column = 0
    try:
        parse(query)
    except QuerySyntaxError as exc:
        column = exc.column
    else:
        return
    assert 1 <= column <= len(query) + 1
