"""Adding, removing, importing and exporting stored sources outside the config file.

Sources added here (the CLI now, the admin chat command later) get ``origin = "chat"``: a config sync never
touches them (see ``bot.catalog``). A source named in the config is the config's: it is changed there, not
here. Removing a source that has stored articles keeps its row (articles reference it) as
``origin = "removed"`` and paused, hidden from listings; adding the same URL again revives it. Every change
is written to the audit log with the actor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from bot.models import ArticleHome, AuditEntry, Source, SourceEvent, utcnow
from bot.settings import SourceSettings, format_validation_error
from bot.store import Store
from watchers.discovery import DiscoveredFeed, discover_feeds
from watchers.errors import ConfigError, NewswatchError, SourceError
from watchers.fetch import FetchPolicy
from watchers.opml import OpmlFeed, parse_opml, render_opml

ADDED_ORIGIN = "chat"
REMOVED_ORIGIN = "removed"


@dataclass(frozen=True)
class AddedSource:
    id: int
    name: str
    url: str
    kind: str
    every: timedelta
    discovered: list[DiscoveredFeed] = field(default_factory=list)


@dataclass(frozen=True)
class ImportReport:
    added: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def validated(
    name: str, url: str, kind: str, every: timedelta | None, options: dict[str, Any]
) -> SourceSettings:
    """The same checks as a ``[[sources]]`` table, with the same ``key: problem`` messages."""
    data: dict[str, Any] = {"name": name, "url": url, "kind": kind, **options}
    if every is not None:
        data["every"] = every
    try:
        return SourceSettings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc)) from None


async def add_source(
    store: Store,
    client: httpx.AsyncClient,
    policy: FetchPolicy,
    url: str,
    *,
    name: str | None = None,
    every: timedelta | None = None,
    kind: str | None = None,
    options: dict[str, Any] | None = None,
    actor: str = "cli",
) -> AddedSource:
    """Store a new source; without ``kind``, ``url`` may be a home page whose feed is discovered."""
    discovered: list[DiscoveredFeed] = []
    if kind is None:
        validated(name or "new source", url, "rss", every, {})  # scheme and shape before any request
        try:
            discovered = await discover_feeds(client, policy, url)
        except SourceError as exc:
            raise NewswatchError(f"cannot read {url}: {exc}") from None
        if not discovered:
            raise NewswatchError(
                f"no feed found at {url}: the page announces none and no common feed path answers; "
                "to watch the page's article links, add it with --kind page"
            )
        url, kind = discovered[0].url, "rss"
        name = name or discovered[0].title or None
    item = validated(name or _host_name(url), url, kind, every, options or {})
    with store.session() as session:
        row = _store_new(session, item, actor)
        assert row.id is not None
        return AddedSource(row.id, row.name, row.url, row.kind, item.every, discovered)


def _store_new(session: Session, item: SourceSettings, actor: str) -> Source:
    existing = session.exec(select(Source).where(col(Source.url) == item.url)).first()
    if existing is not None and existing.origin != REMOVED_ORIGIN:
        raise NewswatchError(f"{item.url} is already watched as {existing.name!r}")
    clash = session.exec(
        select(Source).where(
            func.lower(col(Source.name)) == item.name.lower(), col(Source.origin) != REMOVED_ORIGIN
        )
    ).first()
    if clash is not None:
        raise NewswatchError(f"a source named {clash.name!r} exists already; choose another --name")
    row = existing or Source(name=item.name, url=item.url)
    row.name = item.name
    row.kind = item.kind
    row.options = item.reader_options()
    row.every_seconds = int(item.every.total_seconds())
    row.backfill_seconds = int(item.backfill.total_seconds())
    row.origin = ADDED_ORIGIN
    row.paused = False
    row.consecutive_failures = 0
    row.last_error = None
    row.next_poll_at = None
    session.add(row)
    session.flush()
    session.add(AuditEntry(at=utcnow(), actor=actor, action="source add", subject=row.name, detail=row.url))
    return row


def remove_source(store: Store, which: str, *, actor: str = "cli") -> str:
    """Remove the source named ``which`` (or with that URL); returns a sentence saying what happened."""
    with store.session() as session:
        row = session.exec(
            select(Source).where(
                (func.lower(col(Source.name)) == which.lower()) | (col(Source.url) == which),
                col(Source.origin) != REMOVED_ORIGIN,
            )
        ).first()
        if row is None or row.id is None:
            raise NewswatchError(f"there is no source {which!r}")
        if row.origin == "config":
            raise NewswatchError(f"{row.name!r} comes from the config file; remove it there")
        # every article it carried, its own and other outlets' copies (each a home), keeps pointing at it
        articles = session.exec(select(func.count()).where(col(ArticleHome.source_id) == row.id)).one()
        session.add(
            AuditEntry(at=utcnow(), actor=actor, action="source remove", subject=row.name, detail=row.url)
        )
        if articles:
            row.origin = REMOVED_ORIGIN
            row.paused = True
            session.add(row)
            return f"removed {row.name!r}; its {articles} stored articles stay searchable"
        session.execute(delete(SourceEvent).where(col(SourceEvent.source_id) == row.id))
        session.delete(row)
        return f"removed {row.name!r}"


def import_opml(
    store: Store, data: bytes, *, every: timedelta | None = None, actor: str = "cli"
) -> ImportReport:
    """Add every feed of an OPML list that is not watched yet; one bad outline never stops the rest."""
    feeds, problems = parse_opml(data)
    report = ImportReport(problems=list(problems))
    with store.session() as session:
        for feed in feeds:
            try:
                options = _settings_options(feed.options)
                item = validated(
                    _free_name(session, feed.title, feed.url), feed.url, feed.kind, every, options
                )
            except ConfigError as exc:
                report.problems.append(f"{feed.title!r}: {exc}")
                continue
            try:
                with session.begin_nested():
                    _store_new(session, item, actor)
            except NewswatchError as exc:
                (report.already if "already watched" in str(exc) else report.problems).append(
                    f"{feed.title!r}: {exc}"
                )
                continue
            report.added.append(item.name)
    return report


def export_opml(store: Store) -> bytes:
    """Every watched source (config and added; not removed ones) as OPML 2.0."""
    with store.session() as session:
        rows = session.exec(
            select(Source)
            .where(col(Source.origin) != REMOVED_ORIGIN)
            .order_by(col(Source.name), col(Source.id))
        ).all()
        feeds = [OpmlFeed(title=r.name, url=r.url, kind=r.kind, options=dict(r.options or {})) for r in rows]
    return render_opml(feeds)


def _settings_options(stored: dict[str, Any]) -> dict[str, Any]:
    """Stored reader options (``SourceSettings.reader_options``) back as settings keys, for validation."""
    options = dict(stored)
    if "timespan_seconds" in options:
        options["timespan"] = options.pop("timespan_seconds")
    return options


def _free_name(session: Session, name: str, url: str) -> str:
    """``name``, or ``name (host)``, or ``name (host) 2``…: lists often hold two feeds of one title."""
    taken = {
        n.lower() for n in session.exec(select(Source.name).where(col(Source.origin) != REMOVED_ORIGIN)).all()
    }
    candidates = [name, f"{name} ({_host_name(url)})"]
    candidates += [f"{name} ({_host_name(url)}) {n}" for n in range(2, 100)]
    return next((c for c in candidates if c.lower() not in taken), candidates[-1])


def _host_name(url: str) -> str:
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")
