"""The dispatcher's pacing and plans: limits kept, chats served fairly, order kept, backlogs folded,
digest modes and quiet hours honoured, muted topics skipped. Limits are scaled so tests run in seconds."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.alerts import Alert
from bot.archive import TopicMatch, store_article
from bot.catalog import sync_config
from bot.digests import Digest, digest_due, in_quiet_hours, last_quiet_window
from bot.dispatch import OutboxDispatcher
from bot.models import Chat, Delivery, Source, Subscription, utcnow
from bot.ratelimit import PLATFORM_LIMITS, RateLimiter
from bot.settings import settings_from_dict
from bot.store import Store
from tests.distinct_events import distinct_headline
from watchers.entries import Article
from watchers.errors import ConfigError, RateLimited
from watchers.match import compile_query

FAST = {"telegram": PLATFORM_LIMITS["telegram"].scaled(20)}  # 600/s overall, 20/s per chat


class Recorder:
    """A digest-capable channel that logs (monotonic time, chat, what) and fails on demand."""

    def __init__(self) -> None:
        self.log: list[tuple[float, str, str]] = []
        self.digests: list[tuple[str, Digest]] = []
        self.failures: dict[str, list[Exception]] = {}

    async def send(self, chat: Chat, alert: Alert) -> str | None:
        pending = self.failures.get(chat.external_id)
        if pending:
            raise pending.pop(0)
        self.log.append((time.monotonic(), chat.external_id, alert.title))
        return str(len(self.log))

    async def update(self, chat: Chat, alert: Alert, message_id: str | None) -> str | None:
        return message_id

    async def send_digest(self, chat: Chat, digest: Digest) -> list[str]:
        self.digests.append((chat.external_id, digest))
        return ["d1"]


@pytest.fixture
def store(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:unused")
    settings = settings_from_dict(
        {
            "sources": [{"name": "A", "url": "https://a.example/feed"}],
            "topics": [{"name": "Grain", "query": "grain"}, {"name": "Oil", "query": "oil"}],
            "channels": [
                {"name": "busy", "kind": "telegram", "chat_id": 1},
                {"name": "calm", "kind": "telegram", "chat_id": 2},
                {"name": "group", "kind": "telegram", "chat_id": -100},
            ],
            "subscriptions": [
                {"channel": "busy", "topic": "Grain"},
                {"channel": "calm", "topic": "Oil"},
                {"channel": "group", "topic": "Grain"},
            ],
        },
        tmp_path,
    )
    opened = Store.open(database_url)
    sync_config(opened, settings)
    yield opened
    opened.close()


def add(store: Store, n: int, word: str, prefix: str) -> None:
    with store.session() as session:
        source_id = session.exec(select(Source.id)).one()
    for i in range(n):
        title = distinct_headline(prefix, word, i)
        text = f"{word}: {title}"
        result = compile_query(word).match(title, text)
        topic_id = 1 if word == "grain" else 2
        store_article(
            store,
            source_id=source_id,
            data=Article(url=f"https://a.example/{prefix}/{i}", title=title, text=text, published=utcnow()),
            summary="",
            matches=[TopicMatch(topic_id, result)],
            alert=True,
        )


def dispatcher(store: Store, channel: Recorder, **kwargs: object) -> OutboxDispatcher:
    return OutboxDispatcher(store, {"telegram": channel}, limiter=RateLimiter(FAST), **kwargs)  # type: ignore[arg-type]


async def test_a_busy_chat_never_starves_the_others_and_keeps_its_order(store: Store) -> None:
    channel = Recorder()
    with store.session() as session:  # only the two private chats for this test
        group = session.exec(select(Chat).where(Chat.external_id == "-100")).one()
        group.active = False
        session.add(group)
    add(store, 8, "grain", "busy")
    add(store, 2, "oil", "calm")
    report = await dispatcher(store, channel).dispatch_pending()
    assert report.sent == 10
    busy = [(t, title) for t, chat, title in channel.log if chat == "1"]
    calm = [t for t, chat, _ in channel.log if chat == "2"]
    assert [title for _, title in busy] == [distinct_headline("busy", "grain", i) for i in range(8)]
    assert max(calm) < busy[2][0]  # the calm chat did not wait behind the busy one
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(busy)]
    assert min(gaps) >= FAST["telegram"].limits.chat_interval * 0.95  # type: ignore[operator]


async def test_a_group_keeps_its_per_minute_window(store: Store) -> None:
    channel = Recorder()
    limits = PLATFORM_LIMITS["telegram"].scaled(60)  # a "minute" of 1 s, 20 messages per window
    add(store, 25, "grain", "g")
    sender = OutboxDispatcher(
        store, {"telegram": channel}, limiter=RateLimiter({"telegram": limits}), fold_after=timedelta(hours=1)
    )  # type: ignore[dict-item]
    await sender.dispatch_pending()
    group = [t for t, chat, _ in channel.log if chat == "-100"]
    assert len(group) == 25
    for i in range(len(group) - 20):
        assert group[i + 20] - group[i] >= limits.group_window * 0.95


async def test_a_chat_rate_limit_pauses_that_chat_only_and_nothing_is_lost(store: Store) -> None:
    channel = Recorder()
    channel.failures["1"] = [RateLimited("flood", retry_after=0.5), RateLimited("flood", retry_after=0.5)]
    add(store, 3, "grain", "busy")
    add(store, 2, "oil", "calm")
    report = await dispatcher(store, channel).dispatch_pending()
    assert report.sent == 8  # 3 + 2 + 3 for the group
    busy = [title for _, chat, title in channel.log if chat == "1"]
    assert busy == [distinct_headline("busy", "grain", i) for i in range(3)]
    first_busy = next(t for t, chat, _ in channel.log if chat == "1")
    assert all(t < first_busy for t, chat, _ in channel.log if chat == "2")


async def test_a_backlog_too_long_is_folded_into_one_digest(store: Store) -> None:
    channel = Recorder()
    add(store, 30, "grain", "flood")
    report = await dispatcher(store, channel, fold_after=timedelta(seconds=1)).dispatch_pending()
    # 30 messages take 1.45 s at the scaled 20/s (fold after 1 s): each grain chat gets one digest
    assert report.digests == 2
    assert report.sent == 60
    assert sorted(chat for chat, _ in channel.digests) == ["-100", "1"]
    digest = channel.digests[0][1]
    assert digest.count == 30
    assert [topic for topic, _ in digest.groups] == ["Grain"]
    with store.session() as session:
        rows = session.exec(select(Delivery)).all()
    assert {(r.status, r.in_digest) for r in rows} == {("sent", True)}


async def test_digest_mode_waits_for_its_time(store: Store) -> None:
    channel = Recorder()
    with store.session() as session:
        sub = session.exec(select(Subscription).where(Subscription.topic_id == 2)).one()
        sub.mode = "digest 08:00"
        sub.last_digest_at = utcnow()
        session.add(sub)
    add(store, 3, "oil", "calm")
    sender = dispatcher(store, channel)
    assert (await sender.dispatch_pending()).sent == 0
    tomorrow = utcnow() + timedelta(days=1, minutes=1)
    report = await sender.dispatch_pending(now=tomorrow)
    assert (report.sent, report.digests) == (3, 1)
    assert channel.digests[0][1].count == 3
    assert (await sender.dispatch_pending(now=tomorrow)).sent == 0


async def test_quiet_hours_hold_alerts_then_send_a_digest(store: Store) -> None:
    channel = Recorder()
    now = utcnow()
    start = (now - timedelta(minutes=30)).strftime("%H:%M")
    end = (now + timedelta(minutes=30)).strftime("%H:%M")
    with store.session() as session:
        chat = session.exec(select(Chat).where(Chat.external_id == "2")).one()
        chat.quiet_hours = f"{start}-{end}"
        session.add(chat)
    add(store, 2, "oil", "night")
    sender = dispatcher(store, channel)
    assert (await sender.dispatch_pending()).sent == 0
    report = await sender.dispatch_pending(now=now + timedelta(minutes=31))
    assert (report.sent, report.digests) == (2, 1)
    assert channel.digests[0][1].reason == "While this chat was quiet"


async def test_muted_topic_is_skipped(store: Store) -> None:
    channel = Recorder()
    with store.session() as session:
        sub = session.exec(select(Subscription).where(Subscription.topic_id == 2)).one()
        sub.muted_until = utcnow() + timedelta(hours=8)
        session.add(sub)
    add(store, 1, "oil", "calm")
    report = await dispatcher(store, channel).dispatch_pending()
    assert (report.sent, report.muted) == (0, 1)


def test_schedules_in_the_chat_time_zone() -> None:
    now = datetime(2026, 12, 2, 7, 30, tzinfo=UTC)  # 08:30 in Berlin
    assert digest_due("digest 08:00", now, "Europe/Berlin", datetime(2026, 12, 1, 7, 5, tzinfo=UTC))
    assert not digest_due("digest 08:00", now, "Europe/Berlin", datetime(2026, 12, 2, 7, 5, tzinfo=UTC))
    assert digest_due("hourly", now, "UTC", datetime(2026, 12, 2, 6, 59, tzinfo=UTC))
    assert in_quiet_hours("22:00-07:00", datetime(2026, 12, 2, 5, 0, tzinfo=UTC), "Europe/Berlin")
    assert not in_quiet_hours("22:00-07:00", now, "Europe/Berlin")
    window = last_quiet_window("22:00-07:00", now, "Europe/Berlin")
    assert window == (datetime(2026, 12, 1, 21, 0, tzinfo=UTC), datetime(2026, 12, 2, 6, 0, tzinfo=UTC))


def test_a_config_chat_carries_its_time_zone_and_quiet_hours(database_url: str, tmp_path: Path) -> None:
    data = {
        "topics": [{"name": "Grain", "query": "grain"}],
        "channels": [
            {"name": "out", "kind": "jsonl", "path": "o.jsonl", "timezone": "Europe/Berlin"},
            {"name": "night", "kind": "console", "quiet_hours": "22:00 - 07:00"},
        ],
    }
    store = Store.open(database_url)
    try:
        sync_config(store, settings_from_dict(data, tmp_path))
        with store.session() as session:
            chats = {c.name: c for c in session.exec(select(Chat)).all()}
    finally:
        store.close()
    assert (chats["out"].timezone, chats["out"].quiet_hours) == ("Europe/Berlin", None)
    assert (chats["night"].timezone, chats["night"].quiet_hours) == ("UTC", "22:00-07:00")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [("quiet_hours", "22-7", "not quiet hours like 22:00-07:00"), ("timezone", "Mars/Base", "time zone")],
)
def test_bad_chat_settings_are_refused(tmp_path: Path, key: str, value: str, message: str) -> None:
    data = {"channels": [{"name": "out", "kind": "console", key: value}]}
    with pytest.raises(ConfigError, match=message):
        settings_from_dict(data, tmp_path)
