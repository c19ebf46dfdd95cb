"""Slack in HTTP mode: the emulator sends signed requests (X-Slack-Signature v0) to the real bolt app."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import Newswatch
from bot.catalog import sync_config
from bot.sample_site import LocalSite
from bot.store import Store
from handlers.channels import build_channels
from handlers.emulators.slack import SlackEmulator, post_signed
from handlers.slack import RunningSlack, start_slack
from tests.bot.test_poll_once import NATO_TITLE, Clock, publish
from tests.handlers.slack_support import (
    CHANNEL,
    SIGNING_SECRET,
    USER,
    eventually,
    settings_for,
    slack,
    slack_config,
)

__all__ = ["slack"]


@pytest.fixture
async def http_app(slack: SlackEmulator, news_site: LocalSite, tmp_path: Path) -> AsyncIterator[RunningSlack]:
    publish(news_site, Clock(datetime.now(UTC).replace(microsecond=0)))
    sources = [("Northern Courier", news_site.url + "/a.xml")]
    settings = settings_for(slack_config(slack, f"sqlite:///{tmp_path}/h.db", sources, mode="http"), tmp_path)
    store = Store.open(settings.database_url())
    sync_config(store, settings)
    newswatch = Newswatch(settings, store, build_channels(settings))
    await newswatch.poll_once()
    await newswatch.aclose()
    app = await start_slack(settings, store)
    try:
        yield app
    finally:
        await app.stop()
        store.close()


async def test_a_signed_slash_command_is_acked_then_answered(
    slack: SlackEmulator, http_app: RunningSlack
) -> None:
    assert http_app.url is not None
    command = slack.slash_command("latest NATO expansion", channel=CHANNEL, user=USER)
    response = await post_signed(http_app.url, SIGNING_SECRET, form=command)
    assert (response.status, response.body) == (200, "")
    [reply] = await eventually(lambda: slack.ephemerals(CHANNEL), what="the reply")
    assert reply.via == "response_url"
    assert reply.user == USER
    assert NATO_TITLE in json.dumps(reply.blocks)


@pytest.mark.parametrize("forgery", ["wrong secret", "stale timestamp"])
async def test_unsigned_or_replayed_requests_are_refused(
    slack: SlackEmulator, http_app: RunningSlack, forgery: str
) -> None:
    assert http_app.url is not None
    command = slack.slash_command("help", channel=CHANNEL, user=USER)
    if forgery == "wrong secret":
        response = await post_signed(http_app.url, "not-the-secret", form=command)
    else:
        response = await post_signed(
            http_app.url, SIGNING_SECRET, form=command, timestamp=int(time.time()) - 600
        )
    assert response.status == 401
    await asyncio.sleep(0.3)
    assert slack.ephemerals() == []


async def test_a_retried_event_is_acted_on_once(slack: SlackEmulator, http_app: RunningSlack) -> None:
    assert http_app.url is not None
    event = slack.app_mention("help", channel=CHANNEL, user=USER, event_id="Ev0RETRIED")
    first = await post_signed(http_app.url, SIGNING_SECRET, event=event)
    retries = [await post_signed(http_app.url, SIGNING_SECRET, event=event, retry_num=n) for n in (1, 2)]
    assert [r.status for r in [first, *retries]] == [200, 200, 200]  # acked each time, so Slack stops
    await eventually(lambda: [m for m in slack.messages(CHANNEL) if m.thread_ts], what="the reply")
    await asyncio.sleep(0.5)
    assert len([m for m in slack.messages(CHANNEL) if m.thread_ts]) == 1


async def test_a_button_press_over_http_answers_privately(
    slack: SlackEmulator, http_app: RunningSlack
) -> None:
    assert http_app.url is not None
    payload = slack.block_action("newswatch_story", "story:1", channel=CHANNEL, user=USER)
    response = await post_signed(http_app.url, SIGNING_SECRET, interactive=payload)
    assert response.status == 200
    [reply] = await eventually(lambda: slack.ephemerals(CHANNEL), what="the reply")
    assert "Sources:" in reply.text


async def test_the_url_verification_challenge_is_answered(
    slack: SlackEmulator, http_app: RunningSlack
) -> None:
    assert http_app.url is not None
    challenge = {
        "token": "verification-token",
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        "type": "url_verification",
    }
    response = await post_signed(http_app.url, SIGNING_SECRET, event=challenge)
    assert response.status == 200
    assert challenge["challenge"] in response.body
