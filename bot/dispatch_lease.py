"""One sending replica per platform, chosen through a lease row in the database.

Row leases (``Delivery.lease_until``) already make every alert go at most once however many replicas run.
They do not keep the platforms' limits: each replica paces with its own ``RateLimiter``, so two replicas
could each send 30 messages a second to Telegram, or two messages to one chat in the same second, and a
chat's alerts could arrive out of order. So a replica sends to a platform only while it holds that
platform's lease: it takes a free or expired lease at the start of a dispatch round, renews it while it
sends, and keeps it between rounds (handing it over at every round would let the next holder, which knows
nothing of the last sends, break a chat's one-message-a-second pace). If the holder stops or stalls, the
lease runs out after ``LEASE`` and another replica takes over; a clean shutdown hands it over at once.
Throughput does not suffer: one process already sends as fast as a platform allows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from bot.models import DispatchLease, utcnow
from bot.store import Store

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=15)
RENEW_EVERY = 5.0  # seconds; well inside LEASE, so a busy holder never lets its lease lapse


class PlatformLeases:
    """The platforms this replica (``owner``) may send to now."""

    def __init__(self, store: Store, owner: str, lease: timedelta = LEASE) -> None:
        self.store = store
        self.owner = owner
        self.lease = lease
        self.held: set[str] = set()

    def take(self, platforms: Iterable[str], now: datetime | None = None) -> set[str]:
        """Take or renew each platform's lease where it is free, expired or already ours."""
        now = now or utcnow()
        held = set()
        for platform in platforms:
            if self._take_one(platform, now):
                held.add(platform)
            elif platform in self.held:
                log.warning("dispatch_lease_lost platform=%s owner=%s", platform, self.owner)
        gained = held - self.held
        if gained:
            log.info("dispatch_lease_taken platforms=%s owner=%s", ",".join(sorted(gained)), self.owner)
        self.held = held
        return held

    def renew(self) -> set[str]:
        """Renew what is held (during a long round); a lease lost meanwhile is dropped from ``held``."""
        return self.take(sorted(self.held))

    def release(self) -> None:
        """Hand every lease over now (a clean shutdown), so another replica need not wait for it to lapse."""
        if not self.held:
            return
        with self.store.session() as session:
            session.execute(
                delete(DispatchLease).where(
                    col(DispatchLease.platform).in_(sorted(self.held)), col(DispatchLease.owner) == self.owner
                )
            )
            session.commit()
        self.held = set()

    def _take_one(self, platform: str, now: datetime) -> bool:
        until = now + self.lease
        with self.store.session() as session:
            result = session.execute(
                update(DispatchLease)
                .where(
                    col(DispatchLease.platform) == platform,
                    or_(col(DispatchLease.owner) == self.owner, col(DispatchLease.until) < now),
                )
                .values(owner=self.owner, until=until)
            )
            if getattr(result, "rowcount", 0) == 1:
                session.commit()
                return True
            if session.get(DispatchLease, platform) is not None:
                return False  # held by a live replica
            session.add(DispatchLease(platform=platform, owner=self.owner, until=until))
            try:
                session.commit()
            except IntegrityError:  # another replica created it in the same instant: theirs
                session.rollback()
                return False
            return True
