"""Chat commands as platform-neutral functions: ``(CommandContext, args) -> Reply``.

Telegram, Slack and the demo console only translate their input into a ``CommandContext`` and a line of
text, and render the ``Reply``. Admin-only commands declare it in the registry; ``run_command`` enforces
it, so no command re-implements the check. Access levels (``Command.access``):

* ``everyone``: anyone, anywhere;
* ``chat_admin``: changes what one chat receives (subscriptions, settings): anyone in a direct chat; in a
  group or channel, a global admin or that chat's own administrators (``CommandContext.is_chat_admin``:
  a Telegram group's administrators; a Slack workspace's admins and owners and the channel's creator);
* ``admin``: changes what the whole service watches (topics, sources) or shows its internals: global
  admins from ``[telegram] admins`` / ``[slack] admins`` only.

This module holds the registry and the reading commands; ``handlers.chat_commands`` (subscriptions and
settings) and ``handlers.admin_commands`` (topics, sources, audit) register theirs on import, at the end.
"""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from bot import queries
from bot.chat_subscriptions import did_you_mean, followed_topics
from bot.durations import parse_duration
from bot.models import utcnow
from bot.queries import StoryView
from bot.search.engine import InvalidCursor, SearchPage, search_articles
from bot.search.listing import InvalidListCursor
from bot.settings import Settings
from bot.store import Store
from handlers.flood import FloodGate
from handlers.render import Button, Reply, ReplyItem, local_time
from watchers.errors import QuerySyntaxError

MAX_INPUT = 1000
SEARCH_PAGE = 5
MAX_BUTTON_PAYLOAD = 64  # Telegram's limit on callback data, in bytes


@dataclass(frozen=True)
class CommandContext:
    """Who asks, where: platform-neutral identifiers only."""

    store: Store
    user: str
    chat: str
    is_admin: bool = False  # a global admin from the config
    platform: str = "console"
    is_group: bool = False  # a group or channel, where several people share what the chat receives
    is_chat_admin: bool = False  # one of the chat's own administrators, as its platform tells
    flood: FloodGate | None = None  # the adapter's limit on commands per user
    settings: Settings | None = None  # the service's settings (admin commands: config topics, network)

    @property
    def actor(self) -> str:
        """Who did it, for the audit log: ``platform:user id``."""
        return f"{self.platform}:{self.user}"

    def may(self, access: Access) -> bool:
        """Whether this user may run a command of ``access``: the one place the rule lives."""
        if access == "everyone" or self.is_admin:
            return True
        if access == "chat_admin":
            return not self.is_group or self.is_chat_admin
        return False


Access = Literal["everyone", "chat_admin", "admin"]
Handler = Callable[[CommandContext, list[str]], Reply]


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    usage: str
    help: str
    example: str
    access: Access = "everyone"
    raw: bool = False  # the handler gets the rest of the line unsplit (quotes kept), as one argument

    @property
    def admin_only(self) -> bool:
        return self.access == "admin"


COMMANDS: dict[str, Command] = {}


def command(
    name: str, usage: str, help: str, example: str, *, access: Access = "everyone", raw: bool = False
) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        COMMANDS[name] = Command(name, handler, usage, help, example, access, raw)
        return handler

    return register


def command_name(line: str) -> str | None:
    """The registered command a line asks for (``/name@bot args`` → ``name``), if any.

    Adapters use it to learn, before running a command, whether they must look up the group's
    administrators (an API call) for it.
    """
    words = line.strip().lstrip("/").split(None, 1)
    name = words[0].lower().split("@", 1)[0] if words else ""
    return name if name in COMMANDS else None


def run_command(ctx: CommandContext, line: str) -> Reply:
    """Parse ``/name args…`` and run it; every failure becomes a Reply, never an exception."""
    line = line.strip()
    if ctx.flood is not None and not ctx.flood.allow(ctx.actor):
        return Reply(
            f"Too many commands; please wait {ctx.flood.wait(ctx.actor):.0f} s and try again.", error=True
        )
    if len(line) > MAX_INPUT:
        return Reply(f"That is too long ({len(line)} characters; at most {MAX_INPUT}).", error=True)
    if not line:
        return Reply("Type /help for the commands.", error=True)
    try:
        words = shlex.split(line.lstrip("/"))
    except ValueError:
        words = line.lstrip("/").split()
    if not words:
        return Reply("Type /help for the commands.", error=True)
    name, args = words[0].lower().split("@", 1)[0], words[1:]
    spec = COMMANDS.get(name)
    if spec is None:
        close = difflib.get_close_matches(name, list(COMMANDS), n=1, cutoff=0.6)
        close = close or [c for c in COMMANDS if c.startswith(name[:2])]
        hint = f" Did you mean /{close[0]}?" if close else ""
        return Reply(f"Unknown command /{name[:40]}.{hint} Type /help for the list.", error=True)
    if not ctx.may(spec.access):
        chat = "channel" if ctx.platform == "slack" else "group"
        who = "admins" if spec.access == "admin" else f"this {chat}'s administrators"
        return Reply(f"Sorry, /{name} is for {who} only; nothing was changed.", error=True)
    if spec.raw:
        rest = line.lstrip("/").split(None, 1)
        args = [rest[1].strip()] if len(rest) > 1 else []
    return spec.handler(ctx, args)


def _items(views: list[StoryView]) -> tuple[ReplyItem, ...]:
    items = []
    for view in views:
        outlets = ", ".join(dict.fromkeys(a.source for a in view.articles))
        summary = view.summary if len(view.summary) <= 240 else view.summary[:240].rsplit(" ", 1)[0] + "…"
        detail = summary + (f"\n   Sources: {outlets}" if outlets else "")
        items.append(ReplyItem(view.title, view.url, detail, view.id))
    return tuple(items)


@command("help", "/help", "every command, with an example", "/help")
def _help(ctx: CommandContext, args: list[str]) -> Reply:
    lines = ["Commands:"]
    for spec in COMMANDS.values():
        if not ctx.may(spec.access):
            continue
        lines.append(f"  {spec.usage:<28} {spec.help} (e.g. {spec.example})")
    return Reply("\n".join(lines))


@command("start", "/start", "what this bot does", "/start")
def _start(ctx: CommandContext, args: list[str]) -> Reply:
    return Reply(
        "Newswatch watches news sources and alerts this chat when a story matches a topic, once, "
        "summarised, with every outlet that carries it. Type /topics to see topics, /help for commands."
    )


@command("topics", "/topics", "every topic; ✓ marks the ones this chat follows", "/topics")
def _topics(ctx: CommandContext, args: list[str]) -> Reply:
    rows = [t for t in queries.topics(ctx.store) if t.enabled]
    if not rows:
        return Reply("No topics yet.")
    followed = followed_topics(ctx.store, ctx.platform, ctx.chat)
    lines = ["Topics (✓ followed here):"] + [
        f"  {'✓' if t.name in followed else '·'} {t.name}: {t.query}  ({t.matches} matches)" for t in rows
    ]
    return Reply("\n".join(lines))


@command("latest", "/latest [TOPIC] [N]", "the newest matching stories", "/latest NATO expansion 5")
def _latest(ctx: CommandContext, args: list[str]) -> Reply:
    count = 5
    if args and args[-1].isdigit():
        count = min(max(int(args[-1]), 1), 20)
        args = args[:-1]
    topic = " ".join(args) or None
    if topic is not None and queries.find_topic(ctx.store, topic) is None:
        names = [t.name for t in queries.topics(ctx.store) if t.enabled]
        return Reply(f"There is no topic {topic!r}.{did_you_mean(topic, names)}", error=True)
    return _latest_reply(ctx, topic, count, None)


def _latest_reply(ctx: CommandContext, topic: str | None, count: int, cursor: str | None) -> Reply:
    views, following = queries.latest_page(ctx.store, topic=topic, limit=count, cursor=cursor)
    if not views:
        return Reply("No matching stories yet." if cursor is None else "No older stories.")
    more = Button("More", "latest_more", f"{following} {count} {topic or ''}".rstrip())
    fits = following is not None and len(more.payload().encode()) <= MAX_BUTTON_PAYLOAD
    return Reply(
        f"Latest stories{' for ' + topic if topic else ''}:", _items(views), buttons=(more,) if fits else ()
    )


def latest_more(ctx: CommandContext, value: str) -> Reply:
    """The "More" button under /latest: ``value`` is ``CURSOR COUNT [TOPIC]``."""
    cursor, _, rest = value.partition(" ")
    count, _, topic = rest.partition(" ")
    try:
        return _latest_reply(ctx, topic or None, min(max(int(count), 1), 20), cursor)
    except (ValueError, InvalidListCursor):
        return Reply("That page of stories has expired; ask for /latest again.", error=True)


@command(
    "search",
    "/search QUERY [since 7d]",
    'search the archive: words, "phrases", OR, -word, word*',
    '/search "grain exports" -wheat since 7d',
    raw=True,
)
def _search(ctx: CommandContext, args: list[str]) -> Reply:
    if not args:
        return Reply('Usage: /search QUERY [since 7d]   e.g. /search "grain exports" OR wheat', error=True)
    text, since = args[0], None
    words = text.rsplit(None, 2)
    if len(words) == 3 and words[1].lower() == "since":
        try:
            since = utcnow() - parse_duration(words[2])
        except ValueError as exc:
            return Reply(f"since: {exc}", error=True)
        text = words[0]
    try:
        page = search_articles(ctx.store, text, since=since, limit=SEARCH_PAGE)
    except QuerySyntaxError as exc:
        return Reply(f"Cannot search for that: {exc}\n  {text}\n  {' ' * (exc.column - 1)}^", error=True)
    return _search_reply(text, page)


def search_more(ctx: CommandContext, value: str) -> Reply:
    """The "More" button under search results: ``value`` is ``CURSOR QUERY``."""
    cursor, _, text = value.partition(" ")
    try:
        page = search_articles(ctx.store, text, cursor=cursor, limit=SEARCH_PAGE)
    except (QuerySyntaxError, InvalidCursor) as exc:
        return Reply(f"{exc}", error=True)
    return _search_reply(text, page)


def _search_reply(text: str, page: SearchPage) -> Reply:
    if not page.hits:
        return Reply(f"Nothing found for {text!r}." if page.offset == 0 else "No more results.")
    first, last = page.offset + 1, page.offset + len(page.hits)
    count = f"{page.total:,}" + ("+" if page.capped or page.partial else "")
    header = (
        f"Results {first}–{last} of {count} for {text!r}" + (f" ({page.note})" if page.note else "") + ":"
    )
    items = tuple(
        ReplyItem(
            hit.title,
            hit.url,
            f"{hit.source}" + (f", {local_time(hit.published)}" if hit.published else ""),
            hit.story_id,
            highlight=hit.snippet.parts,
        )
        for hit in page.hits
    )
    buttons: tuple[Button, ...] = ()
    if page.next_cursor is not None:
        more = Button("More", "search_more", f"{page.next_cursor} {text}")
        if len(more.payload().encode()) <= MAX_BUTTON_PAYLOAD:
            buttons = (more,)
        else:
            header += "\n(The query is too long for a More button; add words or 'since 7d' to narrow it.)"
    return Reply(header, items, buttons=buttons)


@command("story", "/story ID", "a story in full, with every outlet", "/story 3")
def _story(ctx: CommandContext, args: list[str]) -> Reply:
    if len(args) != 1 or not args[0].isdigit():
        return Reply("Usage: /story ID (a number, as shown in alerts and listings)", error=True)
    view = queries.story(ctx.store, int(args[0]))
    if view is None:
        return Reply(f"There is no story {args[0]}.", error=True)
    lines = [view.title, view.summary, f"Topics: {', '.join(view.topics) or 'none'}", "Sources:"]
    lines += [f"  {a.source} ({a.published or 'undated'}): {a.url}" for a in view.articles]
    return Reply("\n".join(lines))


# The other commands register themselves on the same registry when imported.
from handlers import admin_commands, chat_commands  # noqa: E402,F401
