"""Slack over Socket Mode, transcript style: the real slack-bolt app against the emulator's websocket."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import Newswatch
from bot.catalog import sync_config
from bot.sample_site import LocalSite
from bot.store import Store
from handlers.channels import build_channels
from handlers.emulators.slack import SlackEmulator
from handlers.slack import RunningSlack, start_slack
from tests.bot.test_poll_once import NATO_TITLE, Clock, publish
from tests.handlers.slack_support import CHANNEL, USER, eventually, settings_for, slack, slack_config

__all__ = ["slack"]


@pytest.fixture
async def running(
    slack: SlackEmulator, news_site: LocalSite, tmp_path: Path
) -> AsyncIterator[tuple[RunningSlack, Store]]:
    publish(news_site, Clock(datetime.now(UTC).replace(microsecond=0)))
    sources = [("Northern Courier", news_site.url + "/a.xml"), ("Harbour Gazette", news_site.url + "/b.xml")]
    settings = settings_for(slack_config(slack, f"sqlite:///{tmp_path}/s.db", sources), tmp_path)
    store = Store.open(settings.database_url())
    sync_config(store, settings)
    newswatch = Newswatch(settings, store, build_channels(settings))
    await newswatch.poll_once()
    await newswatch.aclose()
    app = await start_slack(settings, store)
    try:
        await eventually(slack.connected, what="a Socket Mode connection")
        yield app, store
    finally:
        await app.stop()
        store.close()


async def test_news_latest_answers_the_user_privately(
    slack: SlackEmulator, running: tuple[RunningSlack, Store]
) -> None:
    envelope = slack.send_envelope(
        "slash_commands", slack.slash_command("latest", channel=CHANNEL, user=USER)
    )
    await eventually(lambda: slack.acked(envelope), what="the ack")
    replies = await eventually(lambda: slack.ephemerals(CHANNEL), what="the reply")
    assert len(replies) == 1
    assert replies[0].user == USER
    assert NATO_TITLE in str(replies[0].blocks)
