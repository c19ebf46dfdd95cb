"""Commands that change what one chat receives, and ``/why``: subscriptions, mutes, settings.

Subscribing, unsubscribing and settings are ``chat_admin`` commands (see ``handlers.commands``): anyone in
a direct chat, a group's own administrators (or a global admin) in a group. ``/mute`` is for everyone, like
the Mute button under every alert: it only pauses a topic for a while, and it is audited.
The storage rules live in ``bot.chat_subscriptions``.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from bot import chat_subscriptions as subs
from bot.durations import format_duration, parse_duration
from bot.models import Article, Match, Story, utcnow
from handlers.commands import CommandContext, command
from handlers.render import Reply, local_time
from watchers.errors import NewswatchError

SUBSCRIBE_USAGE = "Usage: /subscribe TOPIC [instant | digest HH:MM | hourly]   e.g. /subscribe NATO expansion"
SETTINGS_USAGE = (
    "Usage: /settings [timezone ZONE | quiet HH:MM-HH:MM | quiet off | digest HH:MM]"
    "   e.g. /settings timezone Europe/Berlin"
)
MAX_SPANS = 12


def _split_mode(args: list[str]) -> tuple[str, list[str]]:
    """(topic name, mode words): the mode is the trailing ``instant``, ``hourly`` or ``digest [HH:MM]``."""
    lowered = [a.lower() for a in args]
    if lowered and lowered[-1] in ("instant", "hourly", "digest"):
        return " ".join(args[:-1]), lowered[-1:]
    if len(lowered) >= 2 and lowered[-2] == "digest":
        return " ".join(args[:-2]), lowered[-2:]
    return " ".join(args), []


@command(
    "subscribe",
    "/subscribe TOPIC [MODE]",
    "alerts for a topic here: instant, hourly or digest HH:MM",
    "/subscribe NATO expansion digest 08:00",
    access="chat_admin",
)
def _subscribe(ctx: CommandContext, args: list[str]) -> Reply:
    topic, mode_words = _split_mode(args)
    if not topic:
        return Reply(SUBSCRIBE_USAGE, error=True)
    try:
        mode = subs.parse_mode(mode_words)
        return Reply(subs.subscribe(ctx.store, ctx.platform, ctx.chat, topic, mode, actor=ctx.actor))
    except NewswatchError as exc:
        return Reply(str(exc), error=True)


@command(
    "unsubscribe",
    "/unsubscribe TOPIC",
    "no more alerts for a topic here",
    "/unsubscribe NATO expansion",
    access="chat_admin",
)
def _unsubscribe(ctx: CommandContext, args: list[str]) -> Reply:
    if not args:
        return Reply("Usage: /unsubscribe TOPIC   e.g. /unsubscribe NATO expansion", error=True)
    try:
        return Reply(subs.unsubscribe(ctx.store, ctx.platform, ctx.chat, " ".join(args), actor=ctx.actor))
    except NewswatchError as exc:
        return Reply(str(exc), error=True)


@command(
    "mute",
    "/mute TOPIC DURATION",
    "pause a topic's alerts here for a while",
    "/mute NATO expansion 2h",
)
def _mute(ctx: CommandContext, args: list[str]) -> Reply:
    if len(args) < 2:
        return Reply("Usage: /mute TOPIC DURATION   e.g. /mute NATO expansion 2h", error=True)
    try:
        period = parse_duration(args[-1])
    except ValueError as exc:
        return Reply(f"{exc}. Usage: /mute TOPIC DURATION   e.g. /mute NATO expansion 2h", error=True)
    try:
        name, until, zone = subs.mute(
            ctx.store, ctx.platform, ctx.chat, " ".join(args[:-1]), period, actor=ctx.actor
        )
    except NewswatchError as exc:
        return Reply(str(exc), error=True)
    return Reply(f"Muted {name} here for {format_duration(period)}, until {local_time(until, zone)}.")


@command(
    "settings",
    "/settings [timezone|quiet|digest VALUE]",
    "show or change this chat's time zone, quiet hours, digest time",
    "/settings quiet 22:00-07:00",
    access="chat_admin",
)
def _settings(ctx: CommandContext, args: list[str]) -> Reply:
    if not args:
        return _show_settings(ctx)
    if len(args) != 2:
        return Reply(SETTINGS_USAGE, error=True)
    key, value = args[0].lower(), args[1]
    try:
        if key in ("timezone", "tz", "zone"):
            text = subs.set_timezone(ctx.store, ctx.platform, ctx.chat, value, actor=ctx.actor)
        elif key in ("quiet", "quiet_hours"):
            text = subs.set_quiet_hours(ctx.store, ctx.platform, ctx.chat, value, actor=ctx.actor)
        elif key == "digest":
            text = subs.set_digest_time(ctx.store, ctx.platform, ctx.chat, value, actor=ctx.actor)
        else:
            return Reply(f"There is no setting {key!r}. {SETTINGS_USAGE}", error=True)
    except NewswatchError as exc:
        return Reply(str(exc), error=True)
    return Reply(text)


def _show_settings(ctx: CommandContext) -> Reply:
    current = subs.settings(ctx.store, ctx.platform, ctx.chat)
    now = utcnow()
    lines = [
        "Settings for this chat:",
        f"  time zone: {current.timezone}",
        f"  quiet hours: {current.quiet_hours or 'off'}",
        "  subscriptions:" if current.subscriptions else "  subscriptions: none (see /topics, /subscribe)",
    ]
    for name, mode, muted in current.subscriptions:
        mute = f", muted until {local_time(muted, current.timezone)}" if muted and muted > now else ""
        lines.append(f"    {name}: {mode}{mute}")
    lines.append(SETTINGS_USAGE.replace("Usage: ", "Change: "))
    return Reply("\n".join(lines))


@command("why", "/why ID TOPIC", "which words of a topic matched a story, and where", "/why 3 NATO expansion")
def _why(ctx: CommandContext, args: list[str]) -> Reply:
    if len(args) < 2 or not args[0].isdigit():
        return Reply("Usage: /why ID TOPIC   e.g. /why 3 NATO expansion", error=True)
    story_id, name = int(args[0]), " ".join(args[1:])
    with ctx.store.session() as session:
        story = session.get(Story, story_id)
        if story is None:
            return Reply(f"There is no story {story_id}.", error=True)
        try:
            topic = subs.topic_named(session, name)
        except NewswatchError as exc:
            return Reply(str(exc), error=True)
        rows = session.exec(
            select(Match)
            .where(Match.story_id == story_id, Match.topic_id == topic.id)
            .order_by(col(Match.id))
        ).all()
        if not rows:
            return Reply(f"Story {story_id} did not match {topic.name}.", error=True)
        lines = [f"Why story {story_id} matched {topic.name} ({topic.query}):"]
        for match in rows:
            article = match.article_id
            lines.append(
                f"  article {article}: score {match.score:g}; terms: {', '.join(match.terms) or '-'}"
            )
            lines += _spans(session, match)
    return Reply("\n".join(lines))


def _spans(session: Session, match: Match) -> list[str]:
    """Each stored hit as its field and the words around it, the matched part in «guillemets»."""
    article = session.get(Article, match.article_id)
    if article is None:
        return []
    out = []
    for span in match.spans[:MAX_SPANS]:
        field = str(span.get("field", ""))
        text = article.title if field == "title" else article.text
        start, end = int(span.get("start", 0)), int(span.get("end", 0))
        if not 0 <= start < end <= len(text):
            continue
        before = text[max(0, start - 30) : start].split("\n")[-1]
        after = text[end : end + 30].split("\n")[0]
        out.append(f"    {field}: …{before}«{text[start:end]}»{after}…")
    if len(match.spans) > MAX_SPANS:
        out.append(f"    … and {len(match.spans) - MAX_SPANS} more")
    return out
