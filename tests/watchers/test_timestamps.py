from __future__ import annotations

from datetime import UTC, datetime

import pytest

from watchers.timestamps import parse_gdelt_datetime, parse_w3c_datetime


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-15", datetime(2026, 1, 15, tzinfo=UTC)),
        ("2026-01-15T12:00:00+01:00", datetime(2026, 1, 15, 11, 0, tzinfo=UTC)),
        ("2026-01-15T12:00Z", datetime(2026, 1, 15, 12, 0, tzinfo=UTC)),
        ("2026-01-15T12:00:00.5z", datetime(2026, 1, 15, 12, 0, 0, 500000, tzinfo=UTC)),
        (" 2026-01-15T12:00:00 ", datetime(2026, 1, 15, 12, 0, tzinfo=UTC)),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_w3c_datetimes_become_aware_utc(value: str | None, expected: datetime | None) -> None:
    assert parse_w3c_datetime(value) == expected


def test_gdelt_seendate() -> None:
    assert parse_gdelt_datetime("20260115T093000Z") == datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
    assert parse_gdelt_datetime("2026-01-15") is None
    assert parse_gdelt_datetime(None) is None
