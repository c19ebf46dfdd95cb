"""The running application: one poll cycle, and the long-running service around the same pieces.

``Newswatch`` owns the shared HTTP client, the refresher and the dispatcher; channels are handed in by
the composition root (``bot.cli``), so this module knows no platform. Each source is refreshed under a
lease in the database, so replicas sharing a PostgreSQL database never poll one source at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Update, bindparam, or_, select, update
from sqlmodel import col
from sqlmodel import select as orm_select

from bot.catalog import active_topics
from bot.dispatch import Channel, DispatchReport, OutboxDispatcher
from bot.models import Source, UTCDateTime, from_row, utcnow
from bot.pipeline import SOURCES, CompiledTopic, Refresher, RefreshOutcome, compile_topics
from bot.settings import Settings
from bot.store import Store
from bot.story_index import Grouping
from bot.summarizer import build_summariser
from watchers.fetch import FetchPolicy
from watchers.guarded_transport import guarded_client
from watchers.netguard import parse_allowlist
from watchers.politeness import HostGate, RobotsCache

log = logging.getLogger(__name__)

SOURCE_LEASE = timedelta(minutes=5)
POLL_CONCURRENCY = 8


def _claim_statement(*, only_due: bool) -> Update:
    """The lease UPDATE, built once (every refresh runs it): free or expired lease, unpaused, and due when
    ``only_due``."""
    now = bindparam("now", type_=UTCDateTime())
    conditions = [
        SOURCES.c.id == bindparam("source_id"),
        SOURCES.c.paused.is_(False),
        or_(SOURCES.c.lease_until.is_(None), SOURCES.c.lease_until < now),
    ]
    if only_due:
        conditions.append(or_(SOURCES.c.next_poll_at.is_(None), SOURCES.c.next_poll_at <= now))
    return (
        update(SOURCES)
        .where(*conditions)
        .values(lease_until=bindparam("until"), lease_owner=bindparam("owner"))
    )


_CLAIM = _claim_statement(only_due=False)
_CLAIM_DUE = _claim_statement(only_due=True)
_CLAIM_RETURNING = _CLAIM.returning(*SOURCES.c)
_CLAIM_DUE_RETURNING = _CLAIM_DUE.returning(*SOURCES.c)
_READ_SOURCE = select(SOURCES).where(SOURCES.c.id == bindparam("source_id"))


@dataclass
class CycleReport:
    outcomes: list[RefreshOutcome] = field(default_factory=list)
    dispatch: DispatchReport = field(default_factory=DispatchReport)

    @property
    def failed(self) -> list[RefreshOutcome]:
        return [o for o in self.outcomes if o.status == "error"]


def fetch_policy(settings: Settings) -> FetchPolicy:
    net = settings.network
    return FetchPolicy(
        allow_private=parse_allowlist(net.allow_private),
        max_bytes=net.max_bytes,
        max_redirects=net.max_redirects,
        user_agent=f"{net.user_agent} (+{net.contact_url})",
        deadline=max(60.0, 4 * net.timeout.total_seconds()),
    )


class Newswatch:
    def __init__(self, settings: Settings, store: Store, channels: Mapping[str, Channel]) -> None:
        self.settings = settings
        self.store = store
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"  # unique per instance
        net = settings.network
        policy = fetch_policy(settings)
        self.client = guarded_client(
            policy.allow_private, timeout=net.timeout.total_seconds(), resolver=policy.resolver
        )
        self.refresher = Refresher(
            store,
            self.client,
            policy,
            fetch_pages=net.fetch_pages,
            summary_chars=settings.summarizer.max_chars,
            grouping=Grouping(settings.stories.window, settings.stories.threshold),
            summariser=build_summariser(settings, self.client),
            gate=HostGate(net.per_host_concurrency, net.per_host_delay.total_seconds()),
            robots=RobotsCache(net.user_agent) if net.respect_robots else None,
            pause_after_failures=net.pause_after_failures,
            adaptive=net.adaptive_polling,
            max_interval=net.max_interval,
        )
        self.dispatcher = OutboxDispatcher(store, channels, owner=self.owner)

    async def aclose(self) -> None:
        self.dispatcher.release_leases()
        self.refresher.extraction.close()
        await self.client.aclose()
        for channel in self.dispatcher.channels.values():
            closer = getattr(channel, "aclose", None)  # channels holding connections (chat platforms)
            if closer is not None:
                await closer()

    async def poll_once(self) -> CycleReport:
        """Poll every unpaused source now, then deliver everything pending."""
        with self.store.session() as session:
            ids = [s.id for s in session.exec(orm_select(Source).where(col(Source.paused).is_(False))).all()]
        report = CycleReport()
        report.outcomes = await self.refresh_sources([i for i in ids if i is not None])
        report.dispatch = await self.dispatcher.dispatch_pending()
        return report

    async def refresh_sources(self, source_ids: list[int], *, only_due: bool = False) -> list[RefreshOutcome]:
        topics = compile_topics(active_topics(self.store))
        limit = asyncio.Semaphore(POLL_CONCURRENCY)

        async def one(source_id: int) -> RefreshOutcome | None:
            async with limit:
                return await self.refresh_source(source_id, topics=topics, only_due=only_due)

        results = await asyncio.gather(*(one(i) for i in source_ids))
        return [r for r in results if r is not None]

    async def refresh_source(
        self, source_id: int, *, topics: list[CompiledTopic] | None = None, only_due: bool = False
    ) -> RefreshOutcome | None:
        """Refresh one source under a lease; None when another worker holds it (or it is not due)."""
        now = utcnow()
        source = self._claim(source_id, now, only_due=only_due)
        if source is None:
            return None
        released = False
        try:
            compiled = compile_topics(active_topics(self.store)) if topics is None else topics
            outcome = await self.refresher.refresh(source, compiled, now, lease_owner=self.owner)
            released = True  # with the source's health, in the same write
            return outcome
        except Exception:
            log.exception("source_crashed source_id=%s", source_id)
            return RefreshOutcome(source_id, source.name, "error", error="internal error while refreshing")
        finally:
            if not released:
                self._release(source_id)

    def _claim(self, source_id: int, now: datetime, *, only_due: bool) -> Source | None:
        """Take the source's lease and read the row in the same transaction (the row as claimed): one
        ``UPDATE ... RETURNING`` where the database has it (PostgreSQL, SQLite 3.35 and later), in a plain
        transaction rather than an ORM session. Every source of every cycle is claimed, so this was a
        quarter of the CPU of a cycle of sources answering 304."""
        lease = {"source_id": source_id, "now": now, "until": now + SOURCE_LEASE, "owner": self.owner}
        with self.store.engine.begin() as connection:
            if connection.dialect.update_returning:
                claimed = _CLAIM_DUE_RETURNING if only_due else _CLAIM_RETURNING
                row = connection.execute(claimed, lease).mappings().one_or_none()
                if row is None:
                    return None
            else:
                result = connection.execute(_CLAIM_DUE if only_due else _CLAIM, lease)
                if getattr(result, "rowcount", 0) != 1:
                    return None
                row = connection.execute(_READ_SOURCE, {"source_id": source_id}).mappings().one()
        return from_row(Source, row)

    def _release(self, source_id: int) -> None:
        with self.store.session() as session:
            session.connection().execute(
                update(SOURCES)
                .where(SOURCES.c.id == source_id, SOURCES.c.lease_owner == self.owner)
                .values(lease_until=None, lease_owner=None)
            )
