"""Read-only views of the archive for the CLI and chat commands, as plain dataclasses ready for JSON.

Search is ranked full-text search (``bot.search``); listings newest first page by keyset.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from bot.archive import story_sources
from bot.durations import format_duration
from bot.models import Article, Match, Source, SourceEvent, Story, Subscription, Topic
from bot.search.engine import MAX_LIMIT, search_articles
from bot.search.listing import latest_story_ids
from bot.store import Store


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


@dataclass(frozen=True)
class StoryArticle:
    url: str
    source: str
    title: str
    published: str | None


@dataclass(frozen=True)
class StoryView:
    id: int
    title: str
    url: str
    summary: str
    first_seen: str | None
    updated: str | None
    topics: list[str]
    articles: list[StoryArticle]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _story_view(session: Session, story: Story) -> StoryView:
    assert story.id is not None
    topics = session.exec(
        select(Topic.name)
        .join(Match, col(Match.topic_id) == Topic.id)
        .where(Match.story_id == story.id)
        .distinct()
    ).all()
    articles = [
        StoryArticle(s.url, s.name, s.title, _iso(s.published)) for s in story_sources(session, story.id)
    ]
    return StoryView(
        id=story.id,
        title=story.title,
        url=story.url,
        summary=story.summary,
        first_seen=_iso(story.first_seen_at),
        updated=_iso(story.updated_at),
        topics=sorted(topics),
        articles=articles,
    )


def story(store: Store, story_id: int) -> StoryView | None:
    with store.session() as session:
        row = session.get(Story, story_id)
        return _story_view(session, row) if row else None


def stories(store: Store, *, since: datetime | None = None, limit: int = 50) -> list[StoryView]:
    """Stories newest first (by last update), with every article."""
    with store.session() as session:
        query = select(Story).order_by(col(Story.updated_at).desc(), col(Story.id).desc()).limit(limit)
        if since is not None:
            query = query.where(col(Story.updated_at) >= since)
        return [_story_view(session, s) for s in session.exec(query).all()]


def latest(store: Store, *, topic: str | None = None, limit: int = 5) -> list[StoryView]:
    """The newest stories that matched ``topic`` (any topic when None)."""
    return latest_page(store, topic=topic, limit=limit)[0]


def latest_page(
    store: Store, *, topic: str | None = None, limit: int = 5, cursor: str | None = None
) -> tuple[list[StoryView], str | None]:
    """One page of stories newest first (by their newest match) and the token for the next page.

    An unknown ``topic`` gives an empty page; callers that want "did you mean" check ``find_topic``.
    """
    topic_id = None
    if topic is not None:
        row = find_topic(store, topic)
        if row is None or row.id is None:
            return [], None
        topic_id = row.id
    page = latest_story_ids(store, topic_id=topic_id, limit=limit, cursor=cursor)
    return _views(store, list(page.story_ids)), page.next_cursor


def _views(store: Store, story_ids: list[int]) -> list[StoryView]:
    with store.session() as session:
        rows = [session.get(Story, sid) for sid in story_ids]
        return [_story_view(session, s) for s in rows if s is not None]


def search(store: Store, text: str, *, limit: int = 10, since: datetime | None = None) -> list[StoryView]:
    """Stories whose articles best match ``text`` (ranked full-text search), best first, each once.

    Raises QuerySyntaxError for a query that does not parse. ``search_articles`` gives the article-level
    page with snippets and paging, which the chat command uses.
    """
    page = search_articles(store, text, since=since, limit=MAX_LIMIT)
    story_ids = list(dict.fromkeys(h.story_id for h in page.hits if h.story_id is not None))
    return _views(store, story_ids[:limit])


@dataclass(frozen=True)
class SourceHealth:
    id: int
    name: str
    url: str
    kind: str
    every: str
    paused: bool
    origin: str
    last_success: str | None
    last_polled: str | None
    last_new_entry: str | None
    consecutive_failures: int
    last_error: str | None
    next_poll: str | None
    articles: int


def sources(store: Store) -> list[SourceHealth]:
    with store.session() as session:
        counts = dict(
            session.exec(select(Article.source_id, func.count()).group_by(col(Article.source_id))).all()
        )
        return [
            SourceHealth(
                id=s.id or 0,
                name=s.name,
                url=s.url,
                kind=s.kind,
                every=format_duration(timedelta(seconds=s.every_seconds)),
                paused=s.paused,
                origin=s.origin,
                last_success=_iso(s.last_success_at),
                last_polled=_iso(s.last_polled_at),
                last_new_entry=_iso(s.last_new_entry_at),
                consecutive_failures=s.consecutive_failures,
                last_error=s.last_error,
                next_poll=_iso(s.next_poll_at),
                articles=counts.get(s.id or 0, 0),
            )
            for s in session.exec(
                select(Source).where(col(Source.origin) != "removed").order_by(Source.name, col(Source.id))
            ).all()
        ]


@dataclass(frozen=True)
class TopicView:
    name: str
    query: str
    enabled: bool
    origin: str
    subscribers: int
    matches: int


def topics(store: Store) -> list[TopicView]:
    with store.session() as session:
        subs = dict(
            session.exec(
                select(Subscription.topic_id, func.count())
                .where(Subscription.active)
                .group_by(col(Subscription.topic_id))
            ).all()
        )
        matches = dict(session.exec(select(Match.topic_id, func.count()).group_by(col(Match.topic_id))).all())
        return [
            TopicView(t.name, t.query, t.enabled, t.origin, subs.get(t.id or 0, 0), matches.get(t.id or 0, 0))
            for t in session.exec(select(Topic).order_by(Topic.name)).all()
        ]


def source_events(store: Store, limit: int = 20) -> list[dict[str, Any]]:
    with store.session() as session:
        rows = session.exec(
            select(SourceEvent, Source.name)
            .join(Source, col(Source.id) == SourceEvent.source_id)
            .order_by(col(SourceEvent.id).desc())
            .limit(limit)
        ).all()
        return [{"source": name, "at": _iso(e.at), "kind": e.kind, "detail": e.detail} for e, name in rows]


def find_topic(store: Store, name: str) -> Topic | None:
    with store.session() as session:
        return session.exec(
            select(Topic).where(or_(col(Topic.name) == name, func.lower(Topic.name) == name.lower()))
        ).first()
