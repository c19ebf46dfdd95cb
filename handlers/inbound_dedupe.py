"""Act on each platform delivery once, however often the platform sends it.

Slack re-sends an event when our acknowledgement is slow (HTTP ``X-Slack-Retry-Num``; over Socket Mode
the same ``event_id`` in a new envelope, or the same envelope again). Two layers:

* an in-memory LRU answers repeats seen by this process without touching the database;
* the ``inbound_events`` table (unique ``platform, key``) decides between replicas sharing a database:
  the first insert wins, later ones are duplicates. Rows older than ``KEEP`` are pruned now and then.

A key is claimed when the delivery arrives, before it is acted on: a crash in between loses that one
command (the user can type it again) rather than risking it twice.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from bot.models import InboundEvent, utcnow
from bot.store import Store

KEEP = timedelta(days=1)
PRUNE_EVERY = 500


class InboundDedupe:
    """``await first_time(key)`` is True exactly once per key (per platform), across replicas."""

    def __init__(self, store: Store | None, platform: str, *, capacity: int = 10_000) -> None:
        self.store = store
        self.platform = platform
        self.capacity = capacity
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._claims = 0
        self._lock = asyncio.Lock()

    async def first_time(self, key: str) -> bool:
        async with self._lock:
            if key in self._seen:
                self._seen.move_to_end(key)
                return False
            self._remember(key)
        if self.store is None:
            return True
        return await asyncio.to_thread(self._claim, key)

    def _remember(self, key: str) -> None:
        self._seen[key] = None
        while len(self._seen) > self.capacity:
            self._seen.popitem(last=False)

    def _claim(self, key: str) -> bool:
        assert self.store is not None
        try:
            with self.store.session() as session:
                session.add(InboundEvent(platform=self.platform, key=key[:250], received_at=utcnow()))
        except IntegrityError:
            return False
        self._claims += 1
        if self._claims % PRUNE_EVERY == 1:
            with self.store.session() as session:
                session.execute(delete(InboundEvent).where(col(InboundEvent.received_at) < utcnow() - KEEP))
        return True
