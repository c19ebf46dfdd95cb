"""Reading the timestamps sources state outside RSS (feedparser handles RSS/Atom dates itself).

Sitemaps use W3C datetimes (``2024-01-15``, ``2024-01-15T12:00:00+01:00``, ``…Z``), GDELT uses its compact
``20240115T120000Z``. Every result is timezone-aware UTC; a time without an offset is taken as UTC, and a
value that cannot be read is None rather than an error, because one bad date must not lose an entry.
"""

from __future__ import annotations

from datetime import UTC, datetime


def parse_w3c_datetime(value: str | None) -> datetime | None:
    """A W3C/ISO 8601 date or datetime as aware UTC; None when absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def parse_gdelt_datetime(value: str | None) -> datetime | None:
    """GDELT's ``seendate`` (``20240101T120000Z``) as aware UTC; None when absent or unreadable."""
    if not value:
        return None
    try:
        return datetime.strptime(value.strip(), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
