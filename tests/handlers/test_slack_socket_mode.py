"""Slack over Socket Mode, transcript style: the real slack-bolt app against the emulator's websocket."""

from __future__ import annotations

import asyncio
import json
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


async def test_news_help_and_a_bare_news_list_the_commands(
    slack: SlackEmulator, running: tuple[RunningSlack, Store]
) -> None:
    for text in ("help", ""):
        envelope = slack.send_envelope(
            "slash_commands", slack.slash_command(text, channel=CHANNEL, user=USER)
        )
        await eventually(lambda e=envelope: slack.acked(e), what="the ack")
    replies = await eventually(lambda: len(slack.ephemerals(CHANNEL)) == 2 and slack.ephemerals(CHANNEL))
    for reply in replies:
        assert reply.text.startswith("Commands:")
        assert "/latest [TOPIC] [N]" in reply.text


async def test_an_app_mention_is_answered_in_its_thread(
    slack: SlackEmulator, running: tuple[RunningSlack, Store]
) -> None:
    payload = slack.app_mention("latest NATO expansion", channel=CHANNEL, user=USER)
    envelope = slack.send_envelope("events_api", payload)
    await eventually(lambda: slack.acked(envelope), what="the ack")
    replies = await eventually(lambda: [m for m in slack.messages(CHANNEL) if m.thread_ts], what="the reply")
    assert [r.thread_ts for r in replies] == [payload["event"]["ts"]]
    assert "Latest stories for NATO expansion:" in replies[0].text
    assert NATO_TITLE in json.dumps(replies[0].blocks)


async def test_alert_buttons_answer_story_similar_and_mute(
    slack: SlackEmulator, running: tuple[RunningSlack, Store]
) -> None:
    [alert] = slack.messages(CHANNEL)
    buttons = next(b for b in alert.blocks if b["type"] == "actions")["elements"]
    for button in buttons:
        payload = slack.block_action(
            button["action_id"], button["value"], channel=CHANNEL, user=USER, message_ts=alert.ts
        )
        envelope = slack.send_envelope("interactive", payload)
        await eventually(lambda e=envelope: slack.acked(e), what="the ack")
    replies = await eventually(lambda: len(slack.ephemerals(CHANNEL)) == 3 and slack.ephemerals(CHANNEL))
    by_text = sorted(r.text for r in replies)
    assert any(t.startswith(NATO_TITLE) and "Sources:" in t for t in by_text)
    assert any(t.startswith("More like story") for t in by_text)
    assert "Muted NATO expansion in this channel for 8 h." in by_text
    assert {r.user for r in replies} == {USER}
    assert len(slack.messages(CHANNEL)) == 1  # answers are private; the channel is untouched


async def test_a_redelivered_envelope_is_acked_again_but_acted_on_once(
    slack: SlackEmulator, running: tuple[RunningSlack, Store]
) -> None:
    envelope = slack.send_envelope(
        "slash_commands", slack.slash_command("latest", channel=CHANNEL, user=USER)
    )
    await eventually(lambda: slack.acked(envelope), what="the ack")
    slack.redeliver(envelope)
    await eventually(lambda: slack.acked(envelope) == 2, what="the second ack")
    await eventually(lambda: slack.ephemerals(CHANNEL), what="the reply")
    await asyncio.sleep(0.5)
    assert len(slack.ephemerals(CHANNEL)) == 1


async def test_the_same_event_in_a_new_envelope_is_acted_on_once(
    slack: SlackEmulator, running: tuple[RunningSlack, Store]
) -> None:
    payload = slack.app_mention("help", channel=CHANNEL, user=USER, event_id="Ev0SAMEEVENT")
    first = slack.send_envelope("events_api", payload)
    second = slack.send_envelope("events_api", payload, retry_attempt=1, retry_reason="timeout")
    await eventually(lambda: slack.acked(first) and slack.acked(second), what="both acks")
    await eventually(lambda: [m for m in slack.messages(CHANNEL) if m.thread_ts], what="the reply")
    await asyncio.sleep(0.5)
    assert len([m for m in slack.messages(CHANNEL) if m.thread_ts]) == 1


async def test_after_a_disconnect_the_app_reconnects_and_keeps_answering(
    slack: SlackEmulator, running: tuple[RunningSlack, Store]
) -> None:
    opened, sockets = slack.connections_opened, slack.sockets_opened
    slack.disconnect("refresh_requested")
    # reconnected: a new URL asked for, its websocket open, and the old one closed (an envelope sent
    # while both are open could go to the one being closed, which Slack would redeliver; we wait instead)
    await eventually(
        lambda: (
            (slack.connections_opened, slack.sockets_opened, slack.connected())
            == (opened + 1, sockets + 1, 1)
        ),
        what="reconnection",
    )
    envelope = slack.send_envelope("slash_commands", slack.slash_command("help", channel=CHANNEL, user=USER))
    await eventually(lambda: slack.acked(envelope), what="the ack")
    await eventually(lambda: slack.ephemerals(CHANNEL), what="the reply")
