"""What a chat follows and how it wants it, changed from the chat itself.

Chats and subscriptions created here get ``origin = "chat"``: the TOML sync (``bot.catalog``) never
changes or deactivates them. Every change is written to the audit log with its actor
(``platform:user``). Bad input raises ``NewswatchError`` with a sentence meant for the user; nothing is
stored then.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.digests import parse_quiet_hours
from bot.models import AuditEntry, Chat, Subscription, Topic, utcnow
from bot.store import Store
from watchers.errors import NewswatchError

CHAT_ORIGIN = "chat"
MAX_MUTE = timedelta(days=30)
_MODE = re.compile(r"^(instant|hourly|digest ([01]\d|2[0-3]):([0-5]\d))$")


@dataclass(frozen=True)
class ChatSettings:
    timezone: str
    quiet_hours: str | None
    subscriptions: tuple[tuple[str, str, datetime | None], ...]  # (topic, mode, muted until)


def parse_mode(words: list[str]) -> str:
    """``instant``, ``hourly`` or ``digest HH:MM`` from the words after the topic."""
    mode = " ".join(w.lower() for w in words) or "instant"
    if mode == "digest":
        raise NewswatchError("digest needs a time: digest 08:00")
    if not _MODE.match(mode):
        raise NewswatchError(f"{mode!r} is not a delivery mode; use instant, hourly or digest HH:MM")
    return mode


def topic_named(session: Session, name: str) -> Topic:
    """The enabled topic called ``name`` (any case), or an error that suggests the closest names."""
    row = session.exec(
        select(Topic).where(func.lower(Topic.name) == name.lower(), col(Topic.enabled).is_(True))
    ).first()
    if row is not None:
        return row
    names = list(session.exec(select(Topic.name).where(col(Topic.enabled).is_(True))).all())
    raise NewswatchError(f"There is no topic {name!r}.{did_you_mean(name, names)}")


def did_you_mean(name: str, names: list[str]) -> str:
    """`` Did you mean 'X'?`` for the closest of ``names`` (case-insensitive), or a pointer to /topics."""
    lowered = {n.lower(): n for n in names}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.5)
    if not close:
        close = [n for n in lowered if name.lower() in n or n in name.lower()][:1]
    return f" Did you mean {lowered[close[0]]!r}?" if close else " Type /topics for the list."


def chat_row(session: Session, platform: str, external_id: str, *, create: bool) -> Chat | None:
    row = session.exec(select(Chat).where(Chat.platform == platform, Chat.external_id == external_id)).first()
    if row is None and create:
        row = Chat(platform=platform, external_id=external_id, name=f"{platform}:{external_id}")
        session.add(row)
        session.flush()
    return row


def subscribe(store: Store, platform: str, chat: str, topic: str, mode: str, *, actor: str) -> str:
    """Subscribe the chat (created if new) to ``topic``; an existing subscription gets the new mode."""
    with store.session() as session:
        row = topic_named(session, topic)
        target = chat_row(session, platform, chat, create=True)
        assert target is not None
        assert target.id is not None
        assert row.id is not None
        if not target.active:
            target.active, target.deactivated_reason = True, None
            session.add(target)
        sub = session.exec(
            select(Subscription).where(Subscription.chat_id == target.id, Subscription.topic_id == row.id)
        ).first()
        if sub is not None and sub.active and sub.mode == mode:
            return f"This chat already follows {row.name} ({mode})."
        if sub is None:
            sub = Subscription(chat_id=target.id, topic_id=row.id, created_at=utcnow())
        sub.mode, sub.active, sub.origin = mode, True, CHAT_ORIGIN
        session.add(sub)
        _audit(session, actor, "subscribe", row.name, f"{platform}:{chat} {mode}")
        return f"Subscribed this chat to {row.name} ({mode})."


def unsubscribe(store: Store, platform: str, chat: str, topic: str, *, actor: str) -> str:
    with store.session() as session:
        row = topic_named(session, topic)
        sub = _subscription(session, platform, chat, row)
        sub.active, sub.origin = False, CHAT_ORIGIN  # the chat's choice now; a config sync leaves it
        session.add(sub)
        _audit(session, actor, "unsubscribe", row.name, f"{platform}:{chat}")
        return f"Unsubscribed this chat from {row.name}."


def mute(
    store: Store, platform: str, chat: str, topic: str, period: timedelta, *, actor: str
) -> tuple[str, datetime, str]:
    """Skip alerts for ``topic`` in this chat for ``period``; returns (topic name, until, chat zone)."""
    if period <= timedelta(0) or period > MAX_MUTE:
        raise NewswatchError("mute for between 1 minute and 30 days, e.g. 2h or 3d")
    with store.session() as session:
        row = topic_named(session, topic)
        sub = _subscription(session, platform, chat, row)
        until = utcnow() + period
        sub.muted_until = until
        session.add(sub)
        _audit(session, actor, "mute", row.name, f"{platform}:{chat} until {until.isoformat()}")
        zone = session.exec(select(Chat.timezone).where(Chat.id == sub.chat_id)).one()
        return row.name, until, zone


def settings(store: Store, platform: str, chat: str) -> ChatSettings:
    with store.session() as session:
        row = chat_row(session, platform, chat, create=False)
        if row is None:
            return ChatSettings("UTC", None, ())
        subs = session.exec(
            select(Topic.name, Subscription.mode, Subscription.muted_until)
            .join(Topic, col(Topic.id) == Subscription.topic_id)
            .where(Subscription.chat_id == row.id, col(Subscription.active).is_(True))
            .order_by(Topic.name)
        ).all()
        return ChatSettings(row.timezone, row.quiet_hours, tuple((n, m, u) for n, m, u in subs))


def set_timezone(store: Store, platform: str, chat: str, zone: str, *, actor: str) -> str:
    name = _zone(zone)
    with store.session() as session:
        row = chat_row(session, platform, chat, create=True)
        assert row is not None
        row.timezone = name
        session.add(row)
        _audit(session, actor, "settings timezone", f"{platform}:{chat}", name)
    return f"Time zone set to {name}."


def set_quiet_hours(store: Store, platform: str, chat: str, spec: str, *, actor: str) -> str:
    value: str | None = None if spec.lower() in ("off", "none") else spec
    if value is not None:
        try:
            parse_quiet_hours(value)
        except ValueError as exc:
            raise NewswatchError(str(exc)) from None
    with store.session() as session:
        row = chat_row(session, platform, chat, create=True)
        assert row is not None
        row.quiet_hours = value
        session.add(row)
        _audit(session, actor, "settings quiet", f"{platform}:{chat}", value or "off")
    return f"Quiet hours {value} ({row.timezone})." if value else "Quiet hours off."


def set_digest_time(store: Store, platform: str, chat: str, at: str, *, actor: str) -> str:
    """Every digest subscription of this chat goes out at ``at`` (``HH:MM`` in the chat's zone)."""
    mode = parse_mode(["digest", at])
    with store.session() as session:
        row = chat_row(session, platform, chat, create=False)
        subs = (
            session.exec(
                select(Subscription).where(
                    Subscription.chat_id == row.id,
                    col(Subscription.active).is_(True),
                    col(Subscription.mode).like("digest %"),
                )
            ).all()
            if row is not None
            else []
        )
        if not subs:
            raise NewswatchError("This chat has no digest subscriptions; use /subscribe TOPIC digest 08:00")
        for sub in subs:
            sub.mode, sub.origin = mode, CHAT_ORIGIN
            session.add(sub)
        _audit(session, actor, "settings digest", f"{platform}:{chat}", mode)
    return f"Digests now at {at} ({len(subs)} subscription{'s' if len(subs) != 1 else ''})."


def _zone(zone: str) -> str:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        close = difflib.get_close_matches(zone, sorted(available_timezones()), n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]}?" if close else " Use an IANA name such as Europe/Berlin."
        raise NewswatchError(f"{zone!r} is not a time zone.{hint}") from None
    return zone


def _subscription(session: Session, platform: str, chat: str, topic: Topic) -> Subscription:
    row = chat_row(session, platform, chat, create=False)
    sub = (
        session.exec(
            select(Subscription).where(Subscription.chat_id == row.id, Subscription.topic_id == topic.id)
        ).first()
        if row is not None
        else None
    )
    if sub is None or not sub.active:
        raise NewswatchError(f"This chat is not subscribed to {topic.name!r}.")
    return sub


def _audit(session: Session, actor: str, action: str, subject: str, detail: str) -> None:
    session.add(AuditEntry(at=utcnow(), actor=actor, action=action, subject=subject, detail=detail))


def followed_topics(store: Store, platform: str, chat: str) -> set[str]:
    """The names of the topics this chat has an active subscription to."""
    with store.session() as session:
        return set(
            session.exec(
                select(Topic.name)
                .join(Subscription, col(Subscription.topic_id) == Topic.id)
                .join(Chat, col(Chat.id) == Subscription.chat_id)
                .where(
                    Chat.platform == platform,
                    Chat.external_id == chat,
                    col(Subscription.active).is_(True),
                )
            ).all()
        )
