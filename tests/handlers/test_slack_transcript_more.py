"""More chat commands end to end on Slack (``/news …`` over Socket Mode), in one running session:
``/why``, ``/source list|add|remove``, ``/unsubscribe``, and who administers a channel: its creator and
the workspace's admins may change what it receives, a plain member may not, and only global admins touch
topics and sources."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select

from bot.models import AuditEntry, Story, Subscription
from bot.sample_site import LocalSite
from bot.store import Store
from handlers.emulators.slack import SlackEmulator
from handlers.slack import RunningSlack
from tests.bot.test_poll_once import NATO_TITLE, TOPIC, Clock, feed
from tests.handlers.slack_support import ADMIN, CHANNEL, USER, eventually, slack
from tests.handlers.test_slack_socket_mode import running

__all__ = ["running", "slack"]

CREATOR = "U0CREATOR"
WORKSPACE_ADMIN = "U0WSADMIN"


def _audit(store: Store) -> list[tuple[str, str]]:
    with store.session() as session:
        return [(e.actor, e.action) for e in session.exec(select(AuditEntry).order_by(col(AuditEntry.id)))]


def _subscribed(store: Store) -> bool:
    with store.session() as session:
        return bool(session.exec(select(Subscription)).one().active)


async def test_why_sources_unsubscribe_and_the_channels_own_administrators(
    slack: SlackEmulator, running: tuple[RunningSlack, Store], news_site: LocalSite
) -> None:
    _, store = running
    slack.add_channel(CHANNEL, "news-desk", creator=CREATOR)
    slack.add_user(USER)
    slack.add_user(CREATOR)
    slack.add_user(WORKSPACE_ADMIN, is_admin=True)

    async def news(text: str, user: str) -> str:
        before = len(slack.ephemerals(CHANNEL))
        envelope = slack.send_envelope(
            "slash_commands", slack.slash_command(text, channel=CHANNEL, user=user)
        )
        await eventually(lambda: slack.acked(envelope), what="the ack")
        replies = await eventually(lambda: slack.ephemerals(CHANNEL)[before:], what="the reply")
        return str(replies[-1].text)

    with store.session() as session:
        story = session.exec(select(Story).where(Story.title == NATO_TITLE)).one().id
    why = await news(f"why {story} {TOPIC}", USER)
    assert why.startswith(f"Why story {story} matched {TOPIC} (NATO expansion):"), why
    assert "terms: nato, expansion" in why
    assert "title: …" in why
    assert "«NATO» expansion" in why
    assert (await news(f"why {story} Ferries", USER)).startswith("There is no topic 'Ferries'.")

    # a plain member may not change what the channel receives: refused, nothing changed, nothing audited
    refused = await news(f"unsubscribe {TOPIC}", USER)
    assert "/unsubscribe is for this channel's administrators only; nothing was changed" in refused
    assert _subscribed(store)
    assert _audit(store) == []
    # the channel's creator may; a workspace admin may; neither may touch topics or sources
    assert await news(f"unsubscribe {TOPIC}", CREATOR) == f"Unsubscribed this chat from {TOPIC}."
    assert not _subscribed(store)
    assert (
        await news(f"subscribe {TOPIC} hourly", WORKSPACE_ADMIN)
        == f"Subscribed this chat to {TOPIC} (hourly)."
    )
    assert "for admins only" in await news("topic add Ferries = ferry", CREATOR)
    assert "for admins only" in await news("source list", WORKSPACE_ADMIN)
    assert len(slack.method_calls("conversations.info")) == 1  # the creator is cached, not asked again

    # sources: listed with their health; one added in chat is removed in chat, a config one is not
    listed = await news("source list", ADMIN)
    assert listed.startswith("Sources (2):")
    assert "Northern Courier [ok, every" in listed
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    news_site.set("/c.xml", feed(news_site, clock, "outlet-b.xml"))
    added = await news(f"source add {news_site.url}/c.xml", ADMIN)
    assert added.startswith("Added "), added
    name = added.removeprefix("Added ").split(",")[0].split(" (")[0]
    assert f"{name} [" in await news("source list", ADMIN)
    assert (
        await news("source remove Northern Courier", ADMIN)
        == "'Northern Courier' comes from the config file; remove it there"
    )
    assert (await news(f"source remove {name}", ADMIN)).startswith(f"Removed {name!r}")
    after = await news("source list", ADMIN)
    assert after.startswith("Sources (2):")
    assert f"{name} [" not in after
    assert _audit(store) == [
        (f"slack:{CREATOR}", "unsubscribe"),
        (f"slack:{WORKSPACE_ADMIN}", "subscribe"),
        (f"slack:{ADMIN}", "source add"),
        (f"slack:{ADMIN}", "source remove"),
    ]
