"""More chat commands end to end on Telegram, in one running session: ``/why``, ``/unsubscribe`` and
``/source list|add|remove``, through the real python-telegram-bot against the Bot API emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.models import AuditEntry, Story, Subscription
from bot.sample_site import LocalSite
from bot.settings import settings_from_dict
from bot.store import Store
from handlers.emulators.telegram import DEFAULT_TOKEN, TelegramEmulator
from tests.bot.test_poll_once import NATO_TITLE, TOPIC, Clock, feed, publish
from tests.handlers.telegram_support import TOKEN_ENV, say, service, telegram_section

ADMIN, MEMBER = 42, 7  # a private chat's id is its user's id


@pytest.fixture
async def session(
    news_site: LocalSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[TelegramEmulator, Store]]:
    """The bot answering on SQLite after one poll of the news site; the emulator's flood limits are off
    (they are tested elsewhere), so a dozen replies in one chat do not take a dozen seconds."""
    publish(news_site, Clock(datetime.now(UTC).replace(microsecond=0)))
    monkeypatch.setenv(TOKEN_ENV, DEFAULT_TOKEN)
    with TelegramEmulator(limits=None) as telegram:
        settings = settings_from_dict(
            {
                "storage": {"url": f"sqlite:///{tmp_path}/t.db"},
                "network": {"allow_private": ["127.0.0.1"], "timeout": "5s", "fetch_pages": False},
                "sources": [{"name": "Northern Courier", "url": news_site.url + "/a.xml"}],
                "topics": [{"name": TOPIC, "query": "NATO expansion"}],
                "telegram": telegram_section(telegram, [ADMIN]),
            },
            tmp_path,
        )
        async with service(settings) as desk:
            await desk.app.poll_once()
            yield telegram, desk.store


async def test_why_unsubscribe_and_sources_in_one_session(
    session: tuple[TelegramEmulator, Store], news_site: LocalSite
) -> None:
    telegram, store = session

    async def said(user: int, text: str) -> str:  # in the user's private chat with the bot
        return await say(telegram, user, text, user)

    with store.session() as db:
        story = db.exec(select(Story).where(Story.title == NATO_TITLE)).one().id
    assert story is not None
    why = await said(MEMBER, f"/why {story} {TOPIC}")
    assert why.startswith(f"Why story {story} matched {TOPIC} (NATO expansion):"), why
    assert "terms: nato, expansion" in why
    assert "«NATO» expansion" in why
    assert (await said(MEMBER, f"/why {story + 1000} {TOPIC}")) == f"There is no story {story + 1000}."

    assert await said(MEMBER, f"/subscribe {TOPIC}") == f"Subscribed this chat to {TOPIC} (instant)."
    assert await said(MEMBER, f"/unsubscribe {TOPIC}") == f"Unsubscribed this chat from {TOPIC}."
    assert "subscriptions: none" in await said(MEMBER, "/settings")
    with store.session() as db:
        assert [s.active for s in db.exec(select(Subscription))] == [False]

    listed = await said(ADMIN, "/source list")
    assert listed.startswith("Sources (1):")
    assert "Northern Courier [ok, every" in listed
    news_site.set("/c.xml", feed(news_site, Clock(datetime.now(UTC).replace(microsecond=0)), "outlet-b.xml"))
    added = await said(ADMIN, f"/source add {news_site.url}/c.xml")
    assert added.startswith("Added "), added
    name = added.removeprefix("Added ").split(",")[0].split(" (")[0]
    assert "for admins only; nothing was changed" in await said(MEMBER, f"/source remove {name}")
    assert "for admins only" in await said(MEMBER, "/source list")
    assert f"{name} [ok" in await said(ADMIN, "/source list")
    assert (
        await said(ADMIN, "/source remove Northern Courier")
        == "'Northern Courier' comes from the config file; remove it there"
    )
    assert (await said(ADMIN, f"/source remove {name}")).startswith(f"Removed {name!r}")
    after = await said(ADMIN, "/source list")
    assert after.startswith("Sources (1):")
    assert name not in after
    with store.session() as db:
        actions = [(e.actor, e.action) for e in db.exec(select(AuditEntry).order_by(col(AuditEntry.id)))]
    assert actions == [
        (f"telegram:{MEMBER}", "subscribe"),
        (f"telegram:{MEMBER}", "unsubscribe"),
        (f"telegram:{ADMIN}", "source add"),
        (f"telegram:{ADMIN}", "source remove"),
    ]
