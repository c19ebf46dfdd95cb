"""Shared set-up for the Telegram tests: the emulator, a config pointing at it, and the service wired as
``newswatch run`` wires it (store, configured catalogue, channels, and optionally the answering bot)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import Newswatch
from bot.catalog import sync_config
from bot.sample_site import LocalSite
from bot.settings import Settings, settings_from_dict
from bot.store import Store
from handlers.channels import build_channels
from handlers.emulators.telegram import DEFAULT_TOKEN, TelegramEmulator
from handlers.telegram import RunningTelegram, start_telegram
from tests.bot.test_poll_once import TOPIC

GROUP = -1001234567890
TOKEN_ENV = "NW_TEST_TG_TOKEN"


@pytest.fixture
def telegram(monkeypatch: pytest.MonkeyPatch) -> Iterator[TelegramEmulator]:
    """The Bot API emulator, with the bot's token in the environment (where the config reads it)."""
    monkeypatch.setenv(TOKEN_ENV, DEFAULT_TOKEN)
    with TelegramEmulator() as emulator:
        yield emulator


def telegram_section(tg: TelegramEmulator, admins: list[int]) -> dict[str, Any]:
    return {"token_env": TOKEN_ENV, "api_base": tg.url, "admins": admins}


def make_settings(site: LocalSite, tg: TelegramEmulator, tmp_path: Path, database_url: str) -> Settings:
    """Two outlets on the news site, one topic, the group subscribed to it."""
    return settings_from_dict(
        {
            "storage": {"url": database_url},
            "network": {"allow_private": ["127.0.0.1"], "timeout": "5s"},
            "sources": [
                {"name": "Northern Courier", "url": site.url + "/a.xml"},
                {"name": "Harbour Gazette", "url": site.url + "/b.xml"},
            ],
            "topics": [{"name": TOPIC, "query": "NATO expansion"}],
            "channels": [{"name": "desk", "kind": "telegram", "chat_id": GROUP}],
            "subscriptions": [{"channel": "desk", "topic": TOPIC}],
            "telegram": telegram_section(tg, [42]),
        },
        tmp_path,
    )


@dataclass
class Desk:
    """The running service: its store, the poll/dispatch app, and the bot answering chat (if started)."""

    store: Store
    app: Newswatch
    bot: RunningTelegram | None


@asynccontextmanager
async def service(settings: Settings, *, answering: bool = True) -> AsyncIterator[Desk]:
    """The service for ``settings``, shut down in order afterwards whatever the test did."""
    store = Store.open(settings.database_url())
    sync_config(store, settings)
    app = Newswatch(settings, store, build_channels(settings))
    bot: RunningTelegram | None = None
    try:
        if answering:
            bot = await start_telegram(settings, store)
        yield Desk(store, app, bot)
    finally:
        if bot is not None:
            await bot.stop()
        await app.aclose()
        store.close()


async def wait_until(condition: Any, within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def say(tg: TelegramEmulator, chat: int, text: str, user: int) -> str:
    """A user types ``text`` in ``chat``; the bot's next message there is returned."""
    before = len(tg.transcript(chat))
    tg.user_says(chat, text, user_id=user)
    await wait_until(lambda: len(tg.transcript(chat)) > before)
    return tg.transcript(chat)[-1].text
