"""A per-user limit on commands, so one person (or a script) cannot make the bot work for nobody else."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

FLOOD_COMMANDS = 10
FLOOD_WINDOW = 30.0


class FloodGate:
    """At most ``limit`` commands per ``window`` seconds per key (``platform:user``), a sliding window.

    Refused commands do not count, so a user who waits gets in again. Thread-safe: adapters run commands
    in worker threads.
    """

    def __init__(
        self,
        limit: int = FLOOD_COMMANDS,
        window: float = FLOOD_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = self.clock()
        with self._lock:
            times = self._recent(key, now)
            if len(times) >= self.limit:
                return False
            times.append(now)
            return True

    def wait(self, key: str) -> float:
        """Seconds until ``key`` may send a command again (0 when it may now)."""
        now = self.clock()
        with self._lock:
            times = self._recent(key, now)
            return 0.0 if len(times) < self.limit else max(0.0, times[0] + self.window - now)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._seen.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(self._seen) > 10_000:  # forget idle users so memory stays bounded
            for idle in [k for k, v in self._seen.items() if not v and k != key]:
                del self._seen[idle]
        return times
