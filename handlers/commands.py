"""Chat commands as platform-neutral functions: ``(CommandContext, args) -> Reply``.

Telegram, Slack and the demo console only translate their input into a ``CommandContext`` and a line of
text, and render the ``Reply``. Admin-only commands declare it in the registry; ``run_command`` enforces
it, so no command re-implements the check. This first version carries the read-only commands; the
chat-commands issue adds subscriptions and admin editing on the same registry.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass

from bot import queries
from bot.durations import parse_duration
from bot.models import utcnow
from bot.queries import StoryView
from bot.search.engine import InvalidCursor, SearchPage, search_articles
from bot.search.listing import InvalidListCursor
from bot.store import Store
from handlers.render import Button, Reply, ReplyItem, local_time, parse_payload
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
    is_admin: bool = False
    platform: str = "console"


Handler = Callable[[CommandContext, list[str]], Reply]


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    usage: str
    help: str
    example: str
    admin_only: bool = False
    raw: bool = False  # the handler gets the rest of the line unsplit (quotes kept), as one argument


COMMANDS: dict[str, Command] = {}


def command(
    name: str, usage: str, help: str, example: str, *, admin_only: bool = False, raw: bool = False
) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        COMMANDS[name] = Command(name, handler, usage, help, example, admin_only, raw)
        return handler

    return register


def run_command(ctx: CommandContext, line: str) -> Reply:
    """Parse ``/name args…`` and run it; every failure becomes a Reply, never an exception."""
    line = line.strip()
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
        close = [c for c in COMMANDS if c.startswith(name[:2])]
        hint = f" Did you mean /{close[0]}?" if close else ""
        return Reply(f"Unknown command /{name}.{hint} Type /help for the list.", error=True)
    if spec.admin_only and not ctx.is_admin:
        return Reply(f"Sorry, /{name} is for admins only; nothing was changed.", error=True)
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
        if spec.admin_only and not ctx.is_admin:
            continue
        lines.append(f"  {spec.usage:<28} {spec.help} (e.g. {spec.example})")
    return Reply("\n".join(lines))


@command("start", "/start", "what this bot does", "/start")
def _start(ctx: CommandContext, args: list[str]) -> Reply:
    return Reply(
        "Newswatch watches news sources and alerts this chat when a story matches a topic, once, "
        "summarised, with every outlet that carries it. Type /topics to see topics, /help for commands."
    )


@command("topics", "/topics", "every topic and its query", "/topics")
def _topics(ctx: CommandContext, args: list[str]) -> Reply:
    rows = [t for t in queries.topics(ctx.store) if t.enabled]
    if not rows:
        return Reply("No topics yet.")
    lines = ["Topics:"] + [f"  {t.name}: {t.query}  ({t.matches} matches)" for t in rows]
    return Reply("\n".join(lines))


@command("latest", "/latest [TOPIC] [N]", "the newest matching stories", "/latest NATO expansion 5")
def _latest(ctx: CommandContext, args: list[str]) -> Reply:
    count = 5
    if args and args[-1].isdigit():
        count = min(max(int(args[-1]), 1), 20)
        args = args[:-1]
    topic = " ".join(args) or None
    if topic is not None and queries.find_topic(ctx.store, topic) is None:
        names = [t.name for t in queries.topics(ctx.store)]
        close = [n for n in names if topic.lower() in n.lower() or n.lower() in topic.lower()]
        hint = f" Did you mean {close[0]!r}?" if close else " Type /topics for the list."
        return Reply(f"There is no topic {topic!r}.{hint}", error=True)
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


def _latest_more(ctx: CommandContext, value: str) -> Reply:
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


def _search_more(ctx: CommandContext, value: str) -> Reply:
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


BUTTON_ACTIONS: dict[str, Callable[[CommandContext, str], Reply]] = {
    "search_more": _search_more,
    "latest_more": _latest_more,
}


def run_button(ctx: CommandContext, payload: str) -> Reply:
    """A pressed button (``action:value``, see ``Button.payload``) as a Reply; unknown ones get a hint."""
    action, value = parse_payload(payload)
    handler = BUTTON_ACTIONS.get(action)
    if handler is None:
        return Reply("That button no longer works; try the command again.", error=True)
    return handler(ctx, value)


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
