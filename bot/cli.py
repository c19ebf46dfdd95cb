"""The ``newswatch`` command line, and the composition root: the one place that wires bot and handlers.

Exit codes: 0 success; 1 "no" answers (``topic test`` without a match, an unknown story); 2 bad
configuration or bad query syntax; 3 database unreachable or not migratable. A failing *source* never
changes the exit code: it is reported on standard error and on the source's health.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TypeVar

import httpx
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot import logs, queries
from bot.app import Newswatch
from bot.catalog import sync_config
from bot.durations import format_duration, parse_duration
from bot.models import utcnow
from bot.settings import Settings, config_path, load_settings
from bot.store import Store, current_revision, head_revision
from watchers.errors import ConfigError, NewswatchError, StorageError
from watchers.llm_summary import OpenAISummariser

if TYPE_CHECKING:
    from handlers.console import ButtonBoard


class _RunningAdapter(Protocol):
    """A chat platform's adapter while ``run`` lasts (Telegram, Slack): stopped before the service closes."""

    async def stop(self) -> None: ...


app = typer.Typer(
    name="newswatch",
    help="Watch news sources, match topics, group stories, alert Telegram, Slack, files and terminals.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
topic_app = typer.Typer(help="Work with topic queries.", no_args_is_help=True)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
sources_app = typer.Typer(help="Sources with their health; add, remove, import and export them.")
app.add_typer(topic_app, name="topic")
app.add_typer(db_app, name="db")
app.add_typer(sources_app, name="sources")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)  # one message, one line, for scripts

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="config file (default: $NEWSWATCH_CONFIG or ./newswatch.toml)"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]
_state: dict[str, Any] = {"config": None}

T = TypeVar("T")


@app.callback()
def _main(
    config: ConfigOpt = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log each source and delivery")] = False,
) -> None:
    _state["config"] = config
    logs.configure(verbose)


def fail(message: str, code: int) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", markup=True, highlight=False)
    return typer.Exit(code)


@contextmanager
def handled() -> Iterator[None]:
    """Turn our errors into a clear message and exit code, never a traceback."""
    try:
        yield
    except ConfigError as exc:
        raise fail(str(exc), 2) from None
    except StorageError as exc:
        raise fail(str(exc), 3) from None
    except NewswatchError as exc:
        raise fail(str(exc), 1) from None


def settings_for(config: Path | None) -> Settings:
    return load_settings(config_path(str(config or _state["config"] or "") or None))


def open_store(settings: Settings) -> Store:
    return Store.open(settings.database_url())


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _run(coro_factory: Callable[[], Any]) -> Any:
    return asyncio.run(coro_factory())


def build_app(
    settings: Settings, store: Store, console: Console | None = None, board: ButtonBoard | None = None
) -> Newswatch:
    from handlers.channels import build_channels

    return Newswatch(settings, store, build_channels(settings, console, board))


def open_service(config: Path | None) -> tuple[Settings, Store, Newswatch]:
    """Settings, migrated store with the config synchronised, and the app; channels are checked first,
    so a config that cannot run changes nothing in the database."""
    from handlers.channels import build_channels

    settings = settings_for(config)
    channels = build_channels(settings)
    store = open_store(settings)
    sync_config(store, settings)
    return settings, store, Newswatch(settings, store, channels)


@app.command("check-config")
def check_config(config: ConfigOpt = None) -> None:
    """Validate the config file (keys, values, secrets) without touching the network or the database."""
    with handled():
        settings = settings_for(config)
        from handlers.channels import build_channels

        build_channels(settings)
    out.print(
        f"config ok: {len(settings.sources)} sources, {len(settings.topics)} topics, "
        f"{len(settings.channels)} channels, {len(settings.subscriptions)} subscriptions"
    )


@db_app.command("upgrade")
def db_upgrade(config: ConfigOpt = None) -> None:
    """Migrate the database schema to the newest version."""
    with handled():
        settings = settings_for(config)
        store = open_store(settings)
        out.print(f"database at revision {current_revision(store.engine)} (newest {head_revision()})")
        store.close()


@app.command("poll-once")
def poll_once(config: ConfigOpt = None) -> None:
    """Poll every source once, process what is new, deliver pending alerts, exit."""
    with handled():
        _settings, store, newswatch = open_service(config)

        async def cycle() -> Any:
            try:
                return await newswatch.poll_once()
            finally:
                await newswatch.aclose()

        report = _run(cycle)
    for outcome in report.failed:
        err.print(f"source {outcome.source!r} failed: {outcome.error}", markup=False)
    new = sum(o.new_articles for o in report.outcomes)
    d = report.dispatch
    err.print(
        f"polled {len(report.outcomes)} sources ({len(report.failed)} failed), {new} new articles; "
        f"alerts sent {d.sent}, updated {d.updated}, retrying {d.retried}, failed {d.failed}",
        markup=False,
    )
    summariser = newswatch.refresher.summariser
    if isinstance(summariser, OpenAISummariser):
        err.print(
            f"summaries: {summariser.successes} by the model, {summariser.failures} fell back to extractive",
            markup=False,
        )
    store.close()


@app.command("run")
def run(config: ConfigOpt = None) -> None:
    """Run the service: scheduled polling, alert dispatch and chat adapters, until SIGINT/SIGTERM."""
    from bot.scheduler import Service

    with handled():
        settings, store, newswatch = open_service(config)

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        adapters: list[_RunningAdapter] = []
        try:
            if settings.telegram is not None:
                from handlers.telegram import start_telegram

                adapters.append(await start_telegram(settings, store))
            if settings.slack is not None:
                from handlers.slack import start_slack

                adapters.append(await start_slack(settings, store))
            err.print(f"newswatch running: {len(settings.sources)} sources; Ctrl-C to stop", markup=False)
            await Service(newswatch).run(stop)
        finally:
            for adapter in reversed(adapters):
                await adapter.stop()
            await newswatch.aclose()

    with handled():
        _run(serve)
    store.close()
    err.print("newswatch stopped", markup=False)


@app.command("demo")
def demo(
    cycles: Annotated[int | None, typer.Option(help="how many publishing cycles to run")] = None,
    interactive: Annotated[
        bool | None,
        typer.Option("--interactive/--no-interactive", help="offer the prompt (default: if a terminal)"),
    ] = None,
) -> None:
    """No tokens, no internet: a sample news site on loopback, alerts here, then a chat-like prompt."""
    from bot.demo import run_demo

    with handled():
        code = run_demo(
            out, cycles=cycles, interactive=sys.stdin.isatty() if interactive is None else interactive
        )
    raise typer.Exit(code)


def _listing(config: Path | None, fetch: Callable[[Store], T]) -> T:
    with handled():
        settings = settings_for(config)
        store = open_store(settings)
        try:
            return fetch(store)
        finally:
            store.close()


def _story_table(views: list[queries.StoryView], title: str) -> None:
    if not views:
        out.print("nothing found")
        return
    table = Table(title=title, show_lines=False)
    for column in ("story", "title", "sources", "first seen"):
        table.add_column(column)
    for view in views:
        outlets = ", ".join(dict.fromkeys(a.source for a in view.articles))
        table.add_row(str(view.id), view.title, outlets, (view.first_seen or "")[:16])
    out.print(table)


@app.command("search")
def search(
    query: Annotated[str, typer.Argument(help='words, "phrases", OR, -word, word* (ranked best first)')],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=100)] = 10,
    since: Annotated[str | None, typer.Option("--since", help="only the last 7d, 24h, …")] = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Search stored stories, most relevant first."""
    cutoff = None
    if since is not None:
        with handled():
            try:
                cutoff = utcnow() - parse_duration(since)
            except ValueError as exc:
                raise ConfigError(f"--since: {exc}") from None
    views = _listing(config, lambda store: queries.search(store, query, limit=limit, since=cutoff))
    if json_out:
        _print_json([v.to_json() for v in views])
    else:
        _story_table(views, f"stories matching {query!r}")


@app.command("latest")
def latest(
    topic: Annotated[str | None, typer.Argument(help="a topic name (default: all)")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=100)] = 5,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """The newest stories that matched a topic."""
    views = _listing(config, lambda store: queries.latest(store, topic=topic, limit=limit))
    if json_out:
        _print_json([v.to_json() for v in views])
    else:
        _story_table(views, f"latest stories{' for ' + topic if topic else ''}")


@app.command("stories")
def stories(
    since: Annotated[str, typer.Option(help="how far back, e.g. 24h or 7d")] = "7d",
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000)] = 50,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Stories with their articles."""
    with handled():
        try:
            window = parse_duration(since)
        except ValueError as exc:
            raise ConfigError(f"--since: {exc}") from None
    views = _listing(config, lambda store: queries.stories(store, since=utcnow() - window, limit=limit))
    if json_out:
        _print_json([v.to_json() for v in views])
        return
    if not views:
        out.print("nothing found")
    for view in views:  # every story with every article: outlet, time, title, link
        out.print(f"[bold]{view.id}. {escape(view.title)}[/]  ({len(view.articles)} articles)")
        for a in view.articles:
            when = (a.published or "undated")[:16].replace("T", " ")
            out.print(f"   {a.source} · {when} · {a.title}\n     {a.url}", markup=False)


@app.command("story")
def story(
    story_id: Annotated[int, typer.Argument(help="the story number")],
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """One story: summary, every source with time and link, matched topics."""
    view = _listing(config, lambda store: queries.story(store, story_id))
    if view is None:
        raise fail(f"there is no story {story_id}", 1)
    if json_out:
        _print_json(view.to_json())
        return
    out.print(f"[bold]{view.title}[/]  (story {view.id})")
    out.print(view.summary, markup=False)
    out.print(f"topics: {', '.join(view.topics) or 'none'}", markup=False)
    for article in view.articles:
        out.print(f"  {article.source} · {article.published or 'undated'} · {article.url}", markup=False)


@sources_app.callback(invoke_without_command=True)
def sources(ctx: typer.Context, json_out: JsonOpt = False, config: ConfigOpt = None) -> None:
    """Every source with its health: last success, consecutive failures, last error."""
    if ctx.invoked_subcommand is not None:
        return
    rows = _listing(config, queries.sources)
    if json_out:
        _print_json([asdict(r) for r in rows])
        return
    table = Table(title="sources")
    for column in ("name", "kind", "url", "every", "last success", "failures", "last error"):
        table.add_column(column)
    for r in rows:
        state = " (paused)" if r.paused else ""
        table.add_row(
            r.name + state,
            r.kind,
            r.url,
            r.every,
            (r.last_success or "never")[:19],
            str(r.consecutive_failures),
            r.last_error or "",
        )
    out.print(table)


@sources_app.command("add")
def sources_add(
    url: Annotated[str, typer.Argument(help="a feed, or a site's home page whose feeds are discovered")],
    name: Annotated[
        str | None, typer.Option("--name", help="shown in alerts (default: the feed's title)")
    ] = None,
    every: Annotated[
        str | None, typer.Option("--every", help="poll interval, e.g. 15m (default 10m)")
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option("--kind", help="rss, page, sitemap, search or gdelt (default: discover a feed)"),
    ] = None,
    selector: Annotated[
        str | None, typer.Option("--selector", help="page: CSS selector of article links")
    ] = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Watch a new source; given a home page, find the feed it announces."""
    from bot.app import fetch_policy
    from bot.source_admin import add_source

    with handled():
        settings = settings_for(config)
        interval = _interval(every)
        store = open_store(settings)
        sync_config(store, settings)  # the config's sources count as watched already

        async def go() -> Any:
            async with httpx.AsyncClient(
                timeout=settings.network.timeout.total_seconds(), trust_env=False
            ) as client:
                return await add_source(
                    store,
                    client,
                    fetch_policy(settings),
                    url,
                    name=name,
                    every=interval,
                    kind=kind,
                    options={"selector": selector} if selector else None,
                )

        try:
            added = _run(go)
        finally:
            store.close()
    if json_out:
        _print_json(
            {
                "id": added.id,
                "name": added.name,
                "url": added.url,
                "kind": added.kind,
                "every": int(added.every.total_seconds()),
                "discovered": [asdict(d) for d in added.discovered],
            }
        )
        return
    if len(added.discovered) > 1:
        out.print(f"{url} announces {len(added.discovered)} feeds:", markup=False)
        for feed in added.discovered:
            out.print(f"  {feed.format}: {feed.title or '(untitled)'} {feed.url}", markup=False)
    out.print(
        f"added {added.name!r} ({added.kind}) {added.url}, polled every {format_duration(added.every)}",
        markup=False,
    )


@sources_app.command("remove")
def sources_remove(
    which: Annotated[str, typer.Argument(help="the source's name or URL")], config: ConfigOpt = None
) -> None:
    """Stop watching a source added with 'sources add' or imported (config sources change in the file)."""
    from bot.source_admin import remove_source

    message = _listing(config, lambda store: _synced(store, config, remove_source, which))
    out.print(message, markup=False)


@sources_app.command("import")
def sources_import(
    file: Annotated[Path, typer.Argument(help="an OPML subscription list", exists=False)],
    every: Annotated[
        str | None, typer.Option("--every", help="poll interval for every imported feed")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Add every feed of an OPML file that is not watched yet."""
    from bot.source_admin import import_opml

    with handled():
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read {file}: {exc.strerror}") from None
        interval = _interval(every)
    report = _listing(config, lambda store: _synced(store, config, import_opml, data, every=interval))
    for problem in report.problems:
        err.print(f"skipped {problem}", markup=False)
    out.print(
        f"imported {len(report.added)} sources; {len(report.already)} already watched; "
        f"{len(report.problems)} skipped",
        markup=False,
    )


@sources_app.command("export")
def sources_export(
    file: Annotated[Path | None, typer.Argument(help="write here (default: standard output)")] = None,
    config: ConfigOpt = None,
) -> None:
    """Write every watched source as OPML 2.0."""
    from bot.source_admin import export_opml

    data = _listing(config, lambda store: _synced(store, config, export_opml))
    if file is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    with handled():
        try:
            file.write_bytes(data)
        except OSError as exc:
            raise ConfigError(f"cannot write {file}: {exc.strerror}") from None
    err.print(f"wrote {file}", markup=False)


def _synced(store: Store, config: Path | None, action: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``action(store, ...)`` after syncing the config, so its sources are known to the database."""
    sync_config(store, settings_for(config))
    return action(store, *args, **kwargs)


def _interval(every: str | None) -> timedelta | None:
    if every is None:
        return None
    try:
        return parse_duration(every)
    except ValueError as exc:
        raise ConfigError(f"--every: {exc}") from None


@app.command("topics")
def topics(json_out: JsonOpt = False, config: ConfigOpt = None) -> None:
    """Every topic with its query, subscribers and matches."""
    rows = _listing(config, queries.topics)
    if json_out:
        _print_json([asdict(r) for r in rows])
        return
    table = Table(title="topics")
    for column in ("name", "query", "subscribers", "matches"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r.name + ("" if r.enabled else " (disabled)"), r.query, str(r.subscribers), str(r.matches)
        )
    out.print(table)


@topic_app.command("test")
def topic_test(
    query: Annotated[str, typer.Argument(help="the query to try")],
    target: Annotated[
        str | None, typer.Argument(help="an HTML file, a text file (first line = title), or a URL")
    ] = None,
    recent: Annotated[
        str | None, typer.Option(help="try it on stored articles of this period, e.g. 7d")
    ] = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Does QUERY match? Exit 0 if it does, 1 if not, 2 on a syntax error."""
    from bot.topic_test import run_topic_test

    code = run_topic_test(
        query,
        target,
        recent=recent,
        json_out=json_out,
        settings_loader=lambda: settings_for(config),
        out=out,
        err=err,
    )
    raise typer.Exit(code)


def main() -> None:
    """Console-script entry point."""
    app()
