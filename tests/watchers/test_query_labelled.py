"""Precision and recall on our own labelled articles (tests/fixtures/query/labelled.toml), with floors."""

from __future__ import annotations

import tomllib
from pathlib import Path

from watchers.query import ArticleText, TopicMatcher, compile_query

LABELLED = Path(__file__).resolve().parents[1] / "fixtures" / "query" / "labelled.toml"
PRECISION_FLOOR = 0.9
RECALL_FLOOR = 0.9


def test_precision_and_recall_on_the_labelled_set() -> None:
    data = tomllib.loads(LABELLED.read_text(encoding="utf-8"))
    matcher = TopicMatcher((name, compile_query(query)) for name, query in data["topics"].items())
    true_pos = false_pos = false_neg = 0
    wrong: list[str] = []
    for article in data["articles"]:
        text = ArticleText(
            article["title"], article["text"], article.get("source", ""), article.get("language")
        )
        found = {name for name, _ in matcher.match(text)}
        should = set(article["should"])
        true_pos += len(found & should)
        false_pos += len(found - should)
        false_neg += len(should - found)
        assert not found & set(article.get("should_not", [])), article["title"]
        if found != should:
            wrong.append(f"{article['title']}: found {sorted(found)}, expected {sorted(should)}")
    precision = true_pos / max(1, true_pos + false_pos)
    recall = true_pos / max(1, true_pos + false_neg)
    print(f"labelled set: precision {precision:.2f}, recall {recall:.2f}", *wrong, sep="\n  ")
    assert precision >= PRECISION_FLOOR, wrong
    assert recall >= RECALL_FLOOR, wrong
