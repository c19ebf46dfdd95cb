"""Every button, on every platform: ``answer_button(ctx, action, value) -> Reply``.

Platforms put ``f"{action}:{value}"`` in their callback data / action value (``handlers.render.Button``)
and call ``answer_button`` with the decoded pair and the usual ``CommandContext`` (who pressed, in which
chat). It never raises for bad input; it answers with an error Reply.

* ``story:ID``      the story with its summary and every outlet;
* ``similar:ID``    other stories that matched the same topics, newest first;
* ``mute:TOPIC``    no alerts for that topic in the chat where it was pressed for ``MUTE_FOR`` (8 h);
* ``search_more`` / ``latest_more``: the next page of ``/search`` / ``/latest``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import col, select

from bot import chat_subscriptions, queries
from bot.models import Match, Story
from handlers.commands import CommandContext, latest_more, search_more
from handlers.render import Reply, ReplyItem, local_time, parse_payload
from watchers.errors import NewswatchError

MUTE_FOR = timedelta(hours=8)
SIMILAR = 5


def answer_button(ctx: CommandContext, action: str, value: str) -> Reply:
    """The Reply for a press of the button ``action:value`` by ``ctx.user`` in ``ctx.chat``."""
    handler = BUTTON_ACTIONS.get(action)
    if handler is None:
        return Reply("That button no longer works; try the command again.", error=True)
    return handler(ctx, value)


def run_button(ctx: CommandContext, payload: str) -> Reply:
    """A pressed button given as its payload (``action:value``)."""
    return answer_button(ctx, *parse_payload(payload))


def _story(ctx: CommandContext, value: str) -> Reply:
    if not value.isdigit():
        return Reply("That story link is broken.", error=True)
    view = queries.story(ctx.store, int(value))
    if view is None:
        return Reply(f"Story {value} no longer exists.", error=True)
    lines = [view.title, "", view.summary or "(no summary)", "", "Sources:"]
    items = tuple(
        ReplyItem(a.title or view.title, a.url, f"{a.source}, {a.published or 'undated'}")
        for a in view.articles
    )
    return Reply("\n".join(lines), items)


def _similar(ctx: CommandContext, value: str) -> Reply:
    """Stories sharing a matched topic with story ``value``, newest first (via the stored matches)."""
    if not value.isdigit():
        return Reply(f"There is no story {value!r}.", error=True)
    story_id = int(value)
    with ctx.store.session() as session:
        if session.get(Story, story_id) is None:
            return Reply(f"There is no story {story_id}.", error=True)
        topic_ids = select(Match.topic_id).where(Match.story_id == story_id)
        ids = session.exec(
            select(Match.story_id)
            .where(col(Match.topic_id).in_(topic_ids), Match.story_id != story_id)
            .group_by(col(Match.story_id))
            .order_by(func.max(Match.matched_at).desc(), col(Match.story_id).desc())
            .limit(SIMILAR)
        ).all()
    views = [v for v in (queries.story(ctx.store, i) for i in ids) if v is not None]
    if not views:
        return Reply(f"No other stories share a topic with story {story_id} yet.")
    items = tuple(
        ReplyItem(v.title, v.url, ", ".join(dict.fromkeys(a.source for a in v.articles)), v.id) for v in views
    )
    return Reply(f"More like story {story_id}:", items)


def _mute(ctx: CommandContext, value: str) -> Reply:
    if not value.strip():
        return Reply("Which topic? The button carried none.", error=True)
    try:
        name, until, zone = chat_subscriptions.mute(
            ctx.store, ctx.platform, ctx.chat, value, MUTE_FOR, actor=ctx.actor
        )
    except NewswatchError as exc:
        return Reply(str(exc), error=True)
    if ctx.platform == "slack":  # Slack shows each reader their own clock; a duration reads right for all
        return Reply(f"Muted {name} in this channel for {MUTE_FOR.seconds // 3600} h.")
    return Reply(f"Muted {name} in this chat until {local_time(until, zone)}.")


BUTTON_ACTIONS: dict[str, Callable[[CommandContext, str], Reply]] = {
    "story": _story,
    "similar": _similar,
    "mute": _mute,
    "search_more": search_more,
    "latest_more": latest_more,
}
