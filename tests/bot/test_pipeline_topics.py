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


def test_the_matcher_and_what_it_learned_survive_refreshes_until_the_topics_change() -> None:
    rows = [Topic(id=101, name="nato", query="NATO expansion"), Topic(id=103, name="grain", query="grain")]
    first = compile_topics(rows)
    article = Article(url="https://x.example/1", title="Grain exports", text=BODY)
    for _ in range(3):
        assert [m.topic_id for m in Refresher._match(article, first, "Courier")] == [103]
    assert first.matcher.plan("en").observed == 3

    again = compile_topics(
        [Topic(id=101, name="nato", query="NATO expansion"), Topic(id=103, name="grain", query="grain")]
    )
    assert again.matcher is first.matcher  # a new refresh cycle, same topics: nothing relearned
    assert again.matcher.plan("en").observed == 3

    renamed = compile_topics(
        [Topic(id=101, name="NATO", query="NATO expansion"), Topic(id=103, name="corn", query="grain")]
    )
    assert renamed.matcher is first.matcher  # names do not change what matches

    for changed, expected in (
        (
            [
                Topic(id=101, name="nato", query="NATO enlargement"),
                Topic(id=103, name="grain", query="grain"),
            ],
            [103],
        ),
        (
            [
                Topic(id=101, name="nato", query="NATO expansion"),
                Topic(id=103, name="grain", query="grain", min_score=4),
            ],
            [],
        ),
        ([Topic(id=101, name="nato", query="NATO expansion")], []),
        (
            [Topic(id=101, name="nato", query="NATO expansion"), Topic(id=104, name="grain", query="grain")],
            [104],
        ),
    ):
        rebuilt = compile_topics(changed)
        assert rebuilt.matcher is not first.matcher
        assert rebuilt.matcher.plan("en").observed == 0
        assert [m.topic_id for m in Refresher._match(article, rebuilt, "Courier")] == expected
