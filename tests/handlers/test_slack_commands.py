"""The chat commands end to end on Slack (``/news …`` over Socket Mode), transcript style."""

from __future__ import annotations

import time

from sqlmodel import select

from bot.models import AuditEntry, Subscription
from bot.store import Store
from handlers.emulators.slack import SlackEmulator
from handlers.slack import RunningSlack
from tests.handlers.slack_support import ADMIN, CHANNEL, USER, eventually, slack
from tests.handlers.test_slack_socket_mode import running

__all__ = ["running", "slack"]


async def test_admins_manage_topics_and_channel_subscriptions_others_are_refused(
    slack: SlackEmulator, running: tuple[RunningSlack, Store]
) -> None:
    _, store = running

    async def news(text: str, user: str) -> str:
        before = len(slack.ephemerals(CHANNEL))
        sent = time.monotonic()
        envelope = slack.send_envelope(
            "slash_commands", slack.slash_command(text, channel=CHANNEL, user=user)
        )
        await eventually(lambda: slack.acked(envelope), what="the ack")
        assert time.monotonic() - sent < 3.0  # acknowledged first, the work done lazily
        replies = await eventually(lambda: slack.ephemerals(CHANNEL)[before:], what="the reply")
        return str(replies[-1].text)

    assert "for admins only; nothing was changed" in await news("topic add Ferries = ferry", USER)
    assert "administrators only; nothing was changed" in await news("subscribe NATO expansion hourly", USER)
    with store.session() as session:
        assert session.exec(select(AuditEntry)).all() == []
    assert (await news("topic test ferry", ADMIN)).startswith("ferry would have matched 1 of")
    assert (await news("topic add Ferries = ferry", ADMIN)).startswith("Added topic Ferries")
    assert (
        await news("subscribe Ferries digest 08:00", ADMIN)
        == "Subscribed this chat to Ferries (digest 08:00)."
    )
    assert "✓ Ferries" in await news("topics", USER)
    assert "Ferries: digest 08:00" in await news("settings", ADMIN)
    assert "Unknown command /subscrib. Did you mean /subscribe?" in await news("subscrib Ferries", USER)
    with store.session() as session:
        assert {s.origin for s in session.exec(select(Subscription))} == {"config", "chat"}
        actions = [(e.actor, e.action) for e in session.exec(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == [(f"slack:{ADMIN}", "topic add"), (f"slack:{ADMIN}", "subscribe")]
