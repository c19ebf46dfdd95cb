"""What we watch and who listens: sources, topics, chats and subscriptions, merged from config and chat.

The TOML is the source of truth for the rows it names (``origin = "config"``): a start updates them, and a
config row that is no longer in the file is paused/disabled rather than deleted, so its history stays.
Rows created in chat or with ``newswatch sources add`` (``origin = "chat"``) are never touched by a config
sync; a row removed there (``origin = "removed"``, kept for its articles) becomes the config's again when
the config names its URL.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from bot.models import Chat, Source, Subscription, Topic, utcnow
from bot.settings import Settings
from bot.store import Store


@dataclass(frozen=True)
class SyncReport:
    sources: int
    topics: int
    chats: int
    subscriptions: int


def chat_key(kind: str, name: str, settings_chat: str | None = None) -> tuple[str, str]:
    """(platform, external id) for a config channel: jsonl/console chats are keyed by channel name."""
    if kind in ("jsonl", "console"):
        return kind, name
    return kind, settings_chat or name


def sync_config(store: Store, settings: Settings) -> SyncReport:
    """Upsert the config's sources, topics, channels and subscriptions into the database."""
    with store.session() as session:
        sources = _sync_sources(session, settings)
        topics = _sync_topics(session, settings)
        chats = _sync_chats(session, settings)
        subs = _sync_subscriptions(session, settings, topics, chats)
    return SyncReport(len(sources), len(topics), len(chats), subs)


def _sync_sources(session: Session, settings: Settings) -> dict[str, Source]:
    existing = {s.url: s for s in session.exec(select(Source)).all()}
    wanted: dict[str, Source] = {}
    for item in settings.sources:
        row = existing.get(item.url) or Source(url=item.url, name=item.name)
        row.name = item.name
        row.kind = item.kind
        row.options = item.reader_options()
        row.every_seconds = int(item.every.total_seconds())
        row.backfill_seconds = int(item.backfill.total_seconds())
        if row.origin == "removed":  # removed from the CLI/chat, now named in the config: the config's again
            row.origin = "config"
        if row.origin == "config":
            row.paused = False
        session.add(row)
        wanted[item.url] = row
    for url, row in existing.items():
        if row.origin == "config" and url not in wanted:
            row.paused = True
            session.add(row)
    session.flush()
    return wanted


def _sync_topics(session: Session, settings: Settings) -> dict[str, Topic]:
    existing = {t.name: t for t in session.exec(select(Topic)).all()}
    wanted: dict[str, Topic] = {}
    for item in settings.topics:
        row = existing.get(item.name) or Topic(name=item.name, query=item.query, created_at=utcnow())
        if row.origin == "removed":  # removed in chat, still (or again) in the config: the config's again
            row.origin = "config"
        if row.origin == "config":
            row.query = item.query
            row.min_score = item.min_score
            row.enabled = True
        session.add(row)
        wanted[item.name] = row
    for name, row in existing.items():
        if row.origin == "config" and name not in wanted:
            row.enabled = False
            session.add(row)
    session.flush()
    return wanted


def _sync_chats(session: Session, settings: Settings) -> dict[str, Chat]:
    wanted: dict[str, Chat] = {}
    for item in settings.channels:
        external = str(item.chat_id) if item.kind == "telegram" else item.channel
        platform, key = chat_key(item.kind, item.name, external)
        row = session.exec(select(Chat).where(Chat.platform == platform, Chat.external_id == key)).first()
        if row is None:
            row = Chat(platform=platform, external_id=key, name=item.name)
        row.name = item.name
        if item.timezone is not None:  # only what the TOML names; a chat's own settings stay otherwise
            row.timezone = item.timezone
        if item.quiet_hours is not None:
            row.quiet_hours = item.quiet_hours
        session.add(row)
        wanted[item.name] = row
    session.flush()
    return wanted


def _sync_subscriptions(
    session: Session, settings: Settings, topics: dict[str, Topic], chats: dict[str, Chat]
) -> int:
    existing = {(s.chat_id, s.topic_id): s for s in session.exec(select(Subscription)).all()}
    wanted: set[tuple[int, int]] = set()
    for item in settings.subscriptions:
        chat, topic = chats[item.channel], topics[item.topic]
        assert chat.id is not None
        assert topic.id is not None
        key = (chat.id, topic.id)
        row = existing.get(key) or Subscription(chat_id=chat.id, topic_id=topic.id, created_at=utcnow())
        wanted.add(key)
        if row.origin != "config":  # subscribed, unsubscribed or re-moded in chat: the chat's choice
            continue
        row.mode = item.mode
        row.active = True
        session.add(row)
    for key, row in existing.items():
        if row.origin == "config" and key not in wanted:
            row.active = False
            session.add(row)
    return len(wanted)


def active_topics(store: Store) -> list[Topic]:
    with store.session() as session:
        return list(session.exec(select(Topic).where(Topic.enabled).order_by(Topic.name)).all())


def all_sources(store: Store) -> list[Source]:
    with store.session() as session:
        return list(session.exec(select(Source).order_by(col(Source.name), col(Source.id))).all())
