"""A muted topic holds the edits of its alerts already shown, like its new alerts, and loses none of them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.dispatch import OutboxDispatcher
from bot.models import Delivery, Subscription, utcnow
from bot.store import Store
from tests.bot.test_dispatch import Recorder, _add, _setup


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = _setup(f"sqlite:///{tmp_path}/mute.db", tmp_path)
    yield opened
    opened.close()


def _mute(store: Store, period: timedelta) -> None:
    with store.session() as session:
        sub = session.exec(select(Subscription)).one()
        sub.muted_until = utcnow() + period
        session.add(sub)


async def test_updates_wait_out_the_mute_then_arrive_as_one_edit(store: Store) -> None:
    channel = Recorder()
    dispatcher = OutboxDispatcher(store, {"jsonl": channel})
    _add(store, "A", "https://a.example/1")
    assert (await dispatcher.dispatch_pending()).sent == 1
    _mute(store, timedelta(hours=2))
    _add(store, "B", "https://b.example/1")  # another outlet: the shown alert would be edited
    during = await dispatcher.dispatch_pending()
    assert (during.sent, during.updated, during.muted) == (0, 0, 0)
    assert [kind for kind, _ in channel.sent] == ["send"]
    with store.session() as session:
        [row] = session.exec(select(Delivery)).all()
    assert (row.status, row.pending_update) == ("sent", True)  # held, not dropped

    after = await dispatcher.dispatch_pending(now=utcnow() + timedelta(hours=2, minutes=1))
    assert after.updated == 1
    assert [kind for kind, _ in channel.sent] == ["send", "update"]
    assert [s.name for s in channel.sent[1][1].sources] == ["A", "B"]
    assert await dispatcher.dispatch_pending(now=utcnow() + timedelta(hours=3)) == type(after)()


async def test_a_new_alert_during_the_mute_is_still_not_sent(store: Store) -> None:
    channel = Recorder()
    _mute(store, timedelta(hours=2))
    _add(store, "A", "https://a.example/1")
    report = await OutboxDispatcher(store, {"jsonl": channel}).dispatch_pending()
    assert (report.sent, report.muted) == (0, 1)
    assert channel.sent == []
