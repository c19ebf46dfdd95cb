"""The chat commands end to end on Telegram, transcript style: the real python-telegram-bot against the
Bot API emulator, the service wired as ``newswatch run`` wires it, the local news site publishing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from bot.models import Article, AuditEntry, Match, Source, Story, Topic, utcnow
from bot.sample_site import LocalSite
from bot.settings import settings_from_dict
from bot.store import Store
from handlers.emulators.telegram import TelegramEmulator
from tests.bot.test_poll_once import NATO_TITLE, TOPIC, Clock, publish
from tests.databases import sqlite_only
from tests.handlers.telegram_support import say as say_in
from tests.handlers.telegram_support import service, telegram, telegram_section, wait_until

__all__ = ["telegram"]

ADMIN, MEMBER, GROUP_ADMIN = 42, 7, 9
DIRECT = 7  # the member's private chat with the bot
GROUP = -1009876543210


@sqlite_only
async def test_subscribe_in_chat_then_one_alert_group_admins_and_admin_topics(
    news_site: LocalSite,
    telegram: TelegramEmulator,
    tmp_path: Path,
    database_url: str,
) -> None:
    settings = settings_from_dict(
        {
            "storage": {"url": database_url},
            "network": {"allow_private": ["127.0.0.1"], "timeout": "5s"},
            "sources": [{"name": "Northern Courier", "url": news_site.url + "/a.xml"}],
            "topics": [{"name": TOPIC, "query": "NATO expansion"}],
            "telegram": telegram_section(telegram, [ADMIN]),
        },
        tmp_path,
    )
    telegram.make_admin(GROUP, GROUP_ADMIN)

    async def say(chat: int, text: str, user: int) -> str:
        return await say_in(telegram, chat, text, user)

    async with service(settings) as desk:
        store, app = desk.store, desk.app
        registered = {c["command"] for c in telegram.commands}
        assert {"subscribe", "unsubscribe", "mute", "settings", "why", "topics"} <= registered
        assert not {"topic", "source", "stats", "audit"} & registered  # admin commands are not advertised

        # a member subscribes their private chat; a member of a group may not subscribe the group
        assert (
            await say(DIRECT, f"/subscribe {TOPIC}", MEMBER) == f"Subscribed this chat to {TOPIC} (instant)."
        )
        refused = await say(GROUP, f"/subscribe {TOPIC}", MEMBER)
        assert "administrators only; nothing was changed" in refused
        # the group's own administrator may, but may not add a topic
        assert (
            await say(GROUP, f"/subscribe {TOPIC}", GROUP_ADMIN)
            == f"Subscribed this chat to {TOPIC} (instant)."
        )
        assert "for admins only" in await say(GROUP, "/topic add Harbour = harbour", GROUP_ADMIN)
        assert "getChatAdministrators" in telegram.calls

        # the news site publishes: exactly one alert in each subscribed chat
        clock = Clock(datetime.now(UTC).replace(microsecond=0))
        publish(news_site, clock)
        report = await app.poll_once()
        assert report.dispatch.sent == 2
        assert [NATO_TITLE in m.text for m in telegram.transcript(DIRECT)[-1:]] == [True]
        assert sum(NATO_TITLE in m.text for m in telegram.transcript(GROUP)) == 1

        # an admin tries a query, adds it as a topic and adds a source, all in chat; a member subscribes
        # and mutes it; the running service uses them at the next poll, without a restart
        assert "ferry would have matched 0 of 3 articles" in await say(ADMIN, "/topic test ferry", ADMIN)
        error = await say(ADMIN, "/topic test ferry AND (", ADMIN)
        assert error == (
            "That query does not parse: unbalanced parenthesis at column 11 (close it with ))\n"
            "  ferry AND (\n"
            "            ^"
        )
        added = await say(ADMIN, "/topic add Ferries = ferry OR ferries", ADMIN)
        assert added.startswith("Added topic Ferries")
        assert await say(ADMIN, "/subscribe ferries", ADMIN) == "Subscribed this chat to Ferries (instant)."
        assert await say(DIRECT, "/subscribe Ferries", MEMBER) == "Subscribed this chat to Ferries (instant)."
        assert (await say(DIRECT, "/mute Ferries 2h", MEMBER)).startswith("Muted Ferries here for 2h")
        assert "Ferries: instant, muted until" in await say(DIRECT, "/settings", MEMBER)
        source = await say(ADMIN, f"/source add {news_site.url}/b.xml every 15m", ADMIN)
        assert "polled every 15m" in source, source
        direct_before = len(telegram.transcript(DIRECT))
        report = await app.poll_once()
        assert report.dispatch.sent == 1
        assert "Harbour ferry timetable" in telegram.transcript(ADMIN)[-1].text
        assert len(telegram.transcript(DIRECT)) == direct_before  # muted there
        with store.session() as session:
            assert session.exec(select(Topic).where(Topic.name == "Ferries")).one().origin == "chat"

        # a non-admin is refused and nothing is written to the audit log
        with store.session() as session:
            audited = len(session.exec(select(AuditEntry)).all())
        assert "for admins only" in await say(DIRECT, "/topic remove Ferries", MEMBER)
        with store.session() as session:
            assert len(session.exec(select(AuditEntry)).all()) == audited
            actions = {(e.actor, e.action) for e in session.exec(select(AuditEntry))}
        assert (f"telegram:{ADMIN}", "topic add") in actions
        assert (f"telegram:{ADMIN}", "source add") in actions
        assert (f"telegram:{MEMBER}", "mute") in actions
        assert (f"telegram:{GROUP_ADMIN}", "subscribe") in actions
        assert "Unknown command /lates. Did you mean /latest?" in await say(DIRECT, "/lates", MEMBER)
        assert "There is no topic 'feries'. Did you mean 'Ferries'?" in await say(
            DIRECT, "/unsubscribe feries", MEMBER
        )


@sqlite_only
async def test_search_and_latest_page_with_the_more_button(
    telegram: TelegramEmulator, tmp_path: Path, database_url: str
) -> None:
    settings = settings_from_dict(
        {
            "storage": {"url": database_url},
            "topics": [{"name": "Grain", "query": "grain"}],
            "telegram": telegram_section(telegram, [ADMIN]),
        },
        tmp_path,
    )
    async with service(settings) as desk:
        seed_grain_stories(desk.store)
        await page_with_more(telegram)


def seed_grain_stories(store: Store) -> None:
    """Eight stories on grain, one an hour back, each matched to the Grain topic."""
    with store.session() as session:
        session.add(Source(id=1, name="Wire", url="https://wire.example/feed"))
        for n in range(8):
            story = Story(title=f"Grain exports {n}", title_key=f"k{n}", url=f"https://wire.example/{n}")
            session.add(story)
            session.flush()
            article = Article(
                source_id=1,
                story_id=story.id,
                url=f"https://wire.example/{n}",
                title=f"Grain exports {n}",
                text="Grain exports rose as the harbour reopened.",
                content_hash=f"h{n}",
                published_at=utcnow() - timedelta(hours=n),
            )
            session.add(article)
            session.flush()
            assert article.id is not None
            assert story.id is not None
            topic = session.exec(select(Topic)).one()
            assert topic.id is not None
            when = utcnow() - timedelta(hours=n)
            session.add(Match(article_id=article.id, topic_id=topic.id, story_id=story.id, matched_at=when))


async def page_with_more(telegram: TelegramEmulator) -> None:
    """/search and /latest show a page with More; pressing it shows the next page, not the first again."""
    for command, first in (
        ('/search "grain exports"', "Results 1–5 of 8"),
        ("/latest 5", "Latest stories"),
    ):
        before = len(telegram.transcript(DIRECT))
        telegram.user_says(DIRECT, command, user_id=MEMBER)
        await wait_until(lambda b=before: len(telegram.transcript(DIRECT)) == b + 1)
        page = telegram.transcript(DIRECT)[-1]
        assert page.text.startswith(first)
        [[more]] = page.buttons
        assert more["text"] == "More"
        telegram.press(DIRECT, page.message_id, more["callback_data"], user_id=MEMBER)
        await wait_until(lambda b=before: len(telegram.transcript(DIRECT)) == b + 2)
        second = telegram.transcript(DIRECT)[-1].text
        shown = [
            {f"Grain exports {n}" for n in range(8) if f"Grain exports {n} " in t}
            for t in (page.text, second)
        ]
        assert len(shown[0]) == 5
        assert shown[0].isdisjoint(shown[1])  # the next page, not the first again
        assert len(shown[1]) >= 2
