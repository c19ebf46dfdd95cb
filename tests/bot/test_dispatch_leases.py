"""Replicas on one database: one of them sends to a platform at a time, and the lease passes on when the
holder stops (cleanly at once, or when its lease runs out), on both databases."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col, select

from bot.dispatch import OutboxDispatcher
from bot.dispatch_lease import PlatformLeases
from bot.models import Delivery, DispatchLease, utcnow
from bot.store import Store
from tests.bot.test_dispatch import Recorder, _add, store
from tests.distinct_events import distinct_headline

__all__ = ["store"]


def _headlines(recorder: Recorder) -> list[str]:
    return [alert.title for _, alert in recorder.sent]


def _expire(store: Store, platform: str) -> None:
    """The holder died: its lease is in the past."""
    with store.session() as session:
        session.execute(
            update(DispatchLease)
            .where(col(DispatchLease.platform) == platform)
            .values(until=utcnow() - timedelta(seconds=1))
        )
        session.commit()


async def test_two_replicas_dispatching_together_leave_one_sender(store: Store) -> None:
    titles = [distinct_headline("lease", "grain", i) for i in range(4)]
    for i, title in enumerate(titles):
        _add(store, "A", f"https://a.example/{i}", title)
    first, second = Recorder(), Recorder()
    one = OutboxDispatcher(store, {"jsonl": first}, owner="one")
    two = OutboxDispatcher(store, {"jsonl": second}, owner="two")
    reports = await asyncio.gather(one.dispatch_pending(), two.dispatch_pending())
    assert sorted(r.sent for r in reports) == [0, 4]
    sender = first if first.sent else second
    assert _headlines(sender) == titles  # every alert once, in order, from one replica
    assert not (first.sent and second.sent)

    # the holder keeps its lease between rounds: the next alert goes through it too
    _add(store, "A", "https://a.example/late", distinct_headline("lease", "grain", 9))
    idle = two if sender is first else one
    busy = one if sender is first else two
    assert (await idle.dispatch_pending()).sent == 0
    assert (await busy.dispatch_pending()).sent == 1
    with store.session() as session:
        assert session.exec(select(Delivery).where(Delivery.status != "sent")).all() == []


async def test_the_lease_passes_on_at_a_clean_stop_or_when_it_runs_out(store: Store) -> None:
    first, second = Recorder(), Recorder()
    one = OutboxDispatcher(store, {"jsonl": first}, owner="one")
    two = OutboxDispatcher(store, {"jsonl": second}, owner="two")
    _add(store, "A", "https://a.example/1", distinct_headline("handover", "grain", 1))
    assert (await one.dispatch_pending()).sent == 1

    _add(store, "A", "https://a.example/2", distinct_headline("handover", "grain", 2))
    assert (await two.dispatch_pending()).sent == 0  # "one" is alive and holds jsonl
    one.release_leases()  # "one" stops cleanly
    assert (await two.dispatch_pending()).sent == 1
    assert len(second.sent) == 1

    _add(store, "A", "https://a.example/3", distinct_headline("handover", "grain", 3))
    _expire(store, "jsonl")  # "two" dies without a word
    assert (await one.dispatch_pending()).sent == 1
    assert len(first.sent) == 2


def test_a_holder_that_stalled_past_its_lease_learns_it_lost_it(store: Store) -> None:
    one = PlatformLeases(store, "one")
    two = PlatformLeases(store, "two")
    assert one.take(["telegram", "slack"]) == {"telegram", "slack"}
    assert two.take(["telegram", "slack"]) == set()
    _expire(store, "telegram")
    assert two.take(["telegram", "slack"]) == {"telegram"}
    assert one.renew() == {"slack"}  # it stops sending to Telegram; "two" sends the rest
    assert one.held == {"slack"}
