"""A delivery is acted on once per process (LRU) and once across replicas sharing a database."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col, select

from bot.models import InboundEvent, utcnow
from bot.store import Store
from handlers.inbound_dedupe import InboundDedupe


async def test_each_key_is_new_once_per_process_and_across_replicas(database_url: str) -> None:
    store = Store.open(database_url)
    try:
        first, second = InboundDedupe(store, "slack"), InboundDedupe(store, "slack")
        assert await first.first_time("event:Ev1") is True
        assert await first.first_time("event:Ev1") is False  # this process remembers
        assert await second.first_time("event:Ev1") is False  # another replica: the database decides
        assert await second.first_time("event:Ev2") is True
        assert await InboundDedupe(store, "telegram").first_time("event:Ev1") is True  # per platform
        racers = [InboundDedupe(store, "slack") for _ in range(6)]
        results = await asyncio.gather(*(r.first_time("trigger:T1") for r in racers))
        assert sorted(results) == [False] * 5 + [True]
    finally:
        store.close()


async def test_old_keys_are_pruned(database_url: str) -> None:
    store = Store.open(database_url)
    try:
        dedupe = InboundDedupe(store, "slack")
        assert await dedupe.first_time("old")
        with store.session() as session:
            session.execute(update(InboundEvent).values(received_at=utcnow() - timedelta(days=2)))
        assert await InboundDedupe(store, "slack").first_time(
            "new"
        )  # a fresh instance prunes on its first claim
        with store.session() as session:
            assert session.exec(select(InboundEvent.key).order_by(col(InboundEvent.id))).all() == ["new"]
    finally:
        store.close()


async def test_without_a_database_the_lru_still_catches_repeats() -> None:
    dedupe = InboundDedupe(None, "slack", capacity=2)
    assert [await dedupe.first_time(k) for k in ("a", "a", "b", "c", "a")] == [True, False, True, True, True]
