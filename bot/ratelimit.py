"""Send pacing per platform: the limits as the platforms state them, in one table.

python-telegram-bot's own limiter covers only some limits and raises instead of waiting, so the
dispatcher owns pacing. ``RateLimiter`` answers one question, "when may the next message to this chat
go?", and records each send. Three limits combine:

* a global rate for the whole bot on a platform (Telegram ~30 messages/s), paced evenly;
* a minimum interval per chat (Telegram 1 message/s to one chat, Slack ~1/s per channel);
* a window per group or channel (Telegram 20 messages/min; groups have negative chat ids).

A platform's ``retry_after`` pauses exactly what it names: one chat (``pause_chat``) or the whole
platform (``pause_all``). Times are monotonic seconds from an injectable clock, so the benchmark and
tests can scale limits without sleeping longer than needed.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Limits:
    """A platform's limits; ``None`` means no such limit."""

    per_second: float | None = None  # the whole bot
    chat_interval: float | None = None  # seconds between two messages to one chat
    group_per_minute: int | None = None  # messages per 60 s to one group or channel

    def scaled(self, factor: float) -> Limits:
        """The same limits ``factor`` times faster (benchmarks and tests at a fraction of real time)."""
        return replace(
            self,
            per_second=self.per_second * factor if self.per_second else None,
            chat_interval=self.chat_interval / factor if self.chat_interval else None,
        )


@dataclass(frozen=True)
class PlatformLimits:
    """``limits`` plus the length of the group window (60 s at real scale)."""

    limits: Limits
    group_window: float = 60.0

    def scaled(self, factor: float) -> PlatformLimits:
        return PlatformLimits(self.limits.scaled(factor), self.group_window / factor)


# The table: platform name -> its limits. Platforms not listed (jsonl, console) are not paced.
PLATFORM_LIMITS: dict[str, PlatformLimits] = {
    "telegram": PlatformLimits(Limits(per_second=30.0, chat_interval=1.0, group_per_minute=20)),
    "slack": PlatformLimits(Limits(per_second=None, chat_interval=1.0, group_per_minute=None)),
}

# How far below a stated limit we pace, so jitter between our send and the platform's clock never trips
# it: the overall rate runs at 95 % (it bounds a fan-out's duration), one chat's interval is 10 % longer
# (it costs a burst to one chat little, and a single late request must not look like two at once).
MARGIN = 0.95
CHAT_SLACK = 1.10


def is_group(platform: str, external_id: str) -> bool:
    """Telegram groups, supergroups and channels have negative ids; Slack paces every channel alike."""
    return platform == "telegram" and external_id.startswith("-")


class RateLimiter:
    """Pacing state for every platform; one instance lives as long as the dispatcher."""

    def __init__(
        self,
        table: dict[str, PlatformLimits] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        margin: float = MARGIN,
    ) -> None:
        self.table = dict(PLATFORM_LIMITS if table is None else table)
        self.clock = clock
        self.margin = margin
        self._global_next: dict[str, float] = {}
        self._global_pause: dict[str, float] = {}
        self._chat_next: dict[tuple[str, str], float] = {}
        self._group_sent: dict[tuple[str, str], deque[float]] = {}

    def limited(self, platform: str) -> bool:
        return platform in self.table

    def chat_ready_at(self, platform: str, chat: str) -> float:
        """The earliest time the next message to ``chat`` may go, counting chat and group limits only."""
        entry = self.table.get(platform)
        if entry is None:
            return 0.0
        ready = max(self._chat_next.get((platform, chat), 0.0), self._global_pause.get(platform, 0.0))
        limit = entry.limits.group_per_minute
        sent = self._group_sent.get((platform, chat))
        if limit and sent and is_group(platform, chat):
            allowed = max(1, int(limit * self.margin))
            if len(sent) >= allowed:
                ready = max(ready, sent[-allowed] + entry.group_window)
        return ready

    def global_ready_at(self, platform: str) -> float:
        return max(self._global_next.get(platform, 0.0), self._global_pause.get(platform, 0.0))

    def ready_at(self, platform: str, chat: str) -> float:
        return max(self.chat_ready_at(platform, chat), self.global_ready_at(platform))

    def record(self, platform: str, chat: str, at: float | None = None) -> None:
        """A message to ``chat`` leaves now: advance the global pace, chat interval and group window."""
        entry = self.table.get(platform)
        if entry is None:
            return
        now = self.clock() if at is None else at
        limits = entry.limits
        if limits.per_second:
            step = 1.0 / (limits.per_second * self.margin)
            # paced from the previous slot, not from when we got round to it; after an idle spell the
            # next slot is half a step away, so scheduling jitter never bunches two messages together
            self._global_next[platform] = max(self._global_next.get(platform, 0.0), now - step / 2) + step
        if limits.chat_interval:
            self._chat_next[(platform, chat)] = now + limits.chat_interval * CHAT_SLACK
        if limits.group_per_minute and is_group(platform, chat):
            sent = self._group_sent.setdefault((platform, chat), deque())
            sent.append(now)
            while sent and sent[0] <= now - entry.group_window:
                sent.popleft()

    def pause_chat(self, platform: str, chat: str, seconds: float) -> None:
        until = self.clock() + seconds
        key = (platform, chat)
        self._chat_next[key] = max(self._chat_next.get(key, 0.0), until)

    def pause_all(self, platform: str, seconds: float) -> None:
        until = self.clock() + seconds
        self._global_pause[platform] = max(self._global_pause.get(platform, 0.0), until)

    def backlog_seconds(self, platform: str, chat: str, messages: int) -> float:
        """How long ``messages`` to one chat take at its own limits (the global rate aside)."""
        entry = self.table.get(platform)
        if entry is None or messages <= 0:
            return 0.0
        limits = entry.limits
        seconds = (messages - 1) * (limits.chat_interval or 0.0)
        if limits.group_per_minute and is_group(platform, chat):
            seconds = max(seconds, (messages - 1) / limits.group_per_minute * entry.group_window)
        return seconds
