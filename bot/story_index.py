"""The database side of grouping: finding an article's other homes and its story through indexes.

Everything here runs inside the caller's transaction (``bot.archive.store_article``), so an article, its
home, its fingerprint, its story and the story's index rows are written together or not at all. Every
lookup is an indexed equality on a small key restricted to the time window, never a scan of the archive:

* same article: a home with the same URL or guid, an article with the same content hash, or one sharing a
  SimHash band (``article_fingerprints.band``) whose whole fingerprint is within a few bits;
* same story: stories sharing the article's most telling terms (``story_terms.term``) whose latest article
  is inside the window; only those few candidates are scored (``watchers.stories``);
* IDF: ``term_frequencies`` counts articles per term, updated with one upsert per article.

Because the index lives in the database, replicas sharing one PostgreSQL database see the same candidates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, delete, select

from bot.models import Article, ArticleFingerprint, ArticleHome, StoryTerm, TermFrequency
from watchers.entries import Article as ArticleData
from watchers.stories import (
    DEFAULT_THRESHOLD,
    DEFAULT_WINDOW,
    STOPWORDS,
    ArticleFeatures,
    DocumentFrequency,
    Score,
    StoryProfile,
    band_keys,
    best_story,
    fingerprint_hex,
    lookup_terms,
    near_duplicate,
    simhash,
    stem,
    words,
)

ALL_ARTICLES = "#articles"  # the term_frequencies row that counts every article
MIN_HASHED_TEXT = 200  # exact-hash and SimHash identity only for real article text, not a one-line blurb
MIN_SHARED_GUID = 12  # shorter guids ("1", "post-7") are only unique within their own feed
CANDIDATE_STORIES = 8


@dataclass(frozen=True)
class Grouping:
    """How stories are formed: the time window and the score an article needs to join a story."""

    window: timedelta = DEFAULT_WINDOW
    threshold: float = DEFAULT_THRESHOLD


def article_time(data: ArticleData, now: datetime) -> datetime:
    """When the article appeared: its publication time, never in the future, else now."""
    return min(data.published, now) if data.published else now


def known_home(session: Session, data: ArticleData, source_id: int) -> bool:
    """Whether this URL, or this source's guid, is stored already."""
    if session.exec(select(ArticleHome.id).where(col(ArticleHome.url) == data.url)).first() is not None:
        return True
    if not data.guid:
        return False
    return (
        session.exec(
            select(ArticleHome.id).where(ArticleHome.source_id == source_id, ArticleHome.guid == data.guid)
        ).first()
        is not None
    )


def similar_titles(a: str, b: str) -> bool:
    """Whether two headlines share most of their words: identical text under an unrelated headline is a
    page template or a live blog, not a republished report."""
    first, second = title_words(a), title_words(b)
    if not first or not second:
        return True
    return len(first & second) / min(len(first), len(second)) >= 0.5


def title_words(title: str) -> set[str]:
    return {stem(w) for w in words(title) if w not in STOPWORDS}


def same_article(
    session: Session, data: ArticleData, when: datetime, window: timedelta
) -> tuple[int, str] | None:
    """The stored article ``data`` is a copy of, and by which rule ("guid", "hash" or "simhash").

    Text identity (exact hash or SimHash) also needs similar headlines, see ``similar_titles``.
    """
    if data.guid and len(data.guid) >= MIN_SHARED_GUID:
        found = session.exec(select(ArticleHome.article_id).where(ArticleHome.guid == data.guid)).first()
        if found is not None:
            return found, "guid"
    if len(data.text) < MIN_HASHED_TEXT:
        return None
    if data.content_hash:
        hashed = session.exec(
            select(Article.id, Article.title).where(
                Article.content_hash == data.content_hash, func.length(Article.text) >= MIN_HASHED_TEXT
            )
        ).all()
        for article_id, title in hashed:
            if article_id is not None and similar_titles(title, data.title):
                return article_id, "hash"
    fingerprint = simhash(data.text)
    if fingerprint is None:
        return None
    rows = session.exec(
        select(ArticleFingerprint.article_id, ArticleFingerprint.simhash, Article.title)
        .join(Article, col(Article.id) == ArticleFingerprint.article_id)
        .where(
            col(ArticleFingerprint.band).in_(band_keys(fingerprint)),
            col(ArticleFingerprint.seen_at) >= when - window,
            col(ArticleFingerprint.seen_at) <= when + window,
        )
        .distinct()
    ).all()
    for article_id, stored, title in rows:
        if near_duplicate(fingerprint, int(stored, 16)) and similar_titles(title, data.title):
            return article_id, "simhash"
    return None


def add_fingerprint(session: Session, article_id: int, text: str, when: datetime) -> None:
    fingerprint = simhash(text) if len(text) >= MIN_HASHED_TEXT else None
    if fingerprint is None:
        return
    hexed = fingerprint_hex(fingerprint)
    rows = [
        {"article_id": article_id, "band": band, "simhash": hexed, "seen_at": when}
        for band in band_keys(fingerprint)
    ]
    session.execute(insert(ArticleFingerprint), rows)


def document_frequency(session: Session, terms: Iterable[str]) -> DocumentFrequency:
    """The running document counts for ``terms`` (and the total), as stored now."""
    wanted = sorted(set(terms) | {ALL_ARTICLES})
    counts = dict(
        session.exec(
            select(TermFrequency.term, TermFrequency.documents).where(col(TermFrequency.term).in_(wanted))
        ).all()
    )
    return DocumentFrequency(counts.pop(ALL_ARTICLES, 0), counts)


def count_document(session: Session, features: ArticleFeatures) -> None:
    """Add one article to the document counts: one upsert statement run for every term (compiled once,
    cached), terms in a fixed order so concurrent replicas lock rows alike and never deadlock."""
    rows = [{"term": t} for t in sorted(set(features.terms) | {ALL_ARTICLES})]
    dialect = session.get_bind().dialect.name
    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        upsert(TermFrequency)
        .values(term=bindparam("term"), documents=1)
        .on_conflict_do_update(index_elements=["term"], set_={"documents": TermFrequency.documents + 1})
    )
    session.execute(statement, rows)


def find_story(
    session: Session, features: ArticleFeatures, idf: DocumentFrequency, grouping: Grouping
) -> tuple[StoryProfile, Score] | None:
    """The stored story the article joins (its profile), found through ``story_terms``; None: a new story."""
    keys = lookup_terms(features, idf.idf)
    if not keys:
        return None
    window = grouping.window
    candidates = session.exec(
        select(StoryTerm.story_id)
        .where(
            col(StoryTerm.term).in_(keys),
            col(StoryTerm.seen_at) >= features.when - window,
            col(StoryTerm.seen_at) <= features.when + window,
        )
        .group_by(col(StoryTerm.story_id))
        .order_by(func.count().desc(), col(StoryTerm.story_id).desc())
        .limit(CANDIDATE_STORIES)
    ).all()
    if not candidates:
        return None
    profiles = {p.story_id: p for p in load_profiles(session, list(candidates))}
    best = best_story(features, profiles.values(), idf.idf, window=window, threshold=grouping.threshold)
    return (profiles[best[0]], best[1]) if best is not None else None


def load_profiles(session: Session, story_ids: list[int]) -> list[StoryProfile]:
    profiles = {sid: StoryProfile(sid) for sid in story_ids}
    rows = session.exec(
        select(StoryTerm.story_id, StoryTerm.term, StoryTerm.weight, StoryTerm.seen_at).where(
            col(StoryTerm.story_id).in_(story_ids)
        )
    ).all()
    for story_id, term, weight, seen in rows:
        profile = profiles[story_id]
        profile.terms[term] = weight
        if seen is not None and (profile.last_seen is None or seen > profile.last_seen):
            profile.last_seen = seen
    return list(profiles.values())


def update_profile(session: Session, current: StoryProfile, features: ArticleFeatures) -> None:
    """Fold the article's features into the story's index rows (rewritten whole: a profile is small)."""
    story_id = current.story_id
    merged = current.merged(features)
    session.execute(delete(StoryTerm).where(col(StoryTerm.story_id) == story_id))
    rows = [
        {"story_id": story_id, "term": term, "weight": weight, "seen_at": merged.last_seen}
        for term, weight in sorted(merged.terms.items())
    ]
    session.execute(insert(StoryTerm), rows)
