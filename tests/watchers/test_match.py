from __future__ import annotations

import pytest

from watchers.errors import QuerySyntaxError
from watchers.match import compile_query, normalise


def test_all_words_case_and_accent_insensitive() -> None:
    query = compile_query("NATO expansion")
    assert query.match("Nato’s EXPANSION to the east", "").matched
    assert query.match("Title", "the expansion of nato was discussed").matched
    assert not query.match("NATO summit", "nothing else").matched


def test_phrase_must_be_consecutive() -> None:
    query = compile_query('"border with Ukraine"')
    assert query.match("", "troops near the border with Ukraine").matched
    assert not query.match("", "the border, not with Ukraine").matched


def test_hyphen_and_accents_fold() -> None:
    assert normalise("Russia-Ukraine Café") == "russia ukraine cafe"
    assert compile_query('"Russia Ukraine"').match("Russia-Ukraine talks", "").matched
    assert compile_query("cafe").match("Café society", "").matched


def test_spans_point_at_the_matched_text() -> None:
    result = compile_query("grain").match("Grain exports", "more grain here")
    assert result.terms == ("grain",)
    spans = {(h.field, h.start, h.end) for h in result.hits}
    assert spans == {("title", 0, 5), ("text", 5, 10)}
    assert result.score == 5.0  # title 3 + lead 2


@pytest.mark.parametrize(("query", "column"), [('NATO "expansion', 6), ("", 1), ('""', 1), ("  ", 1)])
def test_syntax_errors_carry_the_column(query: str, column: int) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        compile_query(query)
    assert info.value.column == column
    assert f"column {column}" in str(info.value)
