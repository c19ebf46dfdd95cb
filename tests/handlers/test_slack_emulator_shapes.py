"""The emulator speaks Slack's shapes: frames and payloads carry every field of the SDK's own fixtures
(``../shared/corpus/slack/slack-sdk-fixtures``), and a raw websocket client sees hello, envelopes and acks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest

from handlers.emulators.slack import SlackEmulator
from tests.handlers.slack_support import CHANNEL, USER, slack

__all__ = ["slack"]

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "slack" / "slack-sdk-fixtures"


def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"the Slack SDK fixtures are not at {CORPUS.resolve()}")
    return CORPUS


def envelopes() -> list[dict[str, Any]]:
    lines = (corpus() / "socket_mode_envelopes.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def fixture_payload(kind: str, subtype: str) -> dict[str, Any]:
    for envelope in envelopes():
        payload = envelope["payload"]
        if envelope["type"] == kind and subtype in (
            payload.get("type"),
            payload.get("event", {}).get("type"),
        ):
            return dict(payload)
    raise AssertionError(f"no {kind}/{subtype} envelope in the corpus")


def test_payload_builders_carry_every_field_slack_sends(slack: SlackEmulator) -> None:
    command = fixture_payload("slash_commands", "") if False else envelopes()[0]["payload"]
    assert set(command) <= set(slack.slash_command("help", channel=CHANNEL, user=USER))
    mention = fixture_payload("events_api", "app_mention")
    ours = slack.app_mention("help", channel=CHANNEL, user=USER)
    assert set(mention) <= set(ours)
    assert set(mention["event"]) - {"client_msg_id", "blocks"} <= set(ours["event"])
    actions = fixture_payload("interactive", "block_actions")
    pressed = slack.block_action("newswatch_story", "story:1", channel=CHANNEL, user=USER)
    assert set(actions) - {"view", "state"} <= set(pressed)


async def test_a_raw_websocket_client_sees_hello_envelopes_and_disconnect(slack: SlackEmulator) -> None:
    hello_fixture = json.loads((corpus() / "socket_mode_hello_message.json").read_text(encoding="utf-8"))
    disconnect_fixture = json.loads(
        (corpus() / "socket_mode_disconnect_message.json").read_text(encoding="utf-8")
    )
    async with httpx.AsyncClient(trust_env=False) as http:
        opened = (
            await http.post(
                slack.api_base + "apps.connections.open",
                headers={"Authorization": f"Bearer {slack.app_token}"},
            )
        ).json()
    assert opened["ok"] is True
    assert opened["url"].startswith("ws://127.0.0.1:")
    async with aiohttp.ClientSession() as session, session.ws_connect(opened["url"]) as ws:
        hello = await ws.receive_json(timeout=5)
        assert hello["type"] == "hello"
        assert set(hello_fixture) <= set(hello)
        envelope_id = slack.send_envelope(
            "slash_commands", slack.slash_command("help", channel=CHANNEL, user=USER)
        )
        envelope = await ws.receive_json(timeout=5)
        assert set(envelopes()[0]) <= set(envelope)
        assert envelope["envelope_id"] == envelope_id
        assert slack.acked(envelope_id) == 0
        assert slack.unacked() == [envelope_id]
        await ws.send_json({"envelope_id": envelope_id})
        slack.redeliver(envelope_id)
        assert (await ws.receive_json(timeout=5))["envelope_id"] == envelope_id
        slack.disconnect("too_many_websockets")
        disconnect = await ws.receive_json(timeout=5)
        assert set(disconnect_fixture) - {"num_connections", "connection_info"} <= set(disconnect)
    assert slack.acked(envelope_id) == 1
    assert slack.unacked() == []


async def test_web_api_errors_have_slacks_shape(slack: SlackEmulator) -> None:
    assert json.loads((corpus() / "web_responses" / "web_response_api_test_false.json").read_text()) == {
        "ok": False
    }
    bearer = {"Authorization": f"Bearer {slack.bot_token}"}
    async with httpx.AsyncClient(trust_env=False, base_url=slack.api_base) as http:
        slack.rate_limit_next("chat.postMessage", retry_after=7)
        limited = await http.post("chat.postMessage", json={"channel": CHANNEL, "text": "x"}, headers=bearer)
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "7"
        assert limited.json() == {"ok": False, "error": "ratelimited"}
        missing = await http.post(
            "chat.postMessage", json={"channel": "C0MISSING", "text": "x"}, headers=bearer
        )
        assert missing.json() == {"ok": False, "error": "channel_not_found"}
        unauthenticated = await http.post("auth.test")
        assert unauthenticated.json() == {"ok": False, "error": "not_authed"}
        info = await http.get("conversations.info", params={"channel": CHANNEL}, headers=bearer)
        assert info.json()["channel"]["id"] == CHANNEL


async def test_the_emulator_refuses_blocks_slack_would_refuse(slack: SlackEmulator) -> None:
    bearer = {"Authorization": f"Bearer {slack.bot_token}"}
    too_long = [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]
    too_many = [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}] * 51
    async with httpx.AsyncClient(trust_env=False, base_url=slack.api_base) as http:
        for blocks in (too_long, too_many):
            body = {"channel": CHANNEL, "text": "x", "blocks": blocks}
            answer = (await http.post("chat.postMessage", json=body, headers=bearer)).json()
            assert answer["ok"] is False
            assert answer["error"] == "invalid_blocks"
    assert slack.messages(CHANNEL) == []


async def test_users_info_and_conversations_info_carry_slacks_fields(slack: SlackEmulator) -> None:
    rtm = json.loads((corpus() / "web_responses" / "rtm.start.json").read_text(encoding="utf-8"))
    listed = json.loads(
        (corpus() / "web_responses" / "web_response_conversations_list.json").read_text(encoding="utf-8")
    )
    slack.add_user("U0OWNER", is_owner=True)
    bearer = {"Authorization": f"Bearer {slack.bot_token}"}
    async with httpx.AsyncClient(trust_env=False, base_url=slack.api_base) as http:
        user = (await http.get("users.info", params={"user": "U0OWNER"}, headers=bearer)).json()
        missing = (await http.get("users.info", params={"user": "U0NOBODY"}, headers=bearer)).json()
        channel = (await http.get("conversations.info", params={"channel": CHANNEL}, headers=bearer)).json()
    assert set(rtm["users"][0]) - {"profile"} <= set(user["user"])
    assert (user["user"]["is_owner"], user["user"]["is_admin"]) == (True, True)  # an owner is an admin
    assert missing == {"ok": False, "error": "user_not_found"}
    assert set(listed["channels"][0]) - {"num_members"} <= set(channel["channel"])
    assert channel["channel"]["creator"].startswith("U")
