"""Digests: many alerts in one message, and the clocks that decide when alerts wait for one.

Three things produce a digest, all through the same ``Digest`` value that channels render natively:

* a subscription in digest mode (``hourly`` or ``digest HH:MM`` in the chat's time zone);
* quiet hours on a chat (``"22:00-07:00"``): instant alerts are held and go out as one digest afterwards;
* a backlog too long to send within the platform's limits (a topic matching 200 articles at once).

Times are aware UTC inside; a chat's time zone is used only to find "08:00 there" or "quiet now there".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.alerts import Alert

_QUIET = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
_DIGEST_AT = re.compile(r"^digest ([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Digest:
    """``groups`` lists (topic, alerts) in the order topics first appeared; ``reason`` heads the message."""

    reason: str
    groups: tuple[tuple[str, tuple[Alert, ...]], ...]

    @property
    def count(self) -> int:
        return sum(len(alerts) for _, alerts in self.groups)


def build_digest(reason: str, alerts: list[Alert]) -> Digest:
    """Group ``alerts`` by topic (first appearance order); a story appears once per topic."""
    groups: dict[str, list[Alert]] = {}
    for alert in alerts:
        bucket = groups.setdefault(alert.topic, [])
        if all(a.story_id != alert.story_id for a in bucket):
            bucket.append(alert)
    return Digest(reason, tuple((topic, tuple(items)) for topic, items in groups.items()))


def zone(name: str) -> ZoneInfo:
    """The chat's zone; an unknown name falls back to UTC rather than stopping delivery."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def parse_quiet_hours(spec: str) -> tuple[time, time]:
    """``"22:00-07:00"`` -> (22:00, 07:00); ValueError with a readable message otherwise."""
    match = _QUIET.match(spec.replace(" ", ""))
    if not match:
        raise ValueError(f"{spec!r} is not quiet hours like 22:00-07:00")
    start = time(int(match.group(1)), int(match.group(2)))
    end = time(int(match.group(3)), int(match.group(4)))
    if start == end:
        raise ValueError(f"{spec!r}: quiet hours must start and end at different times")
    return start, end


def _windows(spec: str, now: datetime, tz: str) -> list[tuple[datetime, datetime]]:
    start, end = parse_quiet_hours(spec)
    local = now.astimezone(zone(tz))
    windows = []
    for days in (-2, -1, 0):
        day = local.date() + timedelta(days=days)
        begins = datetime.combine(day, start, tzinfo=zone(tz))
        ends_day = day + timedelta(days=1) if end <= start else day
        ends = datetime.combine(ends_day, end, tzinfo=zone(tz))
        windows.append((begins.astimezone(UTC), ends.astimezone(UTC)))
    return windows


def in_quiet_hours(spec: str | None, now: datetime, tz: str) -> bool:
    if not spec:
        return False
    return any(begins <= now < ends for begins, ends in _windows(spec, now, tz))


def last_quiet_window(spec: str | None, now: datetime, tz: str) -> tuple[datetime, datetime] | None:
    """The most recent quiet period that has ended by ``now`` (its held alerts make a digest)."""
    if not spec:
        return None
    ended = [w for w in _windows(spec, now, tz) if w[1] <= now]
    return max(ended, key=lambda w: w[1]) if ended else None


def last_digest_time(mode: str, now: datetime, tz: str) -> datetime | None:
    """The latest scheduled digest time at or before ``now``; None for ``instant``."""
    local = now.astimezone(zone(tz))
    if mode == "hourly":
        return local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
    match = _DIGEST_AT.match(mode)
    if not match:
        return None
    at = local.replace(hour=int(match.group(1)), minute=int(match.group(2)), second=0, microsecond=0)
    if at > local:
        at -= timedelta(days=1)
    return at.astimezone(UTC)


def digest_due(mode: str, now: datetime, tz: str, last: datetime | None) -> bool:
    """True when a scheduled digest time has passed since ``last`` (the previous digest or the start)."""
    scheduled = last_digest_time(mode, now, tz)
    if scheduled is None:
        return True
    return last is None or last < scheduled
