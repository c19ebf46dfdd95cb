"""Storing articles, and the stories, matches and outbox rows they create, in one transaction each.

Writing the delivery rows in the same transaction as the match is what makes "never lost" hold: if the
process dies before the commit, the article is not stored either and the next poll sees it again; after the
commit, the dispatcher finds the pending rows whatever happened to this process.

Order of decisions for an incoming article (``store_article``):

1. its URL or its source's guid is stored already: nothing to do;
2. its page text is a stored article's under another URL of the same site (a print view, ``?id=`` beside
   the slug): the URL is remembered as an *alias* of that article, so later polls do not fetch it again,
   and nothing else changes (same outlet, same story);
3. it is a copy of a stored article (shared guid, same content hash, or near-identical text by SimHash):
   it becomes another *home* of that article, so its outlet joins the story and sent alerts get updated;
4. otherwise it is a new article, and joins the best story found through the story-term index (or starts
   one); see ``bot.story_index`` and ``watchers.stories``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from urllib.parse import urlsplit

from sqlalchemy import Executable, bindparam, case, func, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.models import (
    Article,
    ArticleAlias,
    ArticleHome,
    Chat,
    Delivery,
    Match,
    Source,
    Story,
    Subscription,
    utcnow,
)
from bot.store import Store
from bot.story_index import (
    Grouping,
    add_fingerprint,
    article_time,
    count_document,
    dialect_insert,
    document_frequency,
    find_story,
    known_home,
    run,
    same_article,
    text_fingerprint,
    update_profile,
)
from watchers.entries import Article as ArticleData
from watchers.match import MatchResult, normalise
from watchers.stories import ArticleFeatures, StoryProfile, extract_features

ARTICLES = Article.__table__.c  # type: ignore[attr-defined]
HOMES = ArticleHome.__table__.c  # type: ignore[attr-defined]
STORIES = Story.__table__.c  # type: ignore[attr-defined]
DELIVERIES = Delivery.__table__.c  # type: ignore[attr-defined]
MATCHES = Match.__table__.c  # type: ignore[attr-defined]
# Built once: the rows of one article are plain Core inserts on the session's connection. The ORM's unit of
# work (identity map, flush bookkeeping) and a savepoint around each insert cost more than the inserts;
# a clash with a row another replica wrote rolls back the whole transaction anyway (``_StoredMeanwhile``).
_INSERT_ARTICLE = insert(Article.__table__).returning(ARTICLES.id)  # type: ignore[attr-defined]
_INSERT_HOME = insert(ArticleHome.__table__)  # type: ignore[attr-defined]
_INSERT_MATCH = insert(Match.__table__)  # type: ignore[attr-defined]
_PAGES_BY_HASH = (
    select(ARTICLES.id, ARTICLES.url)
    .where(ARTICLES.content_hash == bindparam("hash"), ARTICLES.text_origin == "page")
    .limit(50)
)
_ARTICLE_AT = select(HOMES.article_id).where(HOMES.url == bindparam("url"))
_STORY_OF_ARTICLE = select(ARTICLES.story_id).where(ARTICLES.id == bindparam("article"))
_TOPICS_OF_ARTICLE = select(MATCHES.topic_id).where(MATCHES.article_id == bindparam("article"))
_TOUCH_STORY = (
    update(Story.__table__)  # type: ignore[attr-defined]
    .where(STORIES.id == bindparam("story"))
    .values(updated_at=bindparam("now"))
)
_MARK_UPDATES = (
    update(Delivery.__table__)  # type: ignore[attr-defined]
    .where(DELIVERIES.story_id == bindparam("story"), DELIVERIES.status == "sent")
    .values(pending_update=True)
)


@dataclass(frozen=True)
class TopicMatch:
    """A topic the article matched, and what the article says about that topic (its per-topic summary)."""

    topic_id: int
    result: MatchResult
    summary: str = ""


@dataclass(frozen=True)
class StoredArticle:
    article_id: int
    story_id: int
    new_story: bool
    deliveries: int
    updates: int
    home_only: bool = False  # a copy of a stored article: only a new outlet (home) was recorded


def title_key(title: str) -> str:
    return " ".join(normalise(title).split())[:300]


def content_hash(text: str) -> str:
    return hashlib.sha256(" ".join(normalise(text).split()).encode()).hexdigest()


def known_urls(store: Store, urls: list[str], guids: list[str], source_id: int) -> tuple[set[str], set[str]]:
    """Which of these canonical URLs (an article's own, another outlet's copy, or another address of a
    stored page on the same site), and which of this source's guids, are stored already."""
    with store.session() as session:
        seen_urls: set[str] = set()
        for chunk in _chunks(urls):
            seen_urls.update(
                session.exec(select(ArticleHome.url).where(col(ArticleHome.url).in_(chunk))).all()
            )
            seen_urls.update(
                session.exec(select(ArticleAlias.url).where(col(ArticleAlias.url).in_(chunk))).all()
            )
        seen_guids: set[str] = set()
        for chunk in _chunks(guids):
            rows = session.exec(
                select(ArticleHome.guid).where(
                    ArticleHome.source_id == source_id, col(ArticleHome.guid).in_(chunk)
                )
            ).all()
            seen_guids.update(g for g in rows if g)
    return seen_urls, seen_guids


def _same_page_elsewhere(session: Session, data: ArticleData) -> int | None:
    """The stored article whose extracted page text this is, under another URL of the same host (``?id=``
    vs slug links, print views): one article. Syndicated copies on other hosts stay separate articles of
    one story."""
    if data.text_origin != "page" or not data.content_hash:
        return None
    host = urlsplit(data.url).hostname
    same_text = run(session, _PAGES_BY_HASH, {"hash": data.content_hash})
    return next((article_id for article_id, url in same_text if urlsplit(url).hostname == host), None)


def _remember_aliases(session: Session, urls: Iterable[str], article_id: int, now: datetime) -> None:
    """Record ``urls`` as other addresses of the article; one recorded already, by us or by another
    replica, is left as it is."""
    rows = [{"url": url, "article": article_id, "now": now} for url in dict.fromkeys(urls)]
    if rows:
        run(session, _alias_insert(session.get_bind().dialect.name), rows)


@lru_cache(maxsize=4)
def _alias_insert(dialect: str) -> Executable:
    return (
        dialect_insert(dialect)(ArticleAlias.__table__)  # type: ignore[attr-defined]
        .values(url=bindparam("url"), article_id=bindparam("article"), seen_at=bindparam("now"))
        .on_conflict_do_nothing(index_elements=["url"])
    )


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
    grouping: Grouping | None = None,
) -> StoredArticle | None:
    """Store one new article (or a new home of a stored one) with its story, matches and deliveries.

    None if it was stored already (also when another replica stored it between our check and our insert).
    """
    for attempt in (1, 2):
        try:
            return _store(
                store, source_id, data, summary, matches, alert, now or utcnow(), grouping or Grouping()
            )
        except _StoredMeanwhile:
            return None  # another replica stored it between our check and our insert; nothing of ours is kept
        except IntegrityError:
            # another replica rewrote the same story's index rows in the same instant: everything was
            # rolled back; once more, now that its commit is visible
            if attempt == 2:
                raise
    return None


class _StoredMeanwhile(Exception):
    """Raised inside the transaction to roll all of it back (the story it may have opened, too)."""


def _store(
    store: Store,
    source_id: int,
    data: ArticleData,
    summary: str,
    matches: list[TopicMatch],
    alert: bool,
    now: datetime,
    grouping: Grouping,
) -> StoredArticle | None:
    when = article_time(data, now)
    with store.session() as session:
        if known_home(session, data, source_id):
            stored = run(session, _ARTICLE_AT, {"url": data.url}).scalar()
            if stored is not None:  # stored under this URL before: its other addresses may be new
                _remember_aliases(session, data.extra_urls, stored, now)
            return None
        original = _same_page_elsewhere(session, data)
        if original is not None:
            _remember_aliases(session, (data.url, *data.extra_urls), original, now)
            return None
        fingerprint = text_fingerprint(data.text)
        copy = same_article(session, data, when, grouping.window, fingerprint=fingerprint)
        if copy is not None:
            _remember_aliases(session, data.extra_urls, copy[0], now)
            return _add_home(session, copy[0], source_id, data, matches, alert, now)
        features = extract_features(data.title, data.text, when)
        story_id, profile = _story_for(session, data, summary, features, grouping, now)
        new_story = not profile.terms
        row = {
            "source_id": source_id,
            "story_id": story_id,
            "url": data.url,
            "guid": data.guid,
            "title": data.title,
            "text": data.text,
            "summary": summary,
            "author": data.author,
            "language": data.language,
            "text_origin": data.text_origin,
            "content_hash": data.content_hash or content_hash(data.text or data.title),
            "published_at": data.published,
            "fetched_at": now,
            "alerted": alert,
        }
        try:
            article_id: int = run(session, _INSERT_ARTICLE, [row]).scalar_one()
            run(session, _INSERT_HOME, [_home(article_id, source_id, data, now)])
        except IntegrityError:
            raise _StoredMeanwhile from None  # rolls back the whole transaction, the story it opened too
        _remember_aliases(session, data.extra_urls, article_id, now)
        if fingerprint is not None:
            add_fingerprint(session, article_id, data.text, when, fingerprint=fingerprint)
        update_profile(session, profile, features)
        count_document(session, features)
        _add_matches(session, article_id, story_id, matches, now)
        deliveries = updates = 0
        if alert:
            if not new_story:
                updates = _mark_updates(session, story_id)
            deliveries = _enqueue(session, story_id, [m.topic_id for m in matches], now)
        return StoredArticle(article_id, story_id, new_story, deliveries, updates)


def _home(article_id: int, source_id: int, data: ArticleData, now: datetime) -> dict[str, object]:
    return {
        "article_id": article_id,
        "source_id": source_id,
        "url": data.url,
        "guid": data.guid,
        "title": data.title,
        "published_at": data.published,
        "fetched_at": now,
    }


def _add_matches(
    session: Session, article_id: int, story_id: int, matches: list[TopicMatch], now: datetime
) -> None:
    rows = [
        {
            "article_id": article_id,
            "topic_id": match.topic_id,
            "story_id": story_id,
            "score": match.result.score,
            "terms": list(match.result.terms),
            "spans": [h.__dict__ for h in match.result.hits[:50]],
            "matched_at": now,
            "summary": match.summary,
        }
        for match in matches
    ]
    if rows:
        run(session, _INSERT_MATCH, rows)


def _add_home(
    session: Session,
    article_id: int,
    source_id: int,
    data: ArticleData,
    matches: list[TopicMatch],
    alert: bool,
    now: datetime,
) -> StoredArticle | None:
    """Record another outlet carrying a stored article: a home, topics it newly matched, alert updates."""
    found = run(session, _STORY_OF_ARTICLE, {"article": article_id}).first()
    if found is None or found[0] is None:
        return None
    story_id: int = found[0]
    try:
        run(session, _INSERT_HOME, [_home(article_id, source_id, data, now)])
    except IntegrityError:
        raise _StoredMeanwhile from None
    matched = set(run(session, _TOPICS_OF_ARTICLE, {"article": article_id}).scalars())
    _add_matches(session, article_id, story_id, [m for m in matches if m.topic_id not in matched], now)
    run(session, _TOUCH_STORY, {"story": story_id, "now": now})
    deliveries = updates = 0
    if alert:
        updates = _mark_updates(session, story_id)
        deliveries = _enqueue(session, story_id, sorted(matched | {m.topic_id for m in matches}), now)
    return StoredArticle(article_id, story_id, False, deliveries, updates, home_only=True)


def _story_for(
    session: Session,
    data: ArticleData,
    summary: str,
    features: ArticleFeatures,
    grouping: Grouping,
    now: datetime,
) -> tuple[int, StoryProfile]:
    """The story the article joins (with its current profile), or a new one (with an empty profile)."""
    idf = document_frequency(session, features.terms)
    found = find_story(session, features, idf, grouping)
    if found is not None and _join_story(session, found[0].story_id, data, summary, now):
        return found[0].story_id, found[0]
    story = Story(
        title=data.title,
        title_key=title_key(data.title),
        url=data.url,
        summary=summary,
        first_seen_at=now,
        updated_at=now,
    )
    session.add(story)
    session.flush()
    assert story.id is not None
    return story.id, StoryProfile(story.id)


def _join_story(session: Session, story_id: int, data: ArticleData, summary: str, now: datetime) -> bool:
    """Count the article into the story in one UPDATE; False when the story is gone (deleted meanwhile).

    The most complete text makes the story's summary: the article's summary replaces the story's when its
    text is longer than every text stored in the story."""
    longest = (
        select(func.coalesce(func.max(func.length(ARTICLES.text)), 0))
        .where(ARTICLES.story_id == story_id)
        .scalar_subquery()
    )
    summary_now = STORIES.summary
    if summary:
        summary_now = case((longest < len(data.text), summary), else_=STORIES.summary)
    joined = run(
        session,
        update(Story.__table__)  # type: ignore[attr-defined]
        .where(STORIES.id == story_id)
        .values(article_count=STORIES.article_count + 1, updated_at=now, summary=summary_now),
    )
    return getattr(joined, "rowcount", 0) == 1


def _mark_updates(session: Session, story_id: int) -> int:
    """Flag the story's sent alerts for an update (one UPDATE); how many there are."""
    marked = run(session, _MARK_UPDATES, {"story": story_id})
    return int(getattr(marked, "rowcount", 0))


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
    """Every outlet that carried the story (each home of each of its articles), first report first."""
    rows = session.exec(
        select(ArticleHome, Source.name)
        .join(Article, col(Article.id) == ArticleHome.article_id)
        .join(Source, col(Source.id) == ArticleHome.source_id)
        .where(Article.story_id == story_id)
        .order_by(col(ArticleHome.fetched_at), col(ArticleHome.id))
    ).all()
    return [StorySource(name, h.url, h.title, h.published_at) for h, name in rows]


def story_home_count(session: Session, story_id: int) -> int:
    """How many outlets carry the story now (what a sent alert is compared with to need an update)."""
    return session.exec(
        select(func.count())
        .select_from(ArticleHome)
        .join(Article, col(Article.id) == ArticleHome.article_id)
        .where(Article.story_id == story_id)
    ).one()
