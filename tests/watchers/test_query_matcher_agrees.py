"""``TopicMatcher.match`` (candidates, set checks, hits only above the threshold) agrees with evaluating
every topic on its own with ``explain``, on many generated topics and articles."""

from __future__ import annotations

import random

from watchers.query import ArticleText, TopicMatcher, compile_query
from watchers.query.plan import RETRIGGER_AT

_WORDS = [
    "nato",
    "expansion",
    "expands",
    "expanding",
    "enlargement",
    "grain",
    "grains",
    "wheat",
    "export",
    "exports",
    "ukraine",
    "ukrainian",
    "russia",
    "border",
    "borders",
    "talks",
    "minister",
    "ministers",
    "the",
    "of",
    "and",
    "in",
    "reuters",
]


def _query(rng: random.Random) -> str:
    def w() -> str:
        return rng.choice(_WORDS)

    shapes = [
        lambda: " ".join(w() for _ in range(rng.randint(1, 3))),
        lambda: f'"{w()} {w()}"',
        lambda: f"{w()} NEAR/{rng.randint(1, 6)} ({w()} OR {w()})",
        lambda: f"({w()} OR {w()}) {w()} -{w()}",
        lambda: f"{rng.choice(_WORDS[:18])[:4]}* AND title:{w()}",
        lambda: f"source:reuters {w()} OR {w()}",
        lambda: f"{w()} AND {w()}",
        lambda: f"lang:en {w()}",
    ]
    return rng.choice(shapes)()


def _article(rng: random.Random) -> ArticleText:
    def sentence() -> str:
        words = [rng.choice(_WORDS) for _ in range(rng.randint(3, 15))]
        words = [w.upper() if rng.random() < 0.1 else w for w in words]
        return " ".join(words).replace(" s", "\u2019s s", 1) + "."

    paragraphs = ["\n".join(sentence() for _ in range(rng.randint(1, 4))) for _ in range(rng.randint(1, 6))]
    return ArticleText(
        sentence(),
        "\n".join(paragraphs),
        rng.choice(["Reuters", "BBC News", ""]),
        rng.choice(["en", "en-GB", None, "fr"]),
    )


def test_match_agrees_with_each_topic_explained_alone() -> None:
    rng = random.Random(7)
    queries = [compile_query(_query(rng), min_score=rng.choice([0.0, 1.0, 2.0, 5.0])) for _ in range(300)]
    matcher = TopicMatcher(enumerate(queries))
    matched = 0
    for _ in range(60):
        article = _article(rng)
        expected = [(i, r) for i in range(len(queries)) if (r := matcher.explain(i, article)).matched]
        assert matcher.match(article) == expected
        matched += len(expected)
    assert matched > 100  # the generated material really exercises matching


def test_spans_deep_in_a_long_text_point_at_the_words() -> None:
    filler = "the council’s “routine” session—on budgets, roads and schools. "
    text = "NATO expansion. " + filler * 40 + "\nNato’s expanding " + filler * 80 + "NATO expands."
    matcher = TopicMatcher([(0, compile_query("NATO expansion", min_score=0))])
    result = matcher.explain(0, ArticleText("", text))
    assert [text[h.start : h.end] for h in result.hits] == [
        "NATO",
        "expansion",
        "Nato’s",
        "expanding",
        "NATO",
        "expands",
    ]
    assert [h.start for h in matcher.match(ArticleText("", text))[0][1].hits] == [
        h.start for h in result.hits
    ]


def test_triggers_rechosen_from_observed_articles_change_no_result() -> None:
    rng = random.Random(11)
    queries = [compile_query(_query(rng), min_score=rng.choice([0.0, 2.0])) for _ in range(300)]
    matcher = TopicMatcher(enumerate(queries))
    guessed = dict(matcher.plan("en").triggers)
    articles = [_article(rng) for _ in range(220)]
    first = [matcher.match(article) for article in articles]
    plan = matcher.plan("en")
    assert plan.observed >= RETRIGGER_AT[0]
    assert plan.triggers != guessed  # the observed counts really changed some triggers
    for at, (article, before) in enumerate(zip(articles, first, strict=True)):
        assert matcher.match(article) == before
        if at % 4 == 0:
            expected = [(i, r) for i in range(len(queries)) if (r := matcher.explain(i, article)).matched]
            assert before == expected


def test_score_bounds_never_drop_a_topic_that_matches() -> None:
    """Topics scored from their terms alone are dropped when a bound counted from tokens is below
    min_score; at every threshold around the real scores, that drops exactly the topics that miss."""
    rng = random.Random(5)

    def w() -> str:
        return rng.choice(_WORDS)

    shapes = [
        lambda: w(),
        lambda: f"{w()} OR {w()}",
        lambda: f"{w()} OR {rng.choice(_WORDS[:18])[:4]}*",
        lambda: f'"{w()} {w()}" OR {w()}',
        lambda: f"title:{w()} OR {w()}",
        lambda: f"{w()} AND {w()}",
        lambda: f"{w()} AND title:({w()} OR {w()})",
        lambda: f"{w()} -{w()}",
        lambda: f"source:reuters ({w()} OR {w()})",
        lambda: f"lang:en AND text:{w()}",
    ]
    queries = [
        compile_query(rng.choice(shapes)(), min_score=rng.choice([1.0, 2.0, 3.0, 4.0, 6.0, 9.0]))
        for _ in range(400)
    ]
    matcher = TopicMatcher(enumerate(queries))
    matched = 0
    for _ in range(30):
        article = _article(rng)
        expected = [(i, r) for i in range(len(queries)) if (r := matcher.explain(i, article)).matched]
        assert matcher.match(article) == expected
        matched += len(expected)
    assert matched > 150
