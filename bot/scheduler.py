"""The service loop: one APScheduler, ours (python-telegram-bot's JobQueue is not used).

Jobs: one interval job per source (its own ``every``, or adaptive polling's shorter lower bound, with
jitter; ``max_instances=1`` and ``coalesce`` so a slow source is never polled twice at once and missed
runs collapse into one), a dispatch job every few seconds, and a reconcile job that adds and removes
source jobs as sources change. A source in backoff is skipped by its job until its ``next_poll_at``.

Sources added or resumed while the service runs (``newswatch sources add``, ``/source add``, ``/source
resume``, on this replica or another one sharing the database) are noticed within ``CHANGES_EVERY``
seconds: a cheap aggregate over the unpaused sources (count, and sums of ids and intervals) is read that
often, and a full reconcile runs only when it differs from the last one seen. The minute-long reconcile
stays as the backstop.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import BigInteger, cast, func
from sqlmodel import col, select

from bot.app import Newswatch
from bot.models import Source
from bot.poll_interval import bounds

log = logging.getLogger(__name__)

DISPATCH_EVERY = 2.0
RECONCILE_EVERY = 60.0
CHANGES_EVERY = 5.0

SourcesSignature = tuple[int, int, int]


class Service:
    def __init__(self, app: Newswatch) -> None:
        self.app = app
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self._source_jobs: dict[int, int] = {}
        self._signature: SourcesSignature | None = None

    def _sources_signature(self) -> SourcesSignature:
        """One row that changes whenever the set of unpaused sources or one of their intervals does."""
        with self.app.store.session() as session:
            count, ids, intervals = session.exec(
                select(
                    func.count(),
                    func.coalesce(func.sum(Source.id), 0),
                    func.coalesce(func.sum(cast(Source.id, BigInteger) * col(Source.every_seconds)), 0),
                ).where(col(Source.paused).is_(False))
            ).one()
        return int(count), int(ids or 0), int(intervals or 0)

    def reconcile_if_changed(self) -> None:
        """Reconcile when the sources changed since the last reconcile (the frequent, cheap check)."""
        if self._sources_signature() != self._signature:
            self.reconcile()

    def reconcile(self) -> None:
        """Make the set of source jobs equal to the set of unpaused sources (and their intervals)."""
        self._signature = self._sources_signature()
        with self.app.store.session() as session:
            wanted = {
                s.id: self._tick(s.every_seconds)
                for s in session.exec(select(Source).where(col(Source.paused).is_(False))).all()
                if s.id is not None
            }
        for source_id in list(self._source_jobs):
            if source_id not in wanted or wanted[source_id] != self._source_jobs[source_id]:
                self.scheduler.remove_job(f"source-{source_id}")
                del self._source_jobs[source_id]
        for source_id, every in wanted.items():
            if source_id in self._source_jobs:
                continue
            self.scheduler.add_job(
                self._poll,
                "interval",
                seconds=every,
                jitter=max(1, every // 10),
                args=[source_id],
                id=f"source-{source_id}",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=every,
                next_run_time=datetime.now(UTC),
            )
            self._source_jobs[source_id] = every

    def _tick(self, every_seconds: int) -> int:
        """How often a source's job wakes: its interval, or adaptive polling's lower bound when that is on.

        The job only polls when the source is due (``next_poll_at``), so waking more often than the
        interval costs one indexed query, and lets an adaptive interval be shorter than ``every``.
        """
        if not self.app.settings.network.adaptive_polling:
            return every_seconds
        low, _ = bounds(timedelta(seconds=every_seconds), self.app.settings.network.max_interval)
        return int(low.total_seconds())

    async def _poll(self, source_id: int) -> None:
        try:
            await self.app.refresh_source(source_id, only_due=True)
        except asyncio.CancelledError:
            # Shutdown cancels polls in flight (one may be waiting for its host's turn); the job ends
            # here, and the source's lease expires, so this is routine, not an error to log.
            log.info("poll_abandoned source_id=%s reason=shutdown", source_id)
            return
        await self._dispatch()

    async def _dispatch(self) -> None:
        try:
            await self.app.dispatcher.dispatch_pending()
        except Exception:
            log.exception("dispatch_crashed")

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set; in-flight jobs finish or are abandoned safely (leases expire)."""
        self.reconcile()
        self.scheduler.add_job(
            self._dispatch, "interval", seconds=DISPATCH_EVERY, id="dispatch", max_instances=1, coalesce=True
        )
        self.scheduler.add_job(
            self.reconcile, "interval", seconds=RECONCILE_EVERY, id="reconcile", coalesce=True
        )
        self.scheduler.add_job(
            self.reconcile_if_changed,
            "interval",
            seconds=CHANGES_EVERY,
            id="sources-changed",
            max_instances=1,
            coalesce=True,
        )
        self.scheduler.start()
        log.info("service_started sources=%d", len(self._source_jobs))
        try:
            await stop.wait()
        finally:
            self.scheduler.shutdown(wait=False)
            log.info("service_stopped")
