"""The database tables. Every change to them goes through an Alembic migration in ``bot/migrations``.

Times are stored as timezone-aware UTC (``TIMESTAMP WITH TIME ZONE`` on PostgreSQL; SQLite keeps the
offset in the text and ``UTCDateTime`` restores it). Uniqueness that the product promises is enforced by
the database, not only by code: one article per canonical URL, one match per article and topic, one
delivery per story, topic and chat (so a second "new" alert is impossible, even across replicas).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, Column, DateTime, Index, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm.instrumentation import manager_of_class
from sqlmodel import Field, SQLModel

_Model = TypeVar("_Model", bound=SQLModel)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A DateTime that refuses naive values and always comes back aware in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def from_row(model: type[_Model], row: Mapping[Any, Any]) -> _Model:
    """An instance of a table model holding a row already read (all its columns), built the way the ORM
    builds one when it loads a row: the mapper's instance factory, then the values into its dict. The
    model's ``__init__`` validates and sets each field through the attribute events, which for a source
    cost more than the UPDATE that read the row (153 µs); a row from the database needs neither. Like
    ``model(**row)``, the instance belongs to no session."""
    instance: _Model = manager_of_class(model).new_instance()
    instance.__dict__.update(row)
    return instance


def _when(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class Source(SQLModel, table=True):
    """A place we poll, with the fetch state that makes polling incremental and its health."""

    __tablename__ = "sources"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    url: str = Field(sa_column=Column(Text, unique=True, nullable=False))
    kind: str = "rss"
    # Per-kind reader options (selector, max_items, max_sitemaps, timespan_seconds); see watchers.sources.
    options: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    # ``search`` sources: each topic request URL's validators (etag, last_modified) from the last poll.
    query_validators: dict[str, list[str | None]] | None = Field(default=None, sa_column=Column(JSON))
    # ``rss`` sources: digest of the last feed body parsed; the same bytes again are not parsed.
    body_hash: str | None = None
    every_seconds: int = 600
    backfill_seconds: int = 86400
    origin: str = "config"  # "config" (from the TOML) or "chat" (added by an admin)
    paused: bool = False
    etag: str | None = None
    last_modified: str | None = None
    first_polled_at: datetime | None = _when()
    last_polled_at: datetime | None = _when()
    last_success_at: datetime | None = _when()
    last_new_entry_at: datetime | None = _when()
    consecutive_failures: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    next_poll_at: datetime | None = _when(index=True)
    lease_until: datetime | None = _when()
    lease_owner: str | None = None


class Topic(SQLModel, table=True):
    __tablename__ = "topics"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(Text, unique=True, nullable=False))
    query: str = Field(sa_column=Column(Text, nullable=False))
    min_score: float = 2.0  # watchers.query.DEFAULT_MIN_SCORE: a title/lead match or two in the body
    origin: str = "config"
    enabled: bool = True
    created_at: datetime | None = _when()


class Story(SQLModel, table=True):
    """One event, however many outlets report it."""

    __tablename__ = "stories"
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_column=Column(Text, nullable=False))
    title_key: str = Field(index=True)
    url: str = Field(sa_column=Column(Text, nullable=False))
    summary: str = Field(default="", sa_column=Column(Text, nullable=False))
    first_seen_at: datetime | None = _when(index=True)
    updated_at: datetime | None = _when()
    article_count: int = 1


class Article(SQLModel, table=True):
    __tablename__ = "articles"
    __table_args__ = (Index("ix_articles_published_at", "published_at"),)
    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="sources.id", index=True)
    story_id: int | None = Field(default=None, foreign_key="stories.id", index=True)
    url: str = Field(sa_column=Column(Text, unique=True, nullable=False))
    guid: str | None = Field(default=None, index=True)
    title: str = Field(sa_column=Column(Text, nullable=False))
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    summary: str = Field(default="", sa_column=Column(Text, nullable=False))
    author: str | None = None
    language: str | None = None
    text_origin: str = "feed"
    content_hash: str = Field(index=True)
    published_at: datetime | None = _when()
    fetched_at: datetime | None = _when(index=True)
    alerted: bool = True  # False for entries stored silently by the first poll's backfill window


class Match(SQLModel, table=True):
    __tablename__ = "matches"
    __table_args__ = (
        UniqueConstraint("article_id", "topic_id", name="uq_matches_article_topic"),
        Index("ix_matches_matched_at_id", "matched_at", "id"),
        Index("ix_matches_topic_matched_at_id", "topic_id", "matched_at", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="articles.id", index=True)
    topic_id: int = Field(foreign_key="topics.id", index=True)
    story_id: int = Field(foreign_key="stories.id", index=True)
    score: float = 0.0
    terms: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    spans: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    matched_at: datetime | None = _when()
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class Chat(SQLModel, table=True):
    """Somewhere alerts go: a config channel (jsonl, console) or a Telegram chat / Slack channel."""

    __tablename__ = "chats"
    __table_args__ = (UniqueConstraint("platform", "external_id", name="uq_chats_platform_external"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str
    external_id: str
    name: str = ""
    active: bool = True
    deactivated_reason: str | None = None
    timezone: str = "UTC"
    quiet_hours: str | None = None  # "22:00-07:00" in the chat's time zone: instant alerts are held


class Subscription(SQLModel, table=True):
    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("chat_id", "topic_id", name="uq_subscriptions_chat_topic"),)
    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(foreign_key="chats.id", index=True)
    topic_id: int = Field(foreign_key="topics.id", index=True)
    mode: str = "instant"
    origin: str = "config"
    active: bool = True
    created_at: datetime | None = _when()
    muted_until: datetime | None = _when()  # alerts for this topic are skipped until then
    last_digest_at: datetime | None = _when()  # digest modes: when the last digest went out


class Delivery(SQLModel, table=True):
    """The outbox: one row per story × topic × chat, written in the transaction that records the match.

    ``status`` is ``pending`` (never sent), ``sent``, ``failed`` (gave up), ``dropped`` (chat gone) or
    ``muted`` (the topic was muted in that chat when it was due).
    ``pending_update`` marks a sent alert whose story gained an outlet and whose message must be updated.
    ``in_digest`` marks an alert delivered as a line of a digest message (nothing to edit later).
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("story_id", "topic_id", "chat_id", name="uq_deliveries_story_topic_chat"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    story_id: int = Field(foreign_key="stories.id", index=True)
    topic_id: int = Field(foreign_key="topics.id")
    chat_id: int = Field(foreign_key="chats.id", index=True)
    status: str = "pending"
    pending_update: bool = False
    attempts: int = 0
    next_attempt_at: datetime | None = _when()
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    message_id: str | None = None
    sent_sources: int = 0
    created_at: datetime | None = _when()
    sent_at: datetime | None = _when()
    lease_until: datetime | None = _when()
    in_digest: bool = False


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime | None = _when(index=True)
    actor: str
    action: str
    subject: str = ""
    detail: str = Field(default="", sa_column=Column(Text, nullable=False))


class SourceEvent(SQLModel, table=True):
    """Notable changes in a source's health (paused after failures, recovered) for admins to see."""

    __tablename__ = "source_events"
    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="sources.id", index=True)
    at: datetime | None = _when()
    kind: str
    detail: str = Field(default="", sa_column=Column(Text, nullable=False))


class ArticleHome(SQLModel, table=True):
    """Where an article was published: one row per outlet carrying it (wire copy has several).

    The first home is the article's own URL; syndicated copies found by guid, content hash or SimHash add
    homes instead of new articles, so "also reported by" lists every outlet.
    """

    __tablename__ = "article_homes"
    __table_args__ = (Index("ix_article_homes_source_guid", "source_id", "guid"),)
    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="articles.id", index=True)
    source_id: int = Field(foreign_key="sources.id", index=True)
    url: str = Field(sa_column=Column(Text, unique=True, nullable=False))
    guid: str | None = None
    title: str = Field(sa_column=Column(Text, nullable=False))
    published_at: datetime | None = _when()
    fetched_at: datetime | None = _when()


class ArticleAlias(SQLModel, table=True):
    """Another address of a stored article on the same site (a print view, ``?id=`` beside the slug link)
    that serves the same page text.

    Not a home: the outlet is the same, so "also reported by" and alert updates do not change. Remembered
    so that ``known_urls`` finds the address, and the feed entry that leads to it is not fetched, extracted
    and summarised again at every poll for as long as the feed lists it.
    """

    __tablename__ = "article_aliases"
    url: str = Field(sa_column=Column(Text, primary_key=True))
    article_id: int = Field(foreign_key="articles.id", index=True)
    seen_at: datetime | None = _when()


class ArticleFingerprint(SQLModel, table=True):
    """One SimHash band of an article's text, indexed so near-duplicates are found by equality."""

    __tablename__ = "article_fingerprints"
    __table_args__ = (Index("ix_article_fingerprints_band_seen", "band", "seen_at"),)
    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="articles.id", index=True)
    band: int
    simhash: str  # the whole 64-bit fingerprint in hex, to check the Hamming distance of a candidate
    seen_at: datetime | None = _when()


class StoryTerm(SQLModel, table=True):
    """A story's profile, one weighted term per row, indexed by term: the candidate-story index."""

    __tablename__ = "story_terms"
    __table_args__ = (
        UniqueConstraint("story_id", "term", name="uq_story_terms_story_term"),
        Index("ix_story_terms_term_seen", "term", "seen_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    story_id: int = Field(foreign_key="stories.id", index=True)
    term: str
    weight: float = 0.0
    seen_at: datetime | None = _when()  # the story's latest article, so lookups stay inside the window


class TermFrequency(SQLModel, table=True):
    """How many articles carried each story term (``#articles`` counts them all): the IDF of grouping."""

    __tablename__ = "term_frequencies"
    term: str = Field(primary_key=True)
    documents: int = 0


class InboundEvent(SQLModel, table=True):
    """A platform event or command already acted on: a redelivery (retry, another replica) is ignored.

    ``key`` is the platform's own id for the delivery (Slack ``event_id``, or ``trigger_id`` for commands
    and button presses); the unique constraint makes the first insert win across replicas.
    """

    __tablename__ = "inbound_events"
    __table_args__ = (UniqueConstraint("platform", "key", name="uq_inbound_events_platform_key"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str
    key: str
    received_at: datetime | None = _when(index=True)


class DispatchLease(SQLModel, table=True):
    """Which replica sends to a platform now: one sender per platform keeps its rate limits and the order
    within each chat across replicas (a replica's ``RateLimiter`` only knows its own sends)."""

    __tablename__ = "dispatch_leases"
    platform: str = Field(primary_key=True)
    owner: str
    until: datetime = _when(nullable=False)
