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


@dataclass(frozen=True)
class Reply:
    """What a command answers, before any platform renders it."""

    text: str
    items: tuple[ReplyItem, ...] = field(default=())
    error: bool = False


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
        lines.append(f"   {item.url}")
    return "\n".join(lines)
