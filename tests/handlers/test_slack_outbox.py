"""Alerts to a Slack channel through the outbox, transcript style: the real slack_sdk client, the
emulator and the local news site. One story → one message; a second outlet → that message edited."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import select

from bot.alerts import AlertSource
from bot.app import Newswatch
from bot.catalog import sync_config
from bot.models import Chat, Delivery, utcnow
from bot.sample_site import LocalSite, Route
from bot.settings import Settings
from bot.store import Store
from handlers.channels import build_channels
from handlers.emulators.slack import SlackEmulator
from handlers.slack import SlackChannel, slack_client, start_slack
from tests.bot.test_poll_once import NATO_TITLE, RSS, Clock, publish
from tests.databases import sqlite_only
from tests.handlers.slack_support import CHANNEL, settings_for, slack, slack_config
from tests.handlers.test_slack_render import control_sequences, make_alert, mrkdwn_texts
from watchers.errors import ConfigError

__all__ = ["slack"]


@dataclass
class Desk:
    site: LocalSite
    clock: Clock
    settings: Settings
    store: Store
    app: Newswatch

    def deliveries(self) -> list[Delivery]:
        with self.store.session() as session:
            return list(session.exec(select(Delivery)).all())

    def chat(self) -> Chat:
        with self.store.session() as session:
            row = session.exec(select(Chat).where(Chat.platform == "slack")).one()
            return row

    def make_due(self) -> None:
        with self.store.session() as session:
            session.execute(update(Delivery).values(next_attempt_at=utcnow()))


@pytest.fixture
async def desk(
    slack: SlackEmulator, news_site: LocalSite, database_url: str, tmp_path: Path
) -> AsyncIterator[Desk]:
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    publish(news_site, clock)
    sources = [("Northern Courier", news_site.url + "/a.xml"), ("Harbour Gazette", news_site.url + "/b.xml")]
    settings = settings_for(slack_config(slack, database_url, sources), tmp_path)
    store = Store.open(settings.database_url())
    sync_config(store, settings)
    app = Newswatch(settings, store, build_channels(settings))
    try:
        yield Desk(news_site, clock, settings, store, app)
    finally:
        await app.aclose()
        store.close()


async def test_one_alert_then_the_second_outlet_edits_it(slack: SlackEmulator, desk: Desk) -> None:
    report = await desk.app.poll_once()
    assert report.dispatch.sent == 1
    [message] = slack.messages(CHANNEL)
    assert NATO_TITLE in message.text
    assert message.blocks[0]["text"]["text"] == NATO_TITLE
    assert message.params["unfurl_links"] is False
    assert message.params["link_names"] is False
    assert [d.message_id for d in desk.deliveries()] == [message.ts]

    publish(desk.site, desk.clock, wire=True)  # Harbour Gazette now carries the same story
    report = await desk.app.poll_once()
    assert report.dispatch.updated == 1
    assert report.dispatch.sent == 0
    [edited] = slack.messages(CHANNEL)  # still one message: edited, not duplicated
    assert edited.ts == message.ts
    assert len(edited.edits) == 1
    assert "Also reported by: <" in json.dumps(edited.blocks)
    assert "Harbour Gazette" in json.dumps(edited.blocks)
    assert len(slack.method_calls("chat.update")) == 1

    report = await desk.app.poll_once()  # nothing new: nothing sent, nothing edited
    assert (report.dispatch.sent, report.dispatch.updated) == (0, 0)
    assert len(slack.messages(CHANNEL)) == 1


async def test_a_short_rate_limit_is_waited_out_and_loses_nothing(slack: SlackEmulator, desk: Desk) -> None:
    slack.rate_limit_next("chat.postMessage", retry_after=1)
    started = time.monotonic()
    report = await desk.app.poll_once()
    assert report.dispatch.retried == 1
    assert report.dispatch.sent == 1  # a pause of a few seconds is waited out in the same round
    assert time.monotonic() - started >= 0.95
    assert len(slack.messages(CHANNEL)) == 1
    assert len(slack.method_calls("chat.postMessage")) == 2
    [row] = desk.deliveries()
    assert row.status == "sent"


async def test_a_long_rate_limit_waits_in_the_outbox_and_loses_nothing(
    slack: SlackEmulator, desk: Desk
) -> None:
    slack.rate_limit_next("chat.postMessage", retry_after=30)
    report = await desk.app.poll_once()
    assert report.dispatch.retried == 1
    assert slack.messages(CHANNEL) == []
    [row] = desk.deliveries()
    assert row.status == "pending"
    assert row.attempts == 0  # a rate limit is not a failed attempt
    assert row.next_attempt_at is not None
    assert timedelta(seconds=25) < row.next_attempt_at - utcnow() <= timedelta(seconds=30)
    assert (await desk.app.dispatcher.dispatch_pending()).sent == 0  # not before Retry-After
    assert len(slack.method_calls("chat.postMessage")) == 1


@pytest.mark.parametrize("fault", ["channel_not_found", "is_archived", "not_in_channel"])
async def test_a_gone_channel_is_deactivated_and_recorded(
    slack: SlackEmulator, desk: Desk, fault: str
) -> None:
    {
        "channel_not_found": slack.delete_channel,
        "is_archived": slack.archive,
        "not_in_channel": slack.remove_member,
    }[fault](CHANNEL)
    report = await desk.app.poll_once()
    assert report.dispatch.dropped == 1
    chat = desk.chat()
    assert chat.active is False
    assert chat.deactivated_reason is not None
    assert fault in chat.deactivated_reason
    assert [d.status for d in desk.deliveries()] == ["dropped"]
    assert len(slack.method_calls("chat.postMessage")) == 1  # and no more tries


async def test_server_errors_are_retried_until_delivered(slack: SlackEmulator, desk: Desk) -> None:
    slack.server_error_next("chat.postMessage", status=503, times=2)
    assert (await desk.app.poll_once()).dispatch.retried == 1
    desk.make_due()
    assert (await desk.app.dispatcher.dispatch_pending()).retried == 1
    [row] = desk.deliveries()
    assert row.attempts == 2
    assert row.last_error == "Slack chat.postMessage: HTTP 503"
    desk.make_due()
    assert (await desk.app.dispatcher.dispatch_pending()).sent == 1
    assert len(slack.messages(CHANNEL)) == 1


@sqlite_only
async def test_a_revoked_token_is_retried_and_said_clearly(slack: SlackEmulator, desk: Desk) -> None:
    slack.invalid_auth = True
    assert (await desk.app.poll_once()).dispatch.retried == 1
    [row] = desk.deliveries()
    assert row.status == "pending"
    assert row.last_error is not None
    assert "invalid_auth" in row.last_error
    slack.invalid_auth = False
    desk.make_due()
    assert (await desk.app.dispatcher.dispatch_pending()).sent == 1


@sqlite_only
async def test_invalid_auth_stops_the_start_with_a_clear_error(slack: SlackEmulator, desk: Desk) -> None:
    slack.invalid_auth = True
    with pytest.raises(ConfigError, match=r"bot token was refused .*invalid_auth"):
        await start_slack(desk.settings, desk.store)


async def test_hostile_article_text_reaches_slack_inert(slack: SlackEmulator, desk: Desk) -> None:
    hostile = (
        "NATO expansion &amp;lt;!channel&amp;gt; @everyone "
        "&amp;lt;https://evil.example|click&amp;gt; &amp;amp; &amp;lt;!here&amp;gt;"
    )
    when = desk.clock.recent2.strftime("%a, %d %b %Y %H:%M:%S +0000")
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>A</title><link>http://x/</link>'
        f"<description>d</description><item><title>{hostile}</title>"
        f"<link>{desk.site.url}/a/hostile.html</link><guid>{desk.site.url}/a/hostile.html</guid>"
        f"<description>{hostile}</description><pubDate>{when}</pubDate></item></channel></rss>"
    )
    desk.site.set("/a.xml", Route(RSS, feed.encode()))
    desk.site.set("/b.xml", Route(RSS, feed.split("<item>")[0].encode() + b"</channel></rss>"))
    await desk.app.poll_once()
    messages = slack.messages(CHANNEL)
    assert len(messages) == 1
    assert messages[0].blocks[0]["text"]["text"].startswith("NATO expansion <!channel> @everyone")
    payload = json.dumps(messages[0].blocks)
    assert "@everyone" in payload  # shown as text, and text with link_names off never pings
    for text in [*mrkdwn_texts(messages[0].blocks), messages[0].text]:
        assert "<!" not in text
        assert "<https://evil" not in text
        for sequence in control_sequences(text):
            assert sequence.startswith(f"<{desk.site.url}/"), sequence


@sqlite_only
async def test_a_hanging_slack_times_out_and_is_retried(slack: SlackEmulator, desk: Desk) -> None:
    slack.server_error_next("chat.postMessage", status=503, delay=1)
    desk.app.dispatcher.channels = {"slack": SlackChannel(slack_client(desk.settings), timeout=0.3)}
    assert (await desk.app.poll_once()).dispatch.retried == 1
    [row] = desk.deliveries()
    assert row.status == "pending"
    assert row.last_error == "Slack chat.postMessage timed out after 0.3 s"
    desk.make_due()
    assert (await desk.app.dispatcher.dispatch_pending()).sent == 1
    assert len(slack.messages(CHANNEL)) == 1


@sqlite_only
async def test_an_alert_deleted_in_slack_is_not_posted_again(slack: SlackEmulator, desk: Desk) -> None:
    assert (await desk.app.poll_once()).dispatch.sent == 1
    slack.fail_next("chat.update", "message_not_found")  # someone deleted the alert
    publish(desk.site, desk.clock, wire=True)
    assert (await desk.app.poll_once()).dispatch.updated == 1
    assert len(slack.messages(CHANNEL)) == 1
    assert len(slack.method_calls("chat.postMessage")) == 1
    [row] = desk.deliveries()
    assert row.pending_update is False


@sqlite_only
async def test_a_wrong_app_token_stops_the_start_with_a_clear_error(
    slack: SlackEmulator, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-not-this-one")
    with pytest.raises(ConfigError, match=r"apps.connections.open refused the app token \(invalid_auth\)"):
        await start_slack(desk.settings, desk.store)


def test_check_config_builds_the_slack_channel_without_network(slack: SlackEmulator, tmp_path: Path) -> None:
    settings = settings_for(slack_config(slack, f"sqlite:///{tmp_path}/c.db"), tmp_path)
    channels = build_channels(settings)
    assert isinstance(channels["slack"], SlackChannel)
    assert slack.calls == []


@sqlite_only
async def test_oversized_hostile_alerts_pass_slacks_block_checks(slack: SlackEmulator, desk: Desk) -> None:
    """The emulator refuses what Slack refuses (invalid_blocks); a huge alert is trimmed to fit."""
    channel = SlackChannel(slack_client(desk.settings))
    chat = Chat(platform="slack", external_id=CHANNEL)
    sources = tuple(
        AlertSource(f"<!here> Outlet {i} " * 20, f"https://o{i}.example/" + "x" * 300, "t") for i in range(40)
    )
    alert = make_alert(title="<!channel> " * 100, summary="& <b> " * 3000, sources=sources, topic="T" * 200)
    ts = await channel.send(chat, alert)
    await channel.update(chat, alert, ts)
    [message] = slack.messages(CHANNEL)
    assert len(message.edits) == 1
    assert "&lt;!channel&gt;" in json.dumps(message.blocks)
