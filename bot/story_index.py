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

The lookups and index writes run as Core statements on the session's connection (same transaction), not
through the ORM: they are many small statements per article, and the ORM's per-statement bookkeeping was
most of their cost. Nothing they read is pending in the session (articles and stories are flushed first).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Executable, Result, bindparam, delete, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

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


HOMES = ArticleHome.__table__.c  # type: ignore[attr-defined]
ARTICLES = Article.__table__.c  # type: ignore[attr-defined]
FINGERPRINTS = ArticleFingerprint.__table__.c  # type: ignore[attr-defined]
TERMS = StoryTerm.__table__.c  # type: ignore[attr-defined]
FREQUENCIES = TermFrequency.__table__.c  # type: ignore[attr-defined]

# The lookups of every stored article, built once with bind parameters: building a statement (columns'
# operators, coercions) cost as much as running it, and a statement object is also its own cache key.
_HOME_BY_URL = select(HOMES.id).where(HOMES.url == bindparam("url")).limit(1)
_HOME_BY_URL_OR_GUID = (
    select(HOMES.id)
    .where(
        or_(
            HOMES.url == bindparam("url"),
            (HOMES.source_id == bindparam("source")) & (HOMES.guid == bindparam("guid")),
        )
    )
    .limit(1)
)
_ARTICLE_BY_GUID = select(HOMES.article_id).where(HOMES.guid == bindparam("guid")).limit(1)
_ARTICLES_BY_HASH = select(ARTICLES.id, ARTICLES.title).where(
    ARTICLES.content_hash == bindparam("hash"), func.length(ARTICLES.text) >= MIN_HASHED_TEXT
)
_NEAR_FINGERPRINTS = (
    select(FINGERPRINTS.article_id, FINGERPRINTS.simhash, ARTICLES.title)
    .join(Article.__table__, ARTICLES.id == FINGERPRINTS.article_id)  # type: ignore[attr-defined]
    .where(
        FINGERPRINTS.band.in_(bindparam("bands", expanding=True)),
        FINGERPRINTS.seen_at >= bindparam("low"),
        FINGERPRINTS.seen_at <= bindparam("high"),
    )
    .distinct()
)
_FREQUENCIES = select(FREQUENCIES.term, FREQUENCIES.documents).where(
    FREQUENCIES.term.in_(bindparam("terms", expanding=True))
)
_CANDIDATE_STORIES = (
    select(TERMS.story_id)
    .where(
        TERMS.term.in_(bindparam("terms", expanding=True)),
        TERMS.seen_at >= bindparam("low"),
        TERMS.seen_at <= bindparam("high"),
    )
    .group_by(TERMS.story_id)
    .order_by(func.count().desc(), TERMS.story_id.desc())
    .limit(CANDIDATE_STORIES)
)
_PROFILE_TERMS = select(TERMS.story_id, TERMS.term, TERMS.weight).where(
    TERMS.story_id.in_(bindparam("stories", expanding=True))
)
_PROFILE_LATEST = (
    select(TERMS.story_id, func.max(TERMS.seen_at))
    .where(TERMS.story_id.in_(bindparam("stories", expanding=True)))
    .group_by(TERMS.story_id)
)
_DROP_PROFILE = delete(StoryTerm.__table__).where(TERMS.story_id == bindparam("story"))  # type: ignore[attr-defined]
_INSERT_PROFILE = insert(StoryTerm.__table__)  # type: ignore[attr-defined]
_INSERT_FINGERPRINT = insert(ArticleFingerprint.__table__)  # type: ignore[attr-defined]


def run(
    session: Session, statement: Executable, rows: list[dict[str, Any]] | dict[str, Any] | None = None
) -> Result[*tuple[Any, ...]]:
    """Execute a Core statement on the session's connection, inside its transaction."""
    return session.connection().execute(statement, rows)


def article_time(data: ArticleData, now: datetime) -> datetime:
    """When the article appeared: its publication time, never in the future, else now."""
    return min(data.published, now) if data.published else now


def known_home(session: Session, data: ArticleData, source_id: int) -> bool:
    """Whether this URL, or this source's guid, is stored already."""
    if data.guid:
        found = run(session, _HOME_BY_URL_OR_GUID, {"url": data.url, "source": source_id, "guid": data.guid})
    else:
        found = run(session, _HOME_BY_URL, {"url": data.url})
    return found.first() is not None


def similar_titles(a: str, b: str) -> bool:
    """Whether two headlines share most of their words: identical text under an unrelated headline is a
    page template or a live blog, not a republished report."""
    first, second = title_words(a), title_words(b)
    if not first or not second:
        return True
    return len(first & second) / min(len(first), len(second)) >= 0.5


def title_words(title: str) -> set[str]:
    return {stem(w) for w in words(title) if w not in STOPWORDS}


def text_fingerprint(text: str) -> int | None:
    """The SimHash an article is stored and compared under (None for texts too short to tell apart)."""
    return simhash(text) if len(text) >= MIN_HASHED_TEXT else None


def same_article(
    session: Session,
    data: ArticleData,
    when: datetime,
    window: timedelta,
    *,
    fingerprint: int | None = None,
) -> tuple[int, str] | None:
    """The stored article ``data`` is a copy of, and by which rule ("guid", "hash" or "simhash").

    Text identity (exact hash or SimHash) also needs similar headlines, see ``similar_titles``.
    ``fingerprint`` is ``text_fingerprint(data.text)`` when the caller has it already.
    """
    if data.guid and len(data.guid) >= MIN_SHARED_GUID:
        found = run(session, _ARTICLE_BY_GUID, {"guid": data.guid}).first()
        if found is not None:
            return found[0], "guid"
    if len(data.text) < MIN_HASHED_TEXT:
        return None
    if data.content_hash:
        hashed = run(session, _ARTICLES_BY_HASH, {"hash": data.content_hash}).all()
        for article_id, title in hashed:
            if article_id is not None and similar_titles(title, data.title):
                return article_id, "hash"
    if fingerprint is None:
        fingerprint = text_fingerprint(data.text)
    if fingerprint is None:
        return None
    bands = {"bands": band_keys(fingerprint), "low": when - window, "high": when + window}
    rows = run(session, _NEAR_FINGERPRINTS, bands).all()
    for article_id, stored, title in rows:
        if near_duplicate(fingerprint, int(stored, 16)) and similar_titles(title, data.title):
            return article_id, "simhash"
    return None


def add_fingerprint(
    session: Session, article_id: int, text: str, when: datetime, *, fingerprint: int | None = None
) -> None:
    if fingerprint is None:
        fingerprint = text_fingerprint(text)
    if fingerprint is None:
        return
    hexed = fingerprint_hex(fingerprint)
    rows = [
        {"article_id": article_id, "band": band, "simhash": hexed, "seen_at": when}
        for band in band_keys(fingerprint)
    ]
    run(session, _INSERT_FINGERPRINT, rows)


def document_frequency(session: Session, terms: Iterable[str]) -> DocumentFrequency:
    """The running document counts for ``terms`` (and the total), as stored now."""
    wanted = sorted(set(terms) | {ALL_ARTICLES})
    counts: dict[str, int] = dict(run(session, _FREQUENCIES, {"terms": wanted}).all())
    return DocumentFrequency(counts.pop(ALL_ARTICLES, 0), counts)


def count_document(session: Session, features: ArticleFeatures) -> None:
    """Add one article to the document counts: one upsert statement run for every term (compiled once,
    cached), terms in a fixed order so concurrent replicas lock rows alike and never deadlock."""
    rows = [{"term": t} for t in sorted(set(features.terms) | {ALL_ARTICLES})]
    run(session, _count_upsert(session.get_bind().dialect.name), rows)


def dialect_insert(dialect: str) -> Callable[[Any], postgresql.Insert | sqlite.Insert]:
    """The ``insert`` of the dialect's own module, which has ``on_conflict_do_nothing`` and
    ``on_conflict_do_update`` (the generic one has neither); both spell them alike."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


@lru_cache(maxsize=4)
def _count_upsert(dialect: str) -> Executable:
    return (
        dialect_insert(dialect)(TermFrequency.__table__)  # type: ignore[attr-defined]
        .values(term=bindparam("term"), documents=1)
        .on_conflict_do_update(index_elements=["term"], set_={"documents": FREQUENCIES.documents + 1})
    )


def find_story(
    session: Session, features: ArticleFeatures, idf: DocumentFrequency, grouping: Grouping
) -> tuple[StoryProfile, Score] | None:
    """The stored story the article joins (its profile), found through ``story_terms``; None: a new story."""
    keys = lookup_terms(features, idf.idf)
    if not keys:
        return None
    window = grouping.window
    wanted = {"terms": list(keys), "low": features.when - window, "high": features.when + window}
    candidates = run(session, _CANDIDATE_STORIES, wanted).scalars()
    story_ids = list(candidates)
    if not story_ids:
        return None
    profiles = {p.story_id: p for p in load_profiles(session, story_ids)}
    best = best_story(features, profiles.values(), idf.idf, window=window, threshold=grouping.threshold)
    return (profiles[best[0]], best[1]) if best is not None else None


def load_profiles(session: Session, story_ids: list[int]) -> list[StoryProfile]:
    """The stories' index rows as profiles; the latest time is read once per story, not once per row
    (turning a stored time into a datetime costs more than reading the row)."""
    profiles = {sid: StoryProfile(sid) for sid in story_ids}
    # .all() fetches in one call; iterating a result fetches row by row, most of the cost here
    for story_id, term, weight in run(session, _PROFILE_TERMS, {"stories": story_ids}).all():
        profiles[story_id].terms[term] = weight
    for story_id, seen in run(session, _PROFILE_LATEST, {"stories": story_ids}).all():
        profiles[story_id].last_seen = seen
    return list(profiles.values())


def update_profile(session: Session, current: StoryProfile, features: ArticleFeatures) -> None:
    """Fold the article's features into the story's index rows (rewritten whole: a profile is small)."""
    story_id = current.story_id
    merged = current.merged(features)
    run(session, _DROP_PROFILE, {"story": story_id})
    rows = [
        {"story_id": story_id, "term": term, "weight": weight, "seen_at": merged.last_seen}
        for term, weight in sorted(merged.terms.items())
    ]
    run(session, _INSERT_PROFILE, rows)
