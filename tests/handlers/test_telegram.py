"""Telegram end to end, transcript style: the real python-telegram-bot against our Bot API emulator.

The service is wired as ``newswatch run`` wires it (channels from the config, the Application started by
``start_telegram``), the local news site publishes, and the emulator's transcript of the chat is checked.
"""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from bot.archive import TopicMatch, store_article
from bot.catalog import sync_config
from bot.dispatch import OutboxDispatcher
from bot.models import AuditEntry, Chat, Delivery, Source, Subscription, utcnow
from bot.ratelimit import PLATFORM_LIMITS, RateLimiter
from bot.sample_site import LocalSite
from bot.settings import settings_from_dict
from bot.store import Store
from handlers.channels import build_channels
from handlers.emulators.telegram import DEFAULT_TOKEN, TelegramEmulator
from handlers.telegram import start_telegram
from tests.bot.test_poll_once import NATO_TITLE, TOPIC, Clock, publish
from tests.databases import sqlite_only
from tests.distinct_events import distinct_headline
from tests.handlers.telegram_support import (
    GROUP,
    TOKEN_ENV,
    make_settings,
    service,
    telegram,
    telegram_section,
    wait_until,
)
from watchers.entries import Article
from watchers.errors import ConfigError
from watchers.match import compile_query

__all__ = ["telegram", "wait_until"]  # the fixture, and what older test modules import from here


async def test_one_alert_then_an_edit_buttons_and_commands(
    news_site: LocalSite,
    telegram: TelegramEmulator,
    tmp_path: Path,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = make_settings(news_site, telegram, tmp_path, database_url)
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    async with service(settings) as desk:
        store, app = desk.store, desk.app
        assert {"help", "latest", "story"} <= {c["command"] for c in telegram.commands}

        # an article appears: exactly one alert in the group
        publish(news_site, clock)
        report = await app.poll_once()
        assert report.dispatch.sent == 1
        [alert] = telegram.transcript(GROUP)
        assert NATO_TITLE in alert.text
        assert alert.links[0] == (NATO_TITLE, news_site.url + "/a/nato-timetable.html")
        assert "Northern Courier" in alert.text
        assert "<b>NATO expansion</b>" in alert.html or "<b>NATO</b>" in alert.html  # matched terms
        assert [b[0]["callback_data"] for b in alert.buttons][:2] == [
            f"story:{_story_id(store)}",
            f"similar:{_story_id(store)}",
        ]
        assert alert.link_preview is False

        # a second outlet publishes the same story: the message is edited, not duplicated
        publish(news_site, clock, wire=True)
        report = await app.poll_once()
        assert (report.dispatch.sent, report.dispatch.updated) == (0, 1)
        [edited] = telegram.transcript(GROUP)
        assert edited.message_id == alert.message_id
        assert len(edited.edits) == 1
        assert "Also reported by: Harbour Gazette" in edited.text
        assert ("Harbour Gazette", news_site.url + "/b/wire-nato-timetable.html") in edited.links
        assert (await app.poll_once()).dispatch.updated == 0  # nothing further

        # the buttons work
        telegram.press(GROUP, alert.message_id, f"story:{_story_id(store)}", user_id=7)
        await wait_until(lambda: len(telegram.transcript(GROUP)) == 2)
        assert "Sources:" in telegram.transcript(GROUP)[1].text
        telegram.press(GROUP, alert.message_id, f"mute:{TOPIC}", user_id=7)
        await wait_until(lambda: len(telegram.callback_answers) == 2)
        assert telegram.callback_answers[1]["text"].startswith(f"Muted {TOPIC} in this chat until")
        with store.session() as session:
            sub = session.exec(select(Subscription)).one()
            assert sub.muted_until is not None

        # and commands go through the command core
        telegram.user_says(GROUP, "/latest", user_id=7)
        await wait_until(lambda: len(telegram.transcript(GROUP)) == 3)
        assert NATO_TITLE in telegram.transcript(GROUP)[2].text
    assert DEFAULT_TOKEN not in caplog.text
    assert DEFAULT_TOKEN.split(":")[1] not in caplog.text


def _story_id(store: Store) -> int:
    with store.session() as session:
        return session.exec(select(Delivery.story_id)).first() or 0


async def test_blocked_chat_is_deactivated_and_recorded(
    news_site: LocalSite,
    telegram: TelegramEmulator,
    tmp_path: Path,
    database_url: str,
) -> None:
    telegram.block(GROUP, "kicked")
    async with service(make_settings(news_site, telegram, tmp_path, database_url), answering=False) as desk:
        publish(news_site, Clock(datetime.now(UTC).replace(microsecond=0)))
        report = await desk.app.poll_once()
        with desk.store.session() as session:
            chat = session.exec(select(Chat)).one()
            sub = session.exec(select(Subscription)).one()
            audit = session.exec(select(AuditEntry)).one()
    assert report.dispatch.dropped == 1
    assert not chat.active
    assert chat.deactivated_reason == "Telegram: Forbidden: bot was kicked from the group chat"
    assert not sub.active
    assert (audit.action, audit.subject) == ("chat_deactivated", f"telegram:{GROUP}")
    assert telegram.transcript(GROUP) == []


@sqlite_only
async def test_server_errors_and_flood_control_are_retried_not_lost(
    news_site: LocalSite,
    telegram: TelegramEmulator,
    tmp_path: Path,
    database_url: str,
) -> None:
    telegram.fail_next("5xx")
    async with service(make_settings(news_site, telegram, tmp_path, database_url), answering=False) as desk:
        publish(news_site, Clock(datetime.now(UTC).replace(microsecond=0)))
        first = await desk.app.poll_once()
        assert (first.dispatch.sent, first.dispatch.retried) == (0, 1)
        with desk.store.session() as session:
            row = session.exec(select(Delivery)).one()
            assert row.status == "pending"
            assert row.last_error == "Telegram: Bad Gateway"
            later = row.next_attempt_at
        assert later is not None
        telegram.fail_next("429", retry_after=1)
        second = await desk.app.dispatcher.dispatch_pending(now=later)
        assert (second.sent, second.retried) == (1, 1)  # waited out the 429 and went through
    assert len(telegram.transcript(GROUP)) == 1
    assert telegram.limit_hits == 0


async def test_migrated_group_moves_and_the_alert_follows(
    news_site: LocalSite,
    telegram: TelegramEmulator,
    tmp_path: Path,
    database_url: str,
) -> None:
    telegram.migrate(GROUP, -1009999)
    async with service(make_settings(news_site, telegram, tmp_path, database_url), answering=False) as desk:
        publish(news_site, Clock(datetime.now(UTC).replace(microsecond=0)))
        report = await desk.app.poll_once()
        with desk.store.session() as session:
            chat = session.exec(select(Chat)).one()
    assert report.dispatch.sent == 1
    assert chat.external_id == "-1009999"
    assert len(telegram.transcript(-1009999)) == 1


@sqlite_only
async def test_a_429_storm_drops_nothing_keeps_order_and_the_limits(
    telegram: TelegramEmulator, tmp_path: Path, database_url: str
) -> None:
    """Many alerts to a few chats, limits scaled 4x on both sides, plus injected 429s on top."""
    limits = PLATFORM_LIMITS["telegram"].scaled(4)
    telegram.limits = limits
    chats = [11, 12, -13]
    settings = settings_from_dict(
        {
            "storage": {"url": database_url},
            "sources": [{"name": "A", "url": "https://a.example/feed"}],
            "topics": [{"name": "Grain", "query": "grain"}],
            "channels": [{"name": f"c{c}", "kind": "telegram", "chat_id": c} for c in chats],
            "subscriptions": [{"channel": f"c{c}", "topic": "Grain"} for c in chats],
            "telegram": telegram_section(telegram, []),
        },
        tmp_path,
    )
    store = Store.open(settings.database_url())
    sync_config(store, settings)
    titles = [distinct_headline("storm", "grain", i) for i in range(12)]
    with store.session() as session:
        source_id = session.exec(select(Source.id)).one()
    for i, title in enumerate(titles):
        store_article(
            store,
            source_id=source_id,
            data=Article(
                url=f"https://a.example/{i}", title=title, text=f"grain: {title}", published=utcnow()
            ),
            summary="grain",
            matches=[TopicMatch(1, compile_query("grain").match(title, f"grain: {title}"))],
            alert=True,
        )
    channels = build_channels(settings)
    dispatcher = OutboxDispatcher(
        store, channels, limiter=RateLimiter({"telegram": limits}), fold_after=timedelta(hours=1)
    )
    telegram.fail_next("429", count=6, chat_id=11, retry_after=1)
    telegram.fail_next("429", count=2, retry_after=1)
    try:
        report = await dispatcher.dispatch_pending()
    finally:
        for channel in channels.values():
            await channel.aclose()  # type: ignore[attr-defined]
        store.close()
    assert report.sent == 36
    assert (report.retried, telegram.limit_hits) == (8, 0)
    assert report.failed == report.dropped == 0
    for chat in chats:
        shown = [t.split("\n")[1] for t in telegram.texts(chat)]
        assert shown == titles, chat  # every alert, once, in order
    assert telegram.limit_hits == 0  # the emulator's own flood control was never tripped


@sqlite_only
async def test_webhook_mode_receives_updates_and_refuses_a_wrong_secret(
    news_site: LocalSite,
    telegram: TelegramEmulator,
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NW_TEST_TG_SECRET", "s3cret_token-1")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = make_settings(news_site, telegram, tmp_path, database_url)
    assert base.telegram is not None
    section = base.telegram.model_copy(
        update={
            "mode": "webhook",
            "webhook_listen": f"127.0.0.1:{port}",
            "webhook_url": f"http://127.0.0.1:{port}/tg-hook",
            "webhook_secret_env": "NW_TEST_TG_SECRET",
        }
    )
    async with service(base.model_copy(update={"telegram": section})):
        assert telegram.webhook == {
            "url": f"http://127.0.0.1:{port}/tg-hook",
            "secret_token": "s3cret_token-1",
        }
        telegram.user_says(5, "/help", user_id=5)
        await wait_until(lambda: len(telegram.transcript(5)) == 1)
        assert "Commands:" in telegram.transcript(5)[0].text
        async with httpx.AsyncClient(trust_env=False) as client:
            forged = await client.post(
                f"http://127.0.0.1:{port}/tg-hook",
                json={"update_id": 99, "message": {}},
                headers={"X-Telegram-Bot-Api-Secret-Token": "guess"},
            )
        assert forged.status_code == 403


@sqlite_only
async def test_a_refused_token_is_a_clear_config_error(
    news_site: LocalSite,
    telegram: TelegramEmulator,
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "999:wrong")
    settings = make_settings(news_site, telegram, tmp_path, database_url)
    store = Store.open(settings.database_url())
    try:
        with pytest.raises(ConfigError, match="the Bot API refused the token"):
            await start_telegram(settings, store)
    finally:
        store.close()
