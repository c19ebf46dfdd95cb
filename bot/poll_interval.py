"""How long until a source is polled again: adaptive to how often it publishes, within bounds.

Rules, in order:
1. a feed that published at least 3 entries in the last week is polled about twice per average gap
   between them (a feed posting every 4 minutes is polled every 2); one with nothing in a week is quiet
   and polled at the upper bound;
2. a 304 (nothing new) stretches the previous interval by a quarter, so a feed that keeps answering 304
   drifts toward the upper bound and the next new entry pulls it back;
3. the result stays within [max(1 min, every/4), max_interval];
4. a publisher's own hint wins when it asks for less: RSS ``<ttl>`` (minutes), ``<sy:updatePeriod>``/
   ``<sy:updateFrequency>`` and ``Cache-Control: max-age`` are lower limits (capped at max_interval).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

MIN_INTERVAL = timedelta(minutes=1)
RECENT = timedelta(days=7)
STRETCH_ON_304 = 1.25

_TTL = re.compile(rb"<ttl>\s*(\d{1,6})\s*</ttl>", re.IGNORECASE)
_SY_PERIOD = re.compile(rb"<sy:updatePeriod>\s*(hourly|daily|weekly|monthly|yearly)\s*<", re.IGNORECASE)
_SY_FREQUENCY = re.compile(rb"<sy:updateFrequency>\s*(\d{1,4})\s*<", re.IGNORECASE)
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d{1,9})", re.IGNORECASE)
_PERIODS = {
    b"hourly": 3600,
    b"daily": 86400,
    b"weekly": 7 * 86400,
    b"monthly": 30 * 86400,
    b"yearly": 365 * 86400,
}
_HEAD = 65_536  # the channel's hints come before its items


def publisher_hint(body: bytes, headers: Mapping[str, str]) -> timedelta | None:
    """The shortest interval the publisher asks for (``<ttl>``, ``sy:`` or ``max-age``), if any."""
    hints: list[float] = []
    head = body[:_HEAD]
    if match := _TTL.search(head):
        hints.append(int(match.group(1)) * 60)
    if match := _SY_PERIOD.search(head):
        frequency = _SY_FREQUENCY.search(head)
        times = max(1, int(frequency.group(1))) if frequency else 1
        hints.append(_PERIODS[match.group(1).lower()] / times)
    cache = headers.get("cache-control", "")
    if "no-cache" not in cache.lower() and (age := _MAX_AGE.search(cache)):
        hints.append(int(age.group(1)))
    hints = [h for h in hints if h > 0]
    return timedelta(seconds=max(hints)) if hints else None


def bounds(every: timedelta, max_interval: timedelta) -> tuple[timedelta, timedelta]:
    """[max(1 min, every/4), max(every, max_interval)]: a configured interval is never overruled upward."""
    return max(MIN_INTERVAL, every / 4), max(every, max_interval)


def next_interval(
    every: timedelta,
    max_interval: timedelta,
    *,
    now: datetime,
    published: Iterable[datetime | None] = (),
    previous: timedelta | None = None,
    not_modified: bool = False,
    hint: timedelta | None = None,
) -> timedelta:
    """The interval until the next poll after a successful one (see the module docstring)."""
    low, high = bounds(every, max_interval)
    dates = [p for p in published if p is not None]
    if not_modified:
        interval = (previous or every) * STRETCH_ON_304
    else:
        recent = sorted(p for p in dates if now - RECENT <= p <= now)
        if len(recent) >= 3:
            interval = (recent[-1] - recent[0]) / (len(recent) - 1) / 2
        elif dates and not recent:
            interval = high  # dated entries, none this week: a quiet feed
        else:
            interval = every  # too little to judge (or undated entries)
    interval = min(max(interval, low), high)
    if hint is not None:
        interval = max(interval, min(hint, high))
    return interval
