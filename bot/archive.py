"""Storing articles, and the stories, matches and outbox rows they create, in one transaction each.

Writing the delivery rows in the same transaction as the match is what makes "never lost" hold: if the
process dies before the commit, the article is not stored either and the next poll sees it again; after the
commit, the dispatcher finds the pending rows whatever happened to this process.

Stories, first version: articles whose normalised titles are equal, within ``STORY_WINDOW`` of the story's
first article, are one story (syndicated wire copy). The stories issue replaces the grouping rule;
the storage shape stays.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import and_, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.models import Article, Chat, Delivery, Match, Source, Story, Subscription, utcnow
from bot.store import Store
from watchers.entries import Article as ArticleData
from watchers.match import MatchResult, normalise

STORY_WINDOW = timedelta(hours=48)


@dataclass(frozen=True)
class TopicMatch:
    topic_id: int
    result: MatchResult


@dataclass(frozen=True)
class StoredArticle:
    article_id: int
    story_id: int
    new_story: bool
    deliveries: int
    updates: int


def title_key(title: str) -> str:
    return " ".join(normalise(title).split())[:300]


def content_hash(text: str) -> str:
    return hashlib.sha256(" ".join(normalise(text).split()).encode()).hexdigest()


def known_urls(store: Store, urls: list[str], guids: list[str], source_id: int) -> tuple[set[str], set[str]]:
    """Which of these canonical URLs, and which of this source's guids, are stored already."""
    with store.session() as session:
        seen_urls: set[str] = set()
        for chunk in _chunks(urls):
            seen_urls.update(session.exec(select(Article.url).where(col(Article.url).in_(chunk))).all())
        seen_guids: set[str] = set()
        for chunk in _chunks(guids):
            rows = session.exec(
                select(Article.guid).where(Article.source_id == source_id, col(Article.guid).in_(chunk))
            ).all()
            seen_guids.update(g for g in rows if g)
    return seen_urls, seen_guids


def _same_page_elsewhere(session: Session, data: ArticleData) -> bool:
    """The same extracted page text stored under another URL of the same host (``?id=`` vs slug links,
    print views): one article. Syndicated copies on other hosts stay separate articles of one story."""
    if data.text_origin != "page" or not data.content_hash:
        return False
    host = urlsplit(data.url).hostname
    same_text = select(Article.url).where(
        col(Article.content_hash) == data.content_hash, col(Article.text_origin) == "page"
    )
    return any(urlsplit(url).hostname == host for url in session.exec(same_text.limit(50)).all())


def _chunks(items: list[str], size: int = 500) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def store_article(
    store: Store,
    *,
    source_id: int,
    data: ArticleData,
    summary: str,
    matches: list[TopicMatch],
    alert: bool,
    now: datetime | None = None,
) -> StoredArticle | None:
    """Store one new article with its story, matches and deliveries; None if it was stored already."""
    now = now or utcnow()
    with store.session() as session:
        duplicate = select(Article.id).where(
            or_(
                col(Article.url) == data.url,
                and_(col(Article.source_id) == source_id, col(Article.guid) == data.guid),
            )
            if data.guid
            else col(Article.url) == data.url
        )
        if session.exec(duplicate).first() is not None or _same_page_elsewhere(session, data):
            return None
        story, new_story = _story_for(session, data, summary, now)
        row = Article(
            source_id=source_id,
            story_id=story.id,
            url=data.url,
            guid=data.guid,
            title=data.title,
            text=data.text,
            summary=summary,
            author=data.author,
            language=data.language,
            text_origin=data.text_origin,
            content_hash=data.content_hash or content_hash(data.text or data.title),
            published_at=data.published,
            fetched_at=now,
            alerted=alert,
        )
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            return None  # another replica stored it between our check and our insert
        assert row.id is not None
        assert story.id is not None
        for match in matches:
            session.add(
                Match(
                    article_id=row.id,
                    topic_id=match.topic_id,
                    story_id=story.id,
                    score=match.result.score,
                    terms=list(match.result.terms),
                    spans=[h.__dict__ for h in match.result.hits[:50]],
                    matched_at=now,
                )
            )
        deliveries = updates = 0
        if alert:
            if not new_story:
                updates = _mark_updates(session, story.id)
            deliveries = _enqueue(session, story.id, [m.topic_id for m in matches], now)
        return StoredArticle(row.id, story.id, new_story, deliveries, updates)


def _story_for(session: Session, data: ArticleData, summary: str, now: datetime) -> tuple[Story, bool]:
    key = title_key(data.title)
    story = session.exec(
        select(Story)
        .where(Story.title_key == key, col(Story.first_seen_at) >= now - STORY_WINDOW)
        .order_by(col(Story.id).desc())
    ).first()
    if story is None:
        story = Story(
            title=data.title, title_key=key, url=data.url, summary=summary, first_seen_at=now, updated_at=now
        )
        session.add(story)
        session.flush()
        return story, True
    best = session.exec(
        select(func.max(func.length(Article.text))).where(Article.story_id == story.id)
    ).first()
    if len(data.text) > (best or 0) and summary:
        story.summary = summary  # the most complete text makes the story's summary
    story.article_count += 1
    story.updated_at = now
    session.add(story)
    session.flush()
    return story, False


def _mark_updates(session: Session, story_id: int) -> int:
    rows = session.exec(
        select(Delivery).where(Delivery.story_id == story_id, Delivery.status == "sent")
    ).all()
    for delivery in rows:
        delivery.pending_update = True
        session.add(delivery)
    return len(rows)


def _enqueue(session: Session, story_id: int, topic_ids: list[int], now: datetime) -> int:
    """One pending delivery per subscribed active chat and topic, unless that story already has one."""
    if not topic_ids:
        return 0
    targets = session.exec(
        select(Subscription.chat_id, Subscription.topic_id)
        .join(Chat, col(Chat.id) == Subscription.chat_id)
        .where(col(Subscription.topic_id).in_(topic_ids), Subscription.active, Chat.active)
    ).all()
    created = 0
    for chat_id, topic_id in targets:
        exists = session.exec(
            select(Delivery.id).where(
                Delivery.story_id == story_id, Delivery.topic_id == topic_id, Delivery.chat_id == chat_id
            )
        ).first()
        if exists is not None:
            continue
        try:
            with session.begin_nested():
                session.add(
                    Delivery(
                        story_id=story_id,
                        topic_id=topic_id,
                        chat_id=chat_id,
                        created_at=now,
                        next_attempt_at=now,
                    )
                )
                session.flush()
            created += 1
        except IntegrityError:
            continue
    return created


@dataclass(frozen=True)
class StorySource:
    name: str
    url: str
    title: str
    published: datetime | None


def story_sources(session: Session, story_id: int) -> list[StorySource]:
    """Every outlet that carried the story, first report first."""
    rows = session.exec(
        select(Article, Source.name)
        .join(Source, col(Source.id) == Article.source_id)
        .where(Article.story_id == story_id)
        .order_by(col(Article.fetched_at), col(Article.id))
    ).all()
    return [StorySource(name, a.url, a.title, a.published_at) for a, name in rows]
