"""Stories newest first, per topic or all, paged by keyset without duplicates or gaps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot import queries
from bot.models import Article, Match, Source, Story, Topic, utcnow
from bot.search.listing import InvalidListCursor, latest_story_ids
from bot.store import Store

BASE = utcnow() - timedelta(days=1)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.open(database_url)
    with opened.session() as session:
        session.add(Source(id=1, name="Wire", url="https://wire.example/feed"))
        session.add(Topic(id=1, name="Energy", query="energy"))
        session.add(Topic(id=2, name="Grain", query="grain"))
    yield opened
    opened.close()


def story_with_matches(store: Store, number: int, matches: list[tuple[int, int]]) -> int:
    """A story whose articles matched ``(topic_id, minutes after BASE)`` pairs; returns its id."""
    with store.session() as session:
        story = Story(title=f"Story {number}", title_key=f"k{number}", url=f"https://wire.example/s{number}")
        session.add(story)
        session.flush()
        assert story.id is not None
        for index, (topic_id, minutes) in enumerate(matches):
            article = Article(
                source_id=1,
                story_id=story.id,
                url=f"https://wire.example/{number}/{index}",
                title=story.title,
                content_hash=f"h{number}-{index}",
            )
            session.add(article)
            session.flush()
            assert article.id is not None
            when = BASE + timedelta(minutes=minutes)
            session.add(Match(article_id=article.id, topic_id=topic_id, story_id=story.id, matched_at=when))
        return story.id


def all_pages(store: Store, topic_id: int | None, size: int) -> list[int]:
    page = latest_story_ids(store, topic_id=topic_id, limit=size)
    seen = list(page.story_ids)
    while page.next_cursor is not None:
        page = latest_story_ids(store, topic_id=topic_id, limit=size, cursor=page.next_cursor)
        seen += page.story_ids
    return seen


def test_newest_first_each_story_once_across_pages(store: Store) -> None:
    a = story_with_matches(store, 1, [(1, 10), (2, 50)])  # newest match at 50 (grain)
    b = story_with_matches(store, 2, [(1, 40)])
    c = story_with_matches(store, 3, [(1, 20), (1, 30), (2, 5)])  # energy twice: appears once, at 30
    d = story_with_matches(store, 4, [(2, 35)])
    e = story_with_matches(store, 5, [(1, 45)])
    for size in (1, 2, 3, 10):
        assert all_pages(store, None, size) == [a, e, b, d, c]
        assert all_pages(store, 1, size) == [e, b, c, a]
        assert all_pages(store, 2, size) == [a, d, c]


def test_new_matches_do_not_shift_later_pages(store: Store) -> None:
    made = [story_with_matches(store, n, [(1, n)]) for n in range(1, 8)]
    first = latest_story_ids(store, topic_id=1, limit=3)
    assert list(first.story_ids) == made[::-1][:3]
    story_with_matches(store, 99, [(1, 500)])
    second = latest_story_ids(store, topic_id=1, limit=3, cursor=first.next_cursor)
    assert list(second.story_ids) == made[::-1][3:6]
    with pytest.raises(InvalidListCursor):
        latest_story_ids(store, cursor="nonsense")


def test_queries_latest_page_returns_views_and_unknown_topics_are_empty(store: Store) -> None:
    story_with_matches(store, 1, [(2, 1)])
    newest = story_with_matches(store, 2, [(2, 2)])
    views, cursor = queries.latest_page(store, topic="grain", limit=1)
    assert [v.id for v in views] == [newest]
    assert views[0].topics == ["Grain"]
    assert cursor is not None
    assert queries.latest_page(store, topic="no such topic") == ([], None)
