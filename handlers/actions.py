"""What the buttons under an alert do, for every platform: ``(store, chat, user, action, value) -> Reply``.

Platforms encode ``f"{action}:{value}"`` in their button payloads (``handlers.render.alert_buttons``) and
call ``answer_button`` with the decoded pair; it never raises for bad input, it answers with an error Reply.

* ``story:ID``   the story with its summary and every outlet;
* ``similar:ID`` other stories that matched the same topics, newest first;
* ``mute:TOPIC`` no alerts for that topic in this chat for ``MUTE_FOR`` (8 h).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func
from sqlmodel import col, select

from bot import queries
from bot.models import Chat, Match, Story, Subscription, Topic, utcnow
from bot.store import Store
from handlers.render import Reply, ReplyItem, local_time

MUTE_FOR = timedelta(hours=8)
SIMILAR = 5

ChatKey = tuple[str, str]  # (platform, external id), e.g. ("telegram", "-1001234")


def answer_button(store: Store, chat: ChatKey, user: str, action: str, value: str) -> Reply:
    """The Reply for a button press by ``user`` in ``chat``."""
    if action == "story":
        return _story(store, value)
    if action == "similar":
        return _similar(store, value)
    if action == "mute":
        return _mute(store, chat, user, value)
    return Reply("That button is no longer supported.", error=True)


def _story(store: Store, value: str) -> Reply:
    if not value.isdigit():
        return Reply("That story link is broken.", error=True)
    view = queries.story(store, int(value))
    if view is None:
        return Reply(f"Story {value} no longer exists.", error=True)
    lines = [view.title, "", view.summary or "(no summary)", "", "Sources:"]
    items = tuple(
        ReplyItem(a.title or view.title, a.url, f"{a.source}, {a.published or 'undated'}")
        for a in view.articles
    )
    return Reply("\n".join(lines), items)


def _similar(store: Store, value: str) -> Reply:
    if not value.isdigit():
        return Reply("That story link is broken.", error=True)
    story_id = int(value)
    with store.session() as session:
        if session.get(Story, story_id) is None:
            return Reply(f"Story {value} no longer exists.", error=True)
        topic_ids = session.exec(select(Match.topic_id).where(Match.story_id == story_id).distinct()).all()
        rows = session.exec(
            select(Story)
            .join(Match, col(Match.story_id) == Story.id)
            .where(col(Match.topic_id).in_(list(topic_ids)), col(Story.id) != story_id)
            .group_by(col(Story.id))
            .order_by(func.max(Story.updated_at).desc(), col(Story.id).desc())
            .limit(SIMILAR)
        ).all()
        items = tuple(ReplyItem(s.title, s.url, "", s.id) for s in rows)
    if not items:
        return Reply("No other stories on the same topics yet.")
    return Reply("More like this:", items)


def _mute(store: Store, chat: ChatKey, user: str, topic_name: str) -> Reply:
    platform, external_id = chat
    with store.session() as session:
        row = session.exec(
            select(Chat).where(Chat.platform == platform, Chat.external_id == external_id)
        ).first()
        topic = session.exec(select(Topic).where(func.lower(Topic.name) == topic_name.lower())).first()
        if row is None or topic is None:
            return Reply(f"There is no topic {topic_name!r} for this chat.", error=True)
        sub = session.exec(
            select(Subscription).where(Subscription.chat_id == row.id, Subscription.topic_id == topic.id)
        ).first()
        if sub is None or not sub.active:
            return Reply(f"This chat is not subscribed to {topic.name!r}.", error=True)
        until = utcnow() + MUTE_FOR
        sub.muted_until = until
        session.add(sub)
        zone = row.timezone
    return Reply(f"Muted {topic.name} in this chat until {local_time(until, zone)}.")
