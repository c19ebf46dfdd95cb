"""Neutral replies, and the small text helpers every renderer shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class ReplyItem:
    """One story in a listing."""

    title: str
    url: str
    detail: str = ""
    story_id: int | None = None
    highlight: tuple[tuple[str, bool], ...] = ()  # a search snippet: (text, matched) parts, rendered natively


@dataclass(frozen=True)
class Button:
    """A neutral button: ``action`` names what it does, ``value`` what it acts on.

    Platforms encode ``f"{action}:{value}"`` in their callback data / action value, so the same pair comes
    back whichever platform the user pressed it on (Telegram caps callback data at 64 bytes).
    """

    label: str
    action: str
    value: str

    def payload(self) -> str:
        return f"{self.action}:{self.value}"


def parse_payload(payload: str) -> tuple[str, str]:
    """``(action, value)`` from a button payload; a payload without ``:`` has an empty value."""
    action, _, value = payload.partition(":")
    return action, value


def alert_buttons(story_id: int, topic: str) -> tuple[Button, ...]:
    """The buttons under every alert: Summary / Sources, More like this, Mute topic."""
    return (
        Button("Summary / Sources", "story", str(story_id)),
        Button("More like this", "similar", str(story_id)),
        Button(f"Mute {topic}"[:40], "mute", topic[:48]),
    )


@dataclass(frozen=True)
class Reply:
    """What a command answers, before any platform renders it."""

    text: str
    items: tuple[ReplyItem, ...] = field(default=())
    error: bool = False
    buttons: tuple[Button, ...] = field(default=())


def local_time(when: datetime, zone: str = "UTC") -> str:
    """``2026-12-02 14:05 UTC``: times are UTC inside and converted only here."""
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    local = aware.astimezone(ZoneInfo(zone))
    return local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or zone)


def plain_text(reply: Reply) -> str:
    """The plain rendering (console, logs, fallbacks)."""
    lines = [reply.text]
    for number, item in enumerate(reply.items, 1):
        lines.append(f"{number}. {item.title}" + (f"  [story {item.story_id}]" if item.story_id else ""))
        if item.detail:
            lines.append(f"   {item.detail}")
        if item.highlight:
            lines.append(
                "   " + "".join(f"«{text}»" if matched else text for text, matched in item.highlight)
            )
        lines.append(f"   {item.url}")
    return "\n".join(lines)
