"""Stories newest first (optionally for one topic), paged by keyset so each page costs the same.

A story's place is its newest match. The scan walks ``matches`` newest first on the index
``(topic_id, matched_at, id)`` (or ``(matched_at, id)`` for every topic) and keeps a match only when it
is its story's newest, so a story with many matches appears once and pages have no duplicates or gaps.
The cursor is the last match shown, so stories that arrive meanwhile never shift later pages.
"""

# SQL here is built only from this package's constants and numbered placeholders; user text is always
# a bound parameter (see query_syntax), hence:
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, text

from bot.models import UTCDateTime
from bot.store import Store
from watchers.errors import NewswatchError

MAX_PAGE = 50
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class LatestPage:
    story_ids: tuple[int, ...]
    next_cursor: str | None


def latest_story_ids(
    store: Store, *, topic_id: int | None = None, limit: int = 5, cursor: str | None = None
) -> LatestPage:
    """Up to ``limit`` story ids, newest match first; ``next_cursor`` when more may follow."""
    limit = max(1, min(limit, MAX_PAGE))
    after_at, after_id = _decode(cursor) if cursor else (None, None)
    topic_filter = "m.topic_id = :topic AND " if topic_id is not None else ""
    # ``+n.topic_id`` keeps the planner on the story_id index for this per-row check (a story has few
    # matches; a topic has many), with or without ANALYZE statistics.
    inner_topic = "AND +n.topic_id = :topic " if topic_id is not None else ""
    keyset = (
        "AND (m.matched_at, m.id) < (:after_at, :after_id) "  # a row value: one index range, no OR
        if after_at is not None
        else ""
    )
    sql = f"""
        SELECT m.story_id, m.matched_at, m.id FROM matches m
        WHERE {topic_filter}m.matched_at IS NOT NULL {keyset}
          AND NOT EXISTS (
            SELECT 1 FROM matches n WHERE n.story_id = m.story_id {inner_topic}
              AND (n.matched_at > m.matched_at OR (n.matched_at = m.matched_at AND n.id > m.id)))
        ORDER BY m.matched_at DESC, m.id DESC LIMIT :limit
    """
    statement = text(sql)
    params: dict[str, object] = {"limit": limit}
    if topic_id is not None:
        params["topic"] = topic_id
    if after_at is not None:
        statement = text(sql).bindparams(bindparam("after_at", type_=UTCDateTime()))
        params.update(after_at=after_at, after_id=after_id)
    with store.engine.connect() as connection:
        rows = connection.execute(statement, params).all()
    following = None
    if len(rows) == limit:
        last_at = rows[-1][1]
        when = last_at if isinstance(last_at, datetime) else datetime.fromisoformat(str(last_at))
        following = _encode(UTCDateTime().process_result_value(when, connection.dialect), int(rows[-1][2]))
    return LatestPage(tuple(int(r[0]) for r in rows), following)


def _encode(when: datetime | None, match_id: int) -> str:
    """Exact integer microseconds (a float timestamp would round) and the match id."""
    assert when is not None
    return f"{(when - _EPOCH) // _MICROSECOND}.{match_id}"


def _decode(cursor: str) -> tuple[datetime, int]:
    try:
        micros, match_id = cursor.split(".")
        return _EPOCH + int(micros) * _MICROSECOND, int(match_id)
    except (ValueError, OverflowError):
        raise InvalidListCursor("that page of stories has expired; ask for the latest again") from None


class InvalidListCursor(NewswatchError):
    """A /latest page token we cannot read."""
