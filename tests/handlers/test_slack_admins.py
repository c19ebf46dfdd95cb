"""A Slack channel's own administrators, asked of the emulator's Web API: the answers are cached for a
while, and a failed lookup refuses without being remembered."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from handlers.emulators.slack import SlackEmulator
from handlers.slack_admins import ChannelAdmins
from tests.handlers.slack_support import CHANNEL, USER, slack

__all__ = ["slack"]

CREATOR, OWNER = "U0CREATOR", "U0OWNER"


def _admins(slack: SlackEmulator, ttl: float = 300) -> ChannelAdmins:
    return ChannelAdmins(AsyncWebClient(token=slack.bot_token, base_url=slack.api_base), ttl=ttl)


async def test_the_creator_and_workspace_owners_administer_a_channel_members_do_not(
    slack: SlackEmulator,
) -> None:
    slack.add_channel(CHANNEL, "news-desk", creator=CREATOR)
    slack.add_channel("C0OTHER", "other")
    for user in (USER, CREATOR):
        slack.add_user(user)
    slack.add_user(OWNER, is_owner=True)
    admins = _admins(slack)
    assert await admins.is_admin(CHANNEL, CREATOR)
    assert not await admins.is_admin("C0OTHER", CREATOR)  # another channel's creator is not
    assert await admins.is_admin("C0OTHER", OWNER)
    assert not await admins.is_admin(CHANNEL, USER)
    assert not await admins.is_admin(CHANNEL, "U0STRANGER")  # user_not_found: not an admin
    for _ in range(3):
        assert await admins.is_admin(CHANNEL, CREATOR)
    assert [c["user"] for c in slack.method_calls("users.info")].count(CREATOR) == 1
    assert [c["channel"] for c in slack.method_calls("conversations.info")] == [CHANNEL, "C0OTHER"]


async def test_a_failed_lookup_refuses_and_is_asked_again(slack: SlackEmulator) -> None:
    slack.add_channel(CHANNEL, "news-desk", creator=CREATOR)
    slack.add_user(OWNER, is_owner=True)
    admins = _admins(slack)
    slack.fail_next("users.info", "internal_error")
    assert not await admins.is_admin(CHANNEL, OWNER)
    assert await admins.is_admin(CHANNEL, OWNER)
    admins = _admins(slack)  # the first lookup above learnt the creator; start afresh
    slack.server_error_next("conversations.info", status=503)
    assert not await admins.is_admin(CHANNEL, CREATOR)
    assert await admins.is_admin(CHANNEL, CREATOR)


async def test_answers_expire_after_the_ttl(slack: SlackEmulator) -> None:
    slack.add_channel(CHANNEL, "news-desk", creator=CREATOR)
    admins = _admins(slack, ttl=0)
    assert await admins.is_admin(CHANNEL, CREATOR)
    slack.add_channel(CHANNEL, "news-desk", creator="U0SOMEONEELSE")  # the channel changed hands
    assert not await admins.is_admin(CHANNEL, CREATOR)
