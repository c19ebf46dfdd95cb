"""The outbox: retries, rate limits, gone chats and leases, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.alerts import Alert
from bot.archive import TopicMatch, store_article
from bot.catalog import sync_config
from bot.dispatch import MAX_ATTEMPTS, OutboxDispatcher
from bot.models import Chat, Delivery, Source, utcnow
from bot.settings import settings_from_dict
from bot.store import Store
from watchers.entries import Article
from watchers.errors import ChatGone, DeliveryError, RateLimited
from watchers.match import compile_query


class Recorder:
    """A channel of our own protocol that records alerts and fails on demand."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Alert]] = []
        self.failures: list[Exception] = []

    async def send(self, chat: Chat, alert: Alert) -> str | None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(("send", alert))
        return f"m{len(self.sent)}"

    async def update(self, chat: Chat, alert: Alert, message_id: str | None) -> str | None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(("update", alert))
        return message_id


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Iterator[Store]:
    opened = _setup(database_url, tmp_path)
    yield opened
    opened.close()


def _setup(database_url: str, tmp_path: Path) -> Store:
    settings = settings_from_dict(
        {
            "sources": [
                {"name": "A", "url": "https://a.example/feed"},
                {"name": "B", "url": "https://b.example/feed"},
            ],
            "topics": [{"name": "Grain", "query": "grain"}],
            "channels": [{"name": "out", "kind": "jsonl", "path": "out.jsonl"}],
            "subscriptions": [{"channel": "out", "topic": "Grain"}],
        },
        tmp_path,
    )
    store = Store.open(database_url)
    sync_config(store, settings)
    return store


def _add(store: Store, source: str, url: str, title: str = "Grain exports rebound") -> None:
    with store.session() as session:
        source_id = session.exec(select(Source.id).where(Source.name == source)).one()
    topic_id = 1
    result = compile_query("grain").match(title, "grain text")
    stored = store_article(
        store,
        source_id=source_id,
        data=Article(url=url, title=title, text="grain text", published=utcnow()),
        summary="Grain text.",
        matches=[TopicMatch(topic_id, result)],
        alert=True,
    )
    assert stored is not None


async def test_new_then_update_never_two_news(store: Store) -> None:
    channel = Recorder()
    dispatcher = OutboxDispatcher(store, {"jsonl": channel})
    _add(store, "A", "https://a.example/1")
    assert (await dispatcher.dispatch_pending()).sent == 1
    _add(store, "B", "https://b.example/1")
    report = await dispatcher.dispatch_pending()
    assert (report.sent, report.updated) == (0, 1)
    assert await dispatcher.dispatch_pending() == type(report)()
    kinds = [kind for kind, _ in channel.sent]
    assert kinds == ["send", "update"]
    update = channel.sent[1][1]
    assert [s.name for s in update.sources] == ["A", "B"]
    assert [s.name for s in update.added] == ["B"]


async def test_transient_errors_retry_then_give_up(store: Store) -> None:
    channel = Recorder()
    channel.failures = [DeliveryError("HTTP 502")] * MAX_ATTEMPTS
    dispatcher = OutboxDispatcher(store, {"jsonl": channel})
    _add(store, "A", "https://a.example/1")
    reports = [
        await dispatcher.dispatch_pending(now=utcnow() + timedelta(days=1)) for _ in range(MAX_ATTEMPTS)
    ]
    assert [r.retried for r in reports] == [1] * (MAX_ATTEMPTS - 1) + [0]
    assert reports[-1].failed == 1
    with store.session() as session:
        row = session.exec(select(Delivery)).one()
    assert row.status == "failed"
    assert row.last_error == "HTTP 502"
    assert channel.sent == []


async def test_rate_limit_waits_and_keeps_the_alert(store: Store) -> None:
    channel = Recorder()
    channel.failures = [RateLimited("flood control", retry_after=30)]
    dispatcher = OutboxDispatcher(store, {"jsonl": channel})
    _add(store, "A", "https://a.example/1")
    assert (await dispatcher.dispatch_pending()).retried == 1
    assert (await dispatcher.dispatch_pending()).sent == 0  # not before retry_after
    assert (await dispatcher.dispatch_pending(now=utcnow() + timedelta(seconds=31))).sent == 1


async def test_gone_chat_is_deactivated(store: Store) -> None:
    channel = Recorder()
    channel.failures = [ChatGone("bot was blocked by the user")]
    dispatcher = OutboxDispatcher(store, {"jsonl": channel})
    _add(store, "A", "https://a.example/1")
    _add(store, "A", "https://a.example/2", title="Another grain story")
    report = await dispatcher.dispatch_pending()
    assert report.dropped == 1
    with store.session() as session:
        chat = session.exec(select(Chat)).one()
        statuses = sorted(d.status for d in session.exec(select(Delivery)).all())
    assert not chat.active
    assert chat.deactivated_reason == "bot was blocked by the user"
    assert statuses == ["dropped", "dropped"]
    assert channel.sent == []


async def test_a_leased_row_is_not_sent_by_a_second_worker(store: Store) -> None:
    first, second = Recorder(), Recorder()
    _add(store, "A", "https://a.example/1")
    one = OutboxDispatcher(store, {"jsonl": first}, owner="one")
    two = OutboxDispatcher(store, {"jsonl": second}, owner="two")
    [delivery_id] = one._due(utcnow())
    assert one._claim(delivery_id, utcnow())
    assert not two._claim(delivery_id, utcnow())
    assert (await two.dispatch_pending()).sent == 0
    with store.session() as session:
        row = session.get(Delivery, delivery_id)
        assert row is not None
        row.lease_until = utcnow() - timedelta(seconds=1)  # the first worker died; its lease expires
        session.add(row)
    assert (await two.dispatch_pending()).sent == 1
    assert len(second.sent) == 1


def test_duplicate_article_is_stored_once(store: Store) -> None:
    _add(store, "A", "https://a.example/1")
    with store.session() as session:
        source_id = session.exec(select(Source.id).where(Source.name == "A")).one()
    again = store_article(
        store,
        source_id=source_id,
        data=Article(url="https://a.example/1", title="x", text="y"),
        summary="",
        matches=[],
        alert=True,
    )
    assert again is None
