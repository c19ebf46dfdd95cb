"""The pipeline compiles enabled topics into one matcher and honours each topic's min_score."""

from __future__ import annotations

from bot.models import Topic
from bot.pipeline import CompiledTopics, Refresher, compile_topics
from watchers.entries import Article

BODY = " ".join(["filler"] * 80)


def test_topics_compile_into_one_matcher_and_bad_queries_are_skipped() -> None:
    topics = compile_topics(
        [
            Topic(id=1, name="nato", query="NATO expansion"),
            Topic(id=2, name="broken", query="NATO (expansion"),
            Topic(id=3, name="grain", query="grain", min_score=1),
            Topic(id=4, name="grain strict", query="grain", min_score=3),
        ]
    )
    assert isinstance(topics, CompiledTopics)
    assert [t.id for t in topics] == [1, 3, 4]
    article = Article(url="https://x.example/1", title="Nato expands", text=BODY + " grain")
    found = Refresher._match(article, topics, "Courier")
    assert [(m.topic_id, m.result.terms) for m in found] == [(1, ("nato", "expansion")), (3, ("grain",))]
    found = Refresher._match(article, list(topics), "Courier")  # a plain list works too
    assert [m.topic_id for m in found] == [1, 3]
