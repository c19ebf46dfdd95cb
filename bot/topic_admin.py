"""Topics added, edited and removed by admins in chat, and the figures admins ask for.

A topic created in chat has ``origin = "chat"``; editing a topic from the config takes it over (its origin
becomes ``chat``), so the next config sync no longer rewrites the admin's query. Removing a topic that has
matches keeps its row (matches and deliveries reference it) as ``origin = "removed"`` and disabled; adding
the name again revives it. A topic still named in the config is changed there, not removed in chat. The
pipeline reads the enabled topics at every refresh, so a change here applies from the next poll, without
a restart. Every change is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, delete, select

from bot.chat_subscriptions import did_you_mean
from bot.models import (
    Article,
    AuditEntry,
    Delivery,
    Match,
    Source,
    Story,
    Subscription,
    Topic,
    utcnow,
)
from bot.store import Store
from watchers.errors import NewswatchError
from watchers.query import compile_query

CHAT_ORIGIN = "chat"
REMOVED_ORIGIN = "removed"
MAX_NAME = 80


def add_topic(store: Store, name: str, query: str, *, actor: str) -> Topic:
    """A new topic; raises ``QuerySyntaxError`` (with its column) for a bad query, before storing."""
    name = _valid_name(name)
    compiled = compile_query(query)
    with store.session() as session:
        row = _named(session, name)
        if row is not None and row.origin != REMOVED_ORIGIN:
            raise NewswatchError(f"A topic {row.name!r} exists already; use /topic edit to change it.")
        row = row or Topic(name=name, query=query, created_at=utcnow())
        row.name, row.query, row.min_score = name, query, compiled.min_score
        row.origin, row.enabled = CHAT_ORIGIN, True
        session.add(row)
        session.add(AuditEntry(at=utcnow(), actor=actor, action="topic add", subject=name, detail=query))
        session.flush()
        return row


def edit_topic(store: Store, name: str, query: str, *, actor: str) -> tuple[str, str]:
    """Replace a topic's query; returns (name, the old query)."""
    compile_query(query)
    with store.session() as session:
        row = _named(session, name)
        if row is None or row.origin == REMOVED_ORIGIN:
            raise NewswatchError(f"There is no topic {name!r}.")
        old = row.query
        row.query, row.origin, row.enabled = query, CHAT_ORIGIN, True
        session.add(row)
        session.add(
            AuditEntry(
                at=utcnow(), actor=actor, action="topic edit", subject=row.name, detail=f"{old} → {query}"
            )
        )
        return row.name, old


def remove_topic(store: Store, name: str, *, actor: str, config_topics: frozenset[str]) -> str:
    """Remove a chat topic; a sentence saying what happened. ``config_topics``: names the TOML holds."""
    with store.session() as session:
        row = _named(session, name)
        if row is None or row.origin == REMOVED_ORIGIN or row.id is None:
            raise NewswatchError(f"There is no topic {name!r}.")
        if row.name.lower() in {n.lower() for n in config_topics}:
            raise NewswatchError(f"{row.name!r} comes from the config file; remove it there.")
        session.add(
            AuditEntry(at=utcnow(), actor=actor, action="topic remove", subject=row.name, detail=row.query)
        )
        matches = session.exec(select(func.count()).where(col(Match.topic_id) == row.id)).one()
        subs = session.exec(select(Subscription).where(Subscription.topic_id == row.id)).all()
        if matches or session.exec(select(func.count()).where(col(Delivery.topic_id) == row.id)).one():
            row.origin, row.enabled = REMOVED_ORIGIN, False
            session.add(row)
            for sub in subs:
                sub.active = False
                session.add(sub)
            return f"Removed topic {row.name!r}; its {matches} past matches stay in the archive."
        session.execute(delete(Subscription).where(col(Subscription.topic_id) == row.id))
        session.delete(row)
        return f"Removed topic {row.name!r}."


def set_paused(store: Store, which: str, paused: bool, *, actor: str) -> str:
    """Pause or resume the source named ``which`` (or with that URL)."""
    with store.session() as session:
        row = session.exec(
            select(Source).where(
                (func.lower(col(Source.name)) == which.lower()) | (col(Source.url) == which),
                col(Source.origin) != REMOVED_ORIGIN,
            )
        ).first()
        if row is None:
            names = list(session.exec(select(Source.name).where(col(Source.origin) != REMOVED_ORIGIN)).all())
            hint = did_you_mean(which, names).replace("/topics", "/source list")
            raise NewswatchError(f"There is no source {which!r}.{hint}")
        if row.paused == paused:
            return f"{row.name} is {'paused' if paused else 'running'} already."
        row.paused = paused
        if not paused:
            row.consecutive_failures, row.next_poll_at = 0, None
        session.add(row)
        action = "source pause" if paused else "source resume"
        session.add(AuditEntry(at=utcnow(), actor=actor, action=action, subject=row.name, detail=row.url))
        return f"{'Paused' if paused else 'Resumed'} {row.name}."


@dataclass(frozen=True)
class Stats:
    sources: int
    paused_sources: int
    failing_sources: int
    articles: int
    stories: int
    topics: int
    alerts_today: int
    failed_today: int


def stats(store: Store, now: datetime | None = None) -> Stats:
    """Counts for ``/stats``: "today" is the last 24 hours, so it means the same in every time zone."""
    since = (now or utcnow()) - timedelta(days=1)
    with store.session() as session:
        live = col(Source.origin) != REMOVED_ORIGIN

        def count(*where: ColumnElement[bool]) -> int:
            return int(session.exec(select(func.count()).where(*where)).one())

        return Stats(
            sources=count(live),
            paused_sources=count(live, col(Source.paused).is_(True)),
            failing_sources=count(live, col(Source.consecutive_failures) > 0),
            articles=int(session.exec(select(func.count()).select_from(Article)).one()),
            stories=int(session.exec(select(func.count()).select_from(Story)).one()),
            topics=count(col(Topic.enabled).is_(True)),
            alerts_today=count(col(Delivery.status) == "sent", col(Delivery.sent_at) >= since),
            failed_today=count(
                col(Delivery.status).in_(["failed", "dropped"]), col(Delivery.created_at) >= since
            ),
        )


def audit_entries(store: Store, limit: int = 15) -> list[AuditEntry]:
    with store.session() as session:
        return list(session.exec(select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(limit)).all())


def _named(session: Session, name: str) -> Topic | None:
    return session.exec(select(Topic).where(func.lower(Topic.name) == name.lower())).first()


def _valid_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise NewswatchError("A topic needs a name: /topic add NAME = QUERY")
    if len(name) > MAX_NAME:
        raise NewswatchError(f"A topic name is at most {MAX_NAME} characters.")
    return name
