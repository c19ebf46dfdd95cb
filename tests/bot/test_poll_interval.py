"""Adaptive poll intervals and the publisher's hints, as plain functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.poll_interval import bounds, next_interval, publisher_hint

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
EVERY = timedelta(minutes=10)
MAX = timedelta(hours=6)


def test_publisher_hints() -> None:
    assert publisher_hint(b"<rss><channel><ttl>90</ttl>", {}) == timedelta(minutes=90)
    sy = b"<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency>"
    assert publisher_hint(sy, {}) == timedelta(minutes=15)
    assert publisher_hint(b"", {"cache-control": "public, max-age=1800"}) == timedelta(minutes=30)
    assert publisher_hint(b"", {"cache-control": "no-cache, max-age=1800"}) is None
    assert publisher_hint(b"<ttl>60</ttl>", {"cache-control": "max-age=7200"}) == timedelta(hours=2)
    assert publisher_hint(b"<rss/>", {}) is None


def test_bounds_never_overrule_the_configured_interval_upward() -> None:
    assert bounds(EVERY, MAX) == (timedelta(minutes=2, seconds=30), MAX)
    assert bounds(timedelta(minutes=2), MAX)[0] == timedelta(minutes=1)
    assert bounds(timedelta(hours=12), MAX)[1] == timedelta(hours=12)


def test_busy_quiet_and_unknown_feeds() -> None:
    busy = [NOW - timedelta(minutes=6 * i) for i in range(10)]
    assert next_interval(EVERY, MAX, now=NOW, published=busy) == timedelta(minutes=3)
    burst = [NOW - timedelta(seconds=10 * i) for i in range(10)]
    assert next_interval(EVERY, MAX, now=NOW, published=burst) == timedelta(minutes=2, seconds=30)
    quiet = [NOW - timedelta(days=40), NOW - timedelta(days=90)]
    assert next_interval(EVERY, MAX, now=NOW, published=quiet) == MAX
    assert next_interval(EVERY, MAX, now=NOW, published=[None, None]) == EVERY
    assert next_interval(EVERY, MAX, now=NOW, published=[NOW]) == EVERY


def test_not_modified_stretches_up_to_the_bound_and_hints_are_floors() -> None:
    assert next_interval(EVERY, MAX, now=NOW, previous=timedelta(minutes=4), not_modified=True) == timedelta(
        minutes=5
    )
    assert next_interval(EVERY, MAX, now=NOW, previous=timedelta(hours=5.5), not_modified=True) == MAX
    busy = [NOW - timedelta(minutes=6 * i) for i in range(10)]
    assert next_interval(EVERY, MAX, now=NOW, published=busy, hint=timedelta(hours=1)) == timedelta(hours=1)
    assert next_interval(EVERY, MAX, now=NOW, published=busy, hint=timedelta(days=2)) == MAX
