"""Matching: the issue's examples verbatim, windows and NEAR at their boundaries, scopes, scores, spans."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchers.query import ArticleText, TopicMatcher, compile_query
from watchers.query.parser import DEFAULT_WINDOW
from watchers.query.result import MatchResult


def run(query: str, title: str = "", text: str = "", **more: str | None) -> MatchResult:
    """The full result of one query (min_score 0: does the query hold at all?)."""
    matcher = TopicMatcher([(0, compile_query(query, min_score=0))])
    return matcher.explain(0, ArticleText(title, text, **more))  # type: ignore[arg-type]


def holds(query: str, title: str = "", text: str = "", **more: str | None) -> bool:
    return run(query, title, text, **more).matched


@pytest.mark.parametrize(
    "text",
    [
        "NATO’s expansion to the east",
        "expansion of NATO",
        "NATO will no longer consider expanding",
        "Nato expands",
    ],
)
def test_the_issue_examples_match(text: str) -> None:
    assert holds("NATO expansion", text=text)
    assert holds("NATO expansion", title=text)


def test_words_in_different_paragraphs_do_not_match() -> None:
    text = (
        "NATO leaders met in Brussels on Tuesday.\n"
        "In other news, the city council approved the expansion of the stadium."
    )
    assert not holds("NATO expansion", text=text)


def test_default_window_boundary() -> None:
    filler = " ".join(["word"] * (DEFAULT_WINDOW - 2))
    assert holds("NATO expansion", text=f"NATO {filler} expansion")  # exactly DEFAULT_WINDOW words
    assert not holds("NATO expansion", text=f"NATO {filler} more expansion")


@pytest.mark.parametrize(("between", "expected"), [(0, True), (5, True), (6, False)])
def test_near_boundary_in_both_orders(between: int, expected: bool) -> None:
    filler = " ".join(["x"] * between)
    assert holds("NATO NEAR/5 expansion", text=f"NATO {filler} expansion") is expected
    assert holds("NATO NEAR/5 expansion", text=f"expansion {filler} NATO") is expected


def test_near_with_alternatives_and_phrases() -> None:
    query = 'NATO NEAR/3 (expansion OR enlargement OR "open door")'
    assert holds(query, text="NATO keeps its open door policy")
    assert holds(query, text="the enlargement of NATO")
    assert not holds(query, text="NATO summit; the door is open")


def test_explicit_and_reaches_across_paragraphs() -> None:
    assert holds("NATO AND stadium", text="NATO met.\nThe stadium grew.")


def test_phrase_is_exact_but_normalised() -> None:
    assert holds('"border with Ukraine"', text="troops near the Border with UKRAINE")
    assert not holds('"border with Ukraine"', text="the border, not with Ukraine")
    assert not holds('"NATO expansion"', text="NATO expands")  # phrases are not stemmed
    assert holds('"Russia-Ukraine war"', text="the Russia Ukraine war")
    assert holds('"Russia Ukraine war"', text="the Russia–Ukraine war".replace("–", "-"))
    assert holds('"cafe society"', text="Café Society")


def test_apostrophes_and_possessives() -> None:
    for form in ("NATO's", "NATO’s", "Nato‘s", "NATOʼs"):
        assert holds('"NATO expansion"', text=f"{form} expansion")
    assert holds("l'OTAN", text="l’OTAN s’élargit")


def test_boolean_logic_and_negation() -> None:
    assert holds("grain OR wheat", text="wheat prices")
    assert not holds("grain -stadium", text="grain for the stadium")
    assert holds("grain -stadium", text="grain exports")
    assert holds("(grain OR wheat) AND export*", text="Wheat harvest.\nExporters are happy.")


def test_wildcard_matches_prefixes_exactly() -> None:
    assert holds("Ukrain*", text="Ukrainian grain")
    assert holds("Ukrain*", text="УКРАЇНА") is False
    assert holds("ukrain*", text="in UKRAINE")
    assert not holds("Ukrain*", text="Kraine")


def test_field_scopes() -> None:
    assert holds("title:NATO", title="NATO summit", text="")
    assert not holds("title:NATO", title="Summit", text="NATO")
    assert holds("text:NATO", title="Summit", text="NATO")
    assert holds("source:reuters grain", text="grain", source="Reuters World")
    assert not holds("source:reuters grain", text="grain", source="BBC")
    assert holds('source:"BBC News" grain', text="grain", source="BBC News")
    assert holds("lang:fr élection", text="les élections", language="fr-FR")
    assert not holds("lang:fr élection", text="les élections", language="en")


@pytest.mark.parametrize(
    ("language", "query", "text"),
    [
        ("en", "election", "the elections were held"),
        ("fr", "élection", "les élections présidentielles"),
        ("de", "Erweiterung", "die Erweiterungen der NATO"),
        ("es", "elección", "las elecciones generales"),
        ("it", "elezione", "le elezioni politiche"),
        ("pt", "presidente", "os presidentes eleitos"),
        ("ru", "выборы", "итоги выборов в парламент"),
    ],
)
def test_stemming_by_article_language(language: str, query: str, text: str) -> None:
    assert holds(query, text=text, language=language)


def test_languages_without_a_stemmer_match_exact_words() -> None:
    assert holds("вибори", text="вибори до парламенту", language="uk")
    assert not holds("вибори", text="виборів до парламенту", language="uk")
    assert holds("NATO", text="NATO ülkeleri", language="xx")


def test_scores_weigh_title_and_lead() -> None:
    body = " ".join(["filler"] * 80)
    assert run("grain", title="Grain").score == 3.0
    assert run("grain", text="grain " + body).score == 2.0
    assert run("grain", text=body + " grain").score == 1.0
    passing = compile_query("grain")  # the default min_score
    matcher = TopicMatcher([("t", passing)])
    assert matcher.match(ArticleText("", body + " grain")) == []
    assert matcher.match(ArticleText("", body + " grain and grain")) != []
    assert matcher.match(ArticleText("Grain", body)) != []


def test_explanations_point_at_the_matching_words() -> None:
    title = "Nato expands"
    text = "Nothing here.\nNATO’s expansion to the east worried NATO."
    result = run("NATO expansion", title=title, text=text)
    spans = [(h.term, h.field, (title if h.field == "title" else text)[h.start : h.end]) for h in result.hits]
    assert spans == [
        ("nato", "title", "Nato"),
        ("expansion", "title", "expands"),
        ("nato", "text", "NATO’s"),
        ("expansion", "text", "expansion"),
        ("nato", "text", "NATO"),
    ]
    assert result.terms == ("nato", "expansion")


def test_one_matcher_for_many_topics() -> None:
    matcher = TopicMatcher(
        [
            ("nato", compile_query("NATO expansion")),
            ("grain", compile_query("grain OR wheat")),
            ("reuters", compile_query("source:reuters")),
            ("never", compile_query('"no such phrase"')),
        ]
    )
    found = matcher.match(ArticleText("NATO expansion and grain", "", source="Reuters"))
    assert [key for key, _ in found] == ["nato", "grain", "reuters"]


_WORDS = st.sampled_from(["NATO", "expansion", "Ukraine's", "grain", "the", "Café", "l'OTAN", "-", "\n"])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(_WORDS, min_size=1, max_size=30).map(" ".join),
    st.sampled_from(["NATO expansion", '"Ukraine’s grain"', "l’OTAN OR café", "NATO NEAR/2 grain"]),
)
def test_matching_is_invariant_under_case_and_apostrophes(text: str, query: str) -> None:
    expected = run(query, text=text)
    for variant in (text.upper(), text.lower(), text.replace("'", "’"), text.replace("'", "ʼ")):
        assert run(query, text=variant).matched == expected.matched
        assert run(query, text=variant).score == expected.score
    assert run(query.upper().replace("NEAR/2", "NEAR/2"), text=text).matched == expected.matched
