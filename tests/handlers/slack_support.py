"""Shared set-up for the Slack tests: the emulator, a config pointing at it, and a news site."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.settings import Settings, settings_from_dict
from handlers.emulators.slack import SlackEmulator
from tests.bot.test_poll_once import TOPIC

CHANNEL = "C0NEWSDESK"
USER = "U0READER"
ADMIN = "U0ADMIN"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        emulator.add_channel(CHANNEL, "news-desk")
        monkeypatch.setenv("SLACK_BOT_TOKEN", emulator.bot_token)
        monkeypatch.setenv("SLACK_APP_TOKEN", emulator.app_token)
        monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
        yield emulator


def slack_config(
    emulator: SlackEmulator,
    database_url: str,
    sources: list[tuple[str, str]] = (),  # type: ignore[assignment]
    *,
    mode: str = "socket",
    channel: str = CHANNEL,
) -> dict[str, Any]:
    section: dict[str, Any] = {"api_base": emulator.api_base, "admins": [ADMIN], "mode": mode}
    if mode == "http":
        section |= {"signing_secret_env": "SLACK_SIGNING_SECRET", "http_listen": "127.0.0.1:0"}
    return {
        "storage": {"url": database_url},
        "network": {"allow_private": ["127.0.0.1"], "timeout": "5s", "fetch_pages": False},
        "sources": [{"name": name, "url": url, "backfill": "24h"} for name, url in sources],
        "topics": [{"name": TOPIC, "query": "NATO expansion"}],
        "channels": [{"name": "desk", "kind": "slack", "channel": channel}],
        "subscriptions": [{"channel": "desk", "topic": TOPIC}],
        "slack": section,
    }


def settings_for(data: dict[str, Any], base: Path) -> Settings:
    return settings_from_dict(data, base)


async def eventually(check: Callable[[], Any], within: float = 10, what: str = "condition") -> Any:
    """Poll ``check`` without blocking the loop the app runs on; its first truthy value is returned."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
