"""``answer_button``: the platform-neutral answer to alert buttons, and the Slack channel's config checks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import Newswatch
from bot.catalog import sync_config
from bot.sample_site import LocalSite
from bot.settings import settings_from_dict
from bot.store import Store
from handlers.buttons import answer_button
from handlers.channels import build_channels
from handlers.commands import CommandContext
from handlers.emulators.slack import SlackEmulator
from handlers.render import Reply
from handlers.slack import answer, delivery_key
from tests.bot.test_poll_once import NATO_TITLE, Clock, publish
from tests.handlers.slack_support import CHANNEL, USER, settings_for, slack, slack_config
from watchers.errors import ConfigError

__all__ = ["slack"]


async def test_buttons_answer_from_the_store(
    slack: SlackEmulator, news_site: LocalSite, tmp_path: Path
) -> None:
    publish(news_site, Clock(datetime.now(UTC).replace(microsecond=0)))
    settings = settings_for(
        slack_config(slack, f"sqlite:///{tmp_path}/b.db", [("Northern Courier", news_site.url + "/a.xml")]),
        tmp_path,
    )
    store = Store.open(settings.database_url())
    try:
        sync_config(store, settings)
        app = Newswatch(settings, store, build_channels(settings))
        await app.poll_once()
        await app.aclose()

        def button_reply(store: Store, chat: str, user: str, action: str, value: str) -> Reply:
            return answer_button(CommandContext(store, user, chat, platform="slack"), action, value)

        story = button_reply(store, CHANNEL, USER, "story", "1")
        assert not story.error
        assert "Sources:" in story.text
        similar = button_reply(store, CHANNEL, USER, "similar", "1")
        assert similar.text == "More like story 1:"
        assert NATO_TITLE not in [i.title for i in similar.items if i.story_id == 1]
        assert all(i.story_id != 1 for i in similar.items)
        assert button_reply(store, CHANNEL, USER, "similar", "999").error
        assert button_reply(store, CHANNEL, USER, "similar", "x'; drop").error
        assert button_reply(store, CHANNEL, USER, "story", "999").error
        assert button_reply(store, CHANNEL, USER, "explode", "1").error
        assert button_reply(store, CHANNEL, USER, "mute", "").error
    finally:
        store.close()


def test_delivery_keys_prefer_the_event_id() -> None:
    assert delivery_key({"event_id": "Ev1", "trigger_id": "t"}) == "event:Ev1"
    assert delivery_key({"trigger_id": "t"}) == "trigger:t"
    assert delivery_key({"type": "view_closed"}) is None


def test_a_slack_channel_needs_the_slack_section(tmp_path: Path) -> None:
    data = {
        "channels": [{"name": "desk", "kind": "slack", "channel": "C1"}],
    }
    with pytest.raises(ConfigError, match=r"\[slack\] section"):
        build_channels(settings_from_dict(data, tmp_path))


async def test_a_crashing_command_is_answered_with_an_apology(caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> Reply:
        raise RuntimeError("database went away")

    text, blocks = await answer(broken)
    assert text.startswith("Sorry, that failed on our side")
    assert blocks[0]["type"] == "section"
    assert "slack_command_crashed" in caplog.text
