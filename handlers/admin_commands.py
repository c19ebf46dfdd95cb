"""Admin commands: what the whole service watches (topics, sources) and what it has done (stats, audit).

All are ``admin`` commands: global admins from the config only (``handlers.commands`` enforces it). The
storage rules live in ``bot.topic_admin`` and ``bot.source_admin``; every change is audited there.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx

from bot import queries
from bot.app import fetch_policy
from bot.dry_run import try_recent
from bot.durations import format_duration, parse_duration
from bot.source_admin import add_source, remove_source
from bot.topic_admin import add_topic, audit_entries, edit_topic, remove_topic, set_paused, stats
from handlers.commands import CommandContext, command
from handlers.render import Reply, ReplyItem, local_time
from watchers.errors import NewswatchError, QuerySyntaxError

TOPIC_USAGE = (
    "Usage: /topic add NAME = QUERY | /topic edit NAME = QUERY | /topic remove NAME | /topic test QUERY"
)
SOURCE_USAGE = "Usage: /source add URL [every 15m] | remove NAME | list | pause NAME | resume NAME"
TEST_WINDOW = timedelta(days=7)
TEST_EXAMPLES = 5


def syntax_error(exc: QuerySyntaxError, query: str) -> Reply:
    """The error, the query and a caret under the column it points at."""
    return Reply(f"That query does not parse: {exc}\n  {query}\n  {' ' * (exc.column - 1)}^", error=True)


@command(
    "topic",
    "/topic add|edit|remove|test …",
    "manage topics: add NAME = QUERY, edit NAME = QUERY, remove NAME, test QUERY",
    '/topic add Grain = "grain exports" OR wheat',
    access="admin",
    raw=True,
)
def _topic(ctx: CommandContext, args: list[str]) -> Reply:
    verb, _, rest = (args[0] if args else "").partition(" ")
    verb, rest = verb.lower(), rest.strip()
    if verb in ("add", "edit"):
        name, eq, query = rest.partition("=")
        name, query = name.strip().strip("\"'"), query.strip()
        if not eq or not name or not query:
            return Reply(
                f"Usage: /topic {verb} NAME = QUERY   e.g. /topic {verb} Grain = grain exports", error=True
            )
        try:
            if verb == "add":
                row = add_topic(ctx.store, name, query, actor=ctx.actor)
                return Reply(f"Added topic {row.name}: {row.query}. Chats can /subscribe {row.name} now.")
            name, old = edit_topic(ctx.store, name, query, actor=ctx.actor)
            return Reply(f"Changed {name}: {old} → {query}")
        except QuerySyntaxError as exc:
            return syntax_error(exc, query)
        except NewswatchError as exc:
            return Reply(str(exc), error=True)
    if verb == "remove":
        if not rest:
            return Reply("Usage: /topic remove NAME", error=True)
        config = frozenset(t.name for t in ctx.settings.topics) if ctx.settings else frozenset()
        try:
            return Reply(remove_topic(ctx.store, rest, actor=ctx.actor, config_topics=config))
        except NewswatchError as exc:
            return Reply(str(exc), error=True)
    if verb == "test":
        if not rest:
            return Reply(
                "Usage: /topic test QUERY   e.g. /topic test grain AND (export* OR harbour)", error=True
            )
        return _test(ctx, rest)
    return Reply(TOPIC_USAGE, error=True)


def _test(ctx: CommandContext, query: str) -> Reply:
    try:
        result = try_recent(query, ctx.store, TEST_WINDOW)
    except QuerySyntaxError as exc:
        return syntax_error(exc, query)
    head = (
        f"{query} would have matched {result.matches} of {result.articles} articles "
        f"stored in the last {format_duration(result.window)}"
    )
    if not result.examples:
        return Reply(head + ".")
    items = tuple(
        ReplyItem(m.title, m.url, f"{m.source}, score {m.score:g}: {', '.join(m.terms)}")
        for m in result.examples[:TEST_EXAMPLES]
    )
    return Reply(head + "; the best:", items)


@command(
    "source",
    "/source add|remove|list|pause|resume …",
    "manage sources: add URL [every 15m], remove NAME, list, pause NAME, resume NAME",
    "/source add https://example.org every 15m",
    access="admin",
)
def _source(ctx: CommandContext, args: list[str]) -> Reply:
    verb, rest = (args[0].lower(), args[1:]) if args else ("", [])
    try:
        if verb == "list":
            return _list(ctx)
        if verb == "add":
            return _add(ctx, rest)
        if verb == "remove" and rest:
            return Reply(remove_source(ctx.store, " ".join(rest), actor=ctx.actor).capitalize() + ".")
        if verb in ("pause", "resume") and rest:
            return Reply(set_paused(ctx.store, " ".join(rest), verb == "pause", actor=ctx.actor))
    except NewswatchError as exc:
        return Reply(str(exc), error=True)
    return Reply(SOURCE_USAGE, error=True)


def _list(ctx: CommandContext) -> Reply:
    rows = [s for s in queries.sources(ctx.store) if s.origin != "removed"]
    if not rows:
        return Reply("No sources yet; add one with /source add URL.")
    lines = [f"Sources ({len(rows)}):"]
    for s in rows:
        state = "paused" if s.paused else ("failing" if s.consecutive_failures else "ok")
        lines.append(
            f"  {s.name} [{state}, every {s.every}, {s.articles} articles, {s.origin}]"
            f" last success {s.last_success or 'never'}"
            + (
                f"; {s.consecutive_failures} failures, last error: {s.last_error}"
                if s.consecutive_failures
                else ""
            )
        )
    return Reply("\n".join(lines))


def _add(ctx: CommandContext, words: list[str]) -> Reply:
    every: timedelta | None = None
    if len(words) == 3 and words[1].lower() == "every":
        try:
            every = parse_duration(words[2])
        except ValueError as exc:
            return Reply(f"every: {exc}", error=True)
        words = words[:1]
    if len(words) != 1:
        return Reply("Usage: /source add URL [every 15m]   e.g. /source add https://example.org", error=True)
    if ctx.settings is None:
        return Reply("Adding sources needs the running service's network settings.", error=True)
    settings = ctx.settings

    async def go() -> Reply:
        async with httpx.AsyncClient(
            timeout=settings.network.timeout.total_seconds(), trust_env=False
        ) as client:
            added = await add_source(
                ctx.store, client, fetch_policy(settings), words[0], every=every, actor=ctx.actor
            )
        found = f" (feed found at {added.url})" if added.discovered else ""
        return Reply(
            f"Added {added.name}{found}, polled every {format_duration(added.every)}; "
            "its first articles arrive within a minute."
        )

    return asyncio.run(go())  # commands run in a worker thread, never on the adapter's event loop


@command("admins", "/admins", "who may change topics and sources", "/admins", access="admin")
def _admins(ctx: CommandContext, args: list[str]) -> Reply:
    if ctx.settings is None:
        return Reply("The admin list is in the config file.")
    lines = [
        "Admins (from the config; Telegram group administrators, Slack workspace admins and a channel's"
        " creator manage that chat's subscriptions and settings):"
    ]
    if ctx.settings.telegram is not None:
        lines.append(f"  Telegram: {', '.join(str(a) for a in ctx.settings.telegram.admins) or 'none'}")
    if ctx.settings.slack is not None:
        lines.append(f"  Slack: {', '.join(ctx.settings.slack.admins) or 'none'}")
    return Reply("\n".join(lines))


@command("stats", "/stats", "sources, articles, stories, alerts today, errors", "/stats", access="admin")
def _stats(ctx: CommandContext, args: list[str]) -> Reply:
    s = stats(ctx.store)
    return Reply(
        "\n".join(
            [
                "Newswatch:",
                f"  sources: {s.sources} ({s.paused_sources} paused, {s.failing_sources} failing)",
                f"  topics: {s.topics}",
                f"  articles: {s.articles:,}; stories: {s.stories:,}",
                f"  alerts sent in the last 24 h: {s.alerts_today:,}; failed or dropped: {s.failed_today:,}",
            ]
        )
    )


@command("audit", "/audit [N]", "recent changes: who changed what, when", "/audit 20", access="admin")
def _audit(ctx: CommandContext, args: list[str]) -> Reply:
    count = min(max(int(args[0]), 1), 50) if args and args[0].isdigit() else 15
    rows = audit_entries(ctx.store, count)
    if not rows:
        return Reply("The audit log is empty.")
    lines = ["Recent changes, newest first:"]
    for e in rows:
        when = local_time(e.at) if e.at else "?"
        lines.append(f"  {when}  {e.actor}  {e.action} {e.subject}" + (f": {e.detail}" if e.detail else ""))
    return Reply("\n".join(lines))
