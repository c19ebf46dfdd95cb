"""The chat commands through ``run_command`` on both databases: what they store, refuse and audit."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.catalog import sync_config
from bot.models import Article, AuditEntry, Chat, Match, Source, Story, Subscription, Topic, utcnow
from bot.settings import Settings, settings_from_dict
from bot.store import Store
from handlers.buttons import run_button
from handlers.commands import COMMANDS, CommandContext, run_command
from handlers.flood import FloodGate

TOPIC = "Grain exports"


def _settings(tmp_path: Path, database_url: str) -> Settings:
    return settings_from_dict(
        {
            "storage": {"url": database_url},
            "topics": [{"name": TOPIC, "query": "grain exports"}, {"name": "Harbour", "query": "harbour"}],
            "channels": [{"name": "desk", "kind": "telegram", "chat_id": -100200}],
            "subscriptions": [{"channel": "desk", "topic": TOPIC}],
        },
        tmp_path,
    )


@pytest.fixture
def admin(tmp_path: Path, database_url: str) -> Iterator[CommandContext]:
    settings = _settings(tmp_path, database_url)
    store = Store.open(settings.database_url())
    sync_config(store, settings)
    yield CommandContext(
        store=store, user="42", chat="555", is_admin=True, platform="telegram", settings=settings
    )
    store.close()


def _user(ctx: CommandContext, **changes: object) -> CommandContext:
    return replace(ctx, is_admin=False, user="7", **changes)  # type: ignore[arg-type]


def _audit(ctx: CommandContext) -> list[tuple[str, str, str]]:
    with ctx.store.session() as session:
        return [
            (e.actor, e.action, e.subject) for e in session.exec(select(AuditEntry).order_by(AuditEntry.id))
        ]


def _ok(ctx: CommandContext, line: str) -> str:
    reply = run_command(ctx, line)
    assert not reply.error, reply.text
    return reply.text


def _error(ctx: CommandContext, line: str) -> str:
    reply = run_command(ctx, line)
    assert reply.error, reply.text
    return reply.text


def test_subscribe_marks_topics_survives_a_config_sync_and_unsubscribes(admin: CommandContext) -> None:
    me = _user(admin)  # a direct chat: anyone manages their own subscriptions
    assert (
        _ok(me, "/subscribe grain exports digest 08:00")
        == "Subscribed this chat to Grain exports (digest 08:00)."
    )
    assert "✓ Grain exports" in _ok(me, "/topics")
    assert "· Harbour" in _ok(me, "/topics")
    assert admin.settings is not None
    sync_config(admin.store, admin.settings)  # a restart: the chat's subscription stays as it is
    with admin.store.session() as session:
        chat = session.exec(select(Chat).where(Chat.external_id == "555")).one()
        sub = session.exec(select(Subscription).where(Subscription.chat_id == chat.id)).one()
        assert (sub.origin, sub.mode, sub.active) == ("chat", "digest 08:00", True)
    assert "already follows" in _ok(me, "/subscribe Grain exports digest 08:00")
    assert _ok(me, "/unsubscribe Grain exports") == "Unsubscribed this chat from Grain exports."
    assert "✓" not in _ok(me, "/topics").split("\n", 1)[1]
    assert _error(me, "/unsubscribe Grain exports") == "This chat is not subscribed to 'Grain exports'."
    assert [a[1] for a in _audit(admin)] == ["subscribe", "unsubscribe"]
    assert _audit(admin)[0][0] == "telegram:7"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/subscribe", "Usage: /subscribe TOPIC"),
        ("/subscribe Grain export", "There is no topic 'Grain export'. Did you mean 'Grain exports'?"),
        ("/subscribe Grain exports digest", "digest needs a time"),
        ("/subscribe Grain exports digest 25:00", "is not a delivery mode"),
        ("/mute Grain exports", "Usage: /mute TOPIC DURATION"),
        ("/mute Grain exports soon", "'soon' is not a duration"),
        ("/settings timezone Europe/Berlni", "Did you mean Europe/Berlin?"),
        ("/settings quiet 22:00", "is not quiet hours like 22:00-07:00"),
        ("/settings colour blue", "There is no setting 'colour'"),
        ("/settings digest 08:00", "no digest subscriptions"),
        ("/why 1", "Usage: /why ID TOPIC"),
        ("/why 99 Grain exports", "There is no story 99."),
        ("/subscrbe Grain", "Did you mean /subscribe?"),
        ("/topic add Grain = grain AND (", "column"),
        ("/topic add Nameless", "Usage: /topic add NAME = QUERY"),
        ("/topic launch x", "Usage: /topic add NAME = QUERY"),
        ("/source", "Usage: /source add URL"),
        ("/source pause Nowhere", "There is no source 'Nowhere'."),
    ],
)
def test_bad_input_is_explained_and_changes_nothing(admin: CommandContext, line: str, expected: str) -> None:
    assert expected in _error(admin, line)
    assert _audit(admin) == []


def test_mute_and_settings_round_trip(admin: CommandContext) -> None:
    me = _user(admin)
    _ok(me, "/subscribe Grain exports")
    assert _ok(me, "/settings timezone Europe/Berlin") == "Time zone set to Europe/Berlin."
    assert _ok(me, "/settings quiet 22:00-07:00") == "Quiet hours 22:00-07:00 (Europe/Berlin)."
    muted = _ok(me, "/mute grain exports 2h")
    assert muted.startswith("Muted Grain exports here for 2h, until ")
    assert muted.endswith(("CET.", "CEST."))
    shown = _ok(me, "/settings")
    assert "time zone: Europe/Berlin" in shown
    assert "quiet hours: 22:00-07:00" in shown
    assert "Grain exports: instant, muted until" in shown
    with admin.store.session() as session:
        chat = session.exec(select(Chat).where(Chat.external_id == "555")).one()
        sub = session.exec(select(Subscription).where(Subscription.chat_id == chat.id)).one()
        assert sub.muted_until is not None
        assert timedelta(minutes=119) < sub.muted_until - utcnow() <= timedelta(hours=2)
        assert (chat.timezone, chat.quiet_hours) == ("Europe/Berlin", "22:00-07:00")
    _ok(me, "/subscribe Harbour digest 08:00")
    assert _ok(me, "/settings digest 07:30") == "Digests now at 07:30 (1 subscription)."
    assert "Harbour: digest 07:30" in _ok(me, "/settings")
    assert _ok(me, "/settings quiet off") == "Quiet hours off."


def test_groups_the_group_admin_manages_subscriptions_but_not_topics(admin: CommandContext) -> None:
    member = _user(admin, chat="-100200", is_group=True)
    assert "is for this group's administrators only; nothing was changed" in _error(
        member, "/subscribe Harbour"
    )
    assert "/subscribe" not in _ok(member, "/help")
    group_admin = replace(member, is_chat_admin=True)
    assert "/subscribe" in _ok(group_admin, "/help")
    assert "/topic add" not in _ok(group_admin, "/help")
    assert _ok(group_admin, "/subscribe Harbour hourly") == "Subscribed this chat to Harbour (hourly)."
    refused = _error(group_admin, "/topic add Wheat = wheat")
    assert refused == "Sorry, /topic is for admins only; nothing was changed."
    assert _error(member, "/source pause anything").startswith("Sorry, /source is for admins only")
    with admin.store.session() as session:
        assert session.exec(select(Topic).where(Topic.name == "Wheat")).first() is None
    assert [a[1] for a in _audit(admin)] == ["subscribe"]
    assert _ok(member, "/mute Harbour 1h").startswith("Muted Harbour here")  # mute is for everyone


def test_admin_adds_edits_tests_and_removes_a_topic(admin: CommandContext) -> None:
    _archive(admin)
    added = _ok(admin, '/topic add Wheat = wheat OR "grain exports"')
    assert added.startswith('Added topic Wheat: wheat OR "grain exports".')
    with admin.store.session() as session:
        row = session.exec(select(Topic).where(Topic.name == "Wheat")).one()
        assert (row.origin, row.enabled) == ("chat", True)
    assert "A topic 'Wheat' exists already" in _error(admin, "/topic add wheat = rye")
    assert _ok(admin, "/topic edit Wheat = wheat").startswith(
        'Changed Wheat: wheat OR "grain exports" → wheat'
    )
    tested = run_command(admin, "/topic test grain exports")
    assert tested.text.startswith("grain exports would have matched 2 of 3 articles stored in the last 7d")
    assert {i.title for i in tested.items} == {"Grain exports rise", "Grain exports fall"}
    error = _error(admin, "/topic test grain AND (wheat")
    lines = error.split("\n")
    assert "column" in lines[0]
    assert lines[1] == "  grain AND (wheat"
    assert lines[2].index("^") - 2 + 1 > 0
    assert (
        _error(admin, "/topic remove Grain exports")
        == "'Grain exports' comes from the config file; remove it there."
    )
    assert _ok(admin, "/topic remove wheat") == "Removed topic 'Wheat'."
    assert [a[1:] for a in _audit(admin)] == [
        ("topic add", "Wheat"),
        ("topic edit", "Wheat"),
        ("topic remove", "Wheat"),
    ]
    assert "telegram:42  topic remove Wheat" in _ok(admin, "/audit")


def test_why_shows_the_matched_terms_in_place(admin: CommandContext) -> None:
    story_id = _archive(admin)
    why = _ok(admin, f"/why {story_id} grain exports")
    assert why.startswith(f"Why story {story_id} matched Grain exports (grain exports):")
    assert "terms: grain, exports" in why
    assert "title: …«Grain» exports rise…" in why or "title: …«Grain exports» rise…" in why
    assert "Story" in _error(admin, f"/why {story_id} Harbour")


def test_stats_sources_and_pausing(admin: CommandContext) -> None:
    _archive(admin)
    stats = _ok(admin, "/stats")
    assert "articles: 3; stories: 3" in stats
    assert "sources: 1 (0 paused, 0 failing)" in stats
    assert "Wire [ok, every 10m, 3 articles, config]" in _ok(admin, "/source list")
    assert _ok(admin, "/source pause wire") == "Paused Wire."
    assert "Wire [paused" in _ok(admin, "/source list")
    assert _ok(admin, "/source resume Wire") == "Resumed Wire."
    assert [a[1] for a in _audit(admin)] == ["source pause", "source resume"]
    assert "Admins" in _ok(admin, "/admins")


def test_the_mute_button_mutes_in_the_chat_where_it_was_pressed(admin: CommandContext) -> None:
    group = _user(admin, chat="-100200", is_group=True)  # the config subscribes this group
    reply = run_button(group, f"mute:{TOPIC}")
    assert reply.text.startswith(f"Muted {TOPIC} in this chat until"), reply.text
    assert run_button(_user(admin), f"mute:{TOPIC}").error  # not subscribed in the direct chat
    with admin.store.session() as session:
        [sub] = session.exec(select(Subscription)).all()
        assert sub.muted_until is not None


def test_flooding_and_over_long_input_are_limited(admin: CommandContext) -> None:
    now = [0.0]
    me = _user(admin, flood=FloodGate(limit=10, window=30.0, clock=lambda: now[0]))
    for _ in range(10):
        _ok(me, "/help")
    assert _error(me, "/help") == "Too many commands; please wait 30 s and try again."
    assert not run_command(replace(me, user="8"), "/help").error  # another user is not held up
    now[0] = 30.5
    _ok(me, "/help")
    assert "too long" in _error(admin, "/search " + "x" * 1000)


def test_every_command_has_usage_help_and_an_example() -> None:
    for spec in COMMANDS.values():
        assert spec.usage.startswith("/" + spec.name)
        assert spec.help
        assert spec.example.startswith("/" + spec.name)
    assert {
        "start",
        "help",
        "topics",
        "subscribe",
        "unsubscribe",
        "mute",
        "settings",
        "latest",
        "search",
    } <= set(COMMANDS)
    assert {"story", "why", "topic", "source", "admins", "stats", "audit"} <= set(COMMANDS)


def _archive(ctx: CommandContext) -> int:
    """Three stored articles, two about grain exports (one matched and recorded); the matched story's id."""
    with ctx.store.session() as session:
        source = session.exec(select(Source)).first() or Source(name="Wire", url="https://wire.example/feed")
        source.name = "Wire"
        session.add(source)
        session.flush()
        topic = session.exec(select(Topic).where(Topic.name == TOPIC)).one()
        ids = []
        for n, title in enumerate(["Grain exports rise", "Grain exports fall", "Harbour quiet"]):
            story = Story(title=title, title_key=f"k{n}", url=f"https://wire.example/{n}")
            session.add(story)
            session.flush()
            article = Article(
                source_id=source.id,  # type: ignore[arg-type]
                story_id=story.id,
                url=f"https://wire.example/{n}",
                title=title,
                text="The harbour reopened on Monday.",
                content_hash=f"h{n}",
                published_at=utcnow(),
                fetched_at=utcnow(),
            )
            session.add(article)
            session.flush()
            ids.append((story.id, article.id))
        story_id, article_id = ids[0]
        session.add(
            Match(
                article_id=article_id,  # type: ignore[arg-type]
                topic_id=topic.id,  # type: ignore[arg-type]
                story_id=story_id,  # type: ignore[arg-type]
                score=4.0,
                terms=["grain", "exports"],
                spans=[
                    {"term": "grain", "field": "title", "start": 0, "end": 5},
                    {"term": "exports", "field": "title", "start": 6, "end": 13},
                ],
                matched_at=utcnow(),
            )
        )
        assert story_id is not None
        return story_id
