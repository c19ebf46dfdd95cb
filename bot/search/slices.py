"""Reading the matches of one query newest first, slice by slice, inside a time budget.

The archive is read in id slices that double in size (newest first). The budget is enforced inside a
slice, not only between slices, and work already done is never thrown away:

* SQLite: a progress handler aborts the FTS5 statement once the deadline passes; the rows it had
  returned are kept (they are every match above the last one, as FTS5 walks ids downwards).
* PostgreSQL: the GIN index finds the ids of the slice (the cheap part: the index holds no positions),
  then the exact match (phrases, NOT) and ``ts_rank_cd`` recompute the vector in chunks of
  ``RANK_CHUNK`` ids, newest first, with the deadline checked between chunks. Every statement also
  runs under ``statement_timeout`` set to what is left of the budget, so one slow statement is
  cancelled instead of stalling the chat.

Either way the search reports ``floor``, the id at or below which nothing was read; a cursor pins it,
so later pages (which run without a budget) read exactly the same range and paging stays exact.
"""

# SQL here is built only from this package's constants and numbered placeholders; user text is always
# a bound parameter (see query_syntax), hence:
# ruff: noqa: S608

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.sql.elements import TextClause

from bot.models import UTCDateTime
from bot.search import schema
from bot.search.query_syntax import Node, has_phrase, to_fts5, to_tsquery_sql

FIRST_SLICE = 20_000  # ids in the newest slice; each next slice is twice as large
RANK_CHUNK = 250  # PostgreSQL: ids whose vector is recomputed per statement (about 30 ms of work)
PROGRESS_STEPS = 2_000  # SQLite: virtual machine steps between two looks at the clock
TITLE_WEIGHT = 10.0
_QUERY_CANCELED = "57014"

clock: Callable[[], float] = time.perf_counter  # tests replace it to cut a search at a chosen point

Found = list[tuple[int, float]]


class Deadline:
    """When the budget runs out; ``None`` budget never does (later pages, the command line)."""

    def __init__(self, budget: float | None) -> None:
        self.at = None if budget is None else clock() + budget

    def passed(self) -> bool:
        return self.at is not None and clock() > self.at

    def milliseconds_left(self) -> int | None:
        return None if self.at is None else max(1, int((self.at - clock()) * 1000))


class Slices:
    """The matches of one query with their rank scores, read newest first."""

    def __init__(self, connection: Connection, tree: Node, since: datetime | None, candidates: int) -> None:
        self.connection = connection
        self.candidates = candidates
        self.params: dict[str, Any] = {}
        if connection.dialect.name == "sqlite":
            self.params["match"] = to_fts5(tree)
            join = " JOIN articles a ON a.id = f.rowid" if since else ""
            self.ranked = self._bind(
                f"""
                SELECT f.rowid, -bm25({schema.FTS_TABLE}, {TITLE_WEIGHT}, 1.0)
                FROM {schema.FTS_TABLE} f{join}
                WHERE {schema.FTS_TABLE} MATCH :match AND f.rowid > :low AND f.rowid <= :high{_since(since)}
                ORDER BY f.rowid DESC LIMIT :room
                """,
                since,
            )
        else:
            exact = to_tsquery_sql(tree, schema.TS_CONFIG, self.params)
            # The index alone answers a query without phrases exactly; a phrase is looked up by its
            # words (every phrase match contains them) and checked against positions when ranked.
            loose = to_tsquery_sql(tree, schema.TS_CONFIG, self.params, phrases=False)
            limit = "" if has_phrase(tree) else " LIMIT :room"
            self.ids = self._bind(
                f"""
                SELECT a.id FROM articles a
                WHERE {schema.vector_expression("a")} @@ {loose}
                  AND a.id > :low AND a.id <= :high{_since(since)}
                ORDER BY a.id DESC{limit}
                """,
                since,
            )
            weights = f"'{{{1 / TITLE_WEIGHT}, 0.2, 0.4, 1.0}}'"
            self.ranked = text(f"""
                WITH read AS MATERIALIZED (
                    SELECT a.id, {schema.vector_expression("a")} AS vector
                    FROM articles a WHERE a.id = ANY(:ids))
                SELECT id, ts_rank_cd({weights}, vector, {exact}, 1) FROM read WHERE vector @@ {exact}
            """)

    def _bind(self, sql: str, since: datetime | None) -> TextClause:
        statement = text(sql)
        if since is not None:
            statement = statement.bindparams(bindparam("since", type_=UTCDateTime()))
            self.params["since"] = since
        return statement

    def run(self, newest: int, floor: int, budget: float | None) -> tuple[Found, int]:
        """``(matches newest first, at most candidates + 1; the id at or below which nothing was read)``."""
        deadline = Deadline(budget)
        found: Found = []
        high, size = newest, FIRST_SLICE
        while high > floor and len(found) <= self.candidates and not deadline.passed():
            low = max(floor, high - size)
            room = self.candidates + 1 - len(found)
            if self.connection.dialect.name == "sqlite":
                rows, cut_at = self._sqlite_slice(low, high, room, deadline)
            else:
                rows, cut_at = self._postgres_slice(low, high, room, deadline)
            found += rows
            if cut_at is not None:
                high = cut_at
                break
            high, size = low, size * 2
        if self.connection.dialect.name == "postgresql":
            self.connection.rollback()  # ends the read and any statement_timeout set for it
        return found, high if len(found) <= self.candidates else floor

    def _sqlite_slice(self, low: int, high: int, room: int, deadline: Deadline) -> tuple[Found, int | None]:
        """One slice; when the deadline cuts it, the rows read so far and the id below them."""
        driver = self.connection.connection.driver_connection
        assert driver is not None
        if deadline.at is not None:
            driver.set_progress_handler(lambda: int(deadline.passed()), PROGRESS_STEPS)
        rows: Found = []
        try:
            result = self.connection.execute(
                self.ranked, {**self.params, "low": low, "high": high, "room": room}
            )
            for row in result:
                rows.append((int(row[0]), float(row[1])))
        except OperationalError as error:
            if getattr(error.orig, "sqlite_errorname", "") != "SQLITE_INTERRUPT":
                raise
            return rows, (rows[-1][0] - 1 if rows else high)
        finally:
            driver.set_progress_handler(None, 0)
        return rows, None

    def _postgres_slice(self, low: int, high: int, room: int, deadline: Deadline) -> tuple[Found, int | None]:
        ids = self._bounded(self.ids, {**self.params, "low": low, "high": high, "room": room}, deadline)
        if ids is None:
            return [], high
        matched = [int(row[0]) for row in ids]
        rows: Found = []
        for start in range(0, len(matched), RANK_CHUNK):
            chunk = matched[start : start + RANK_CHUNK]
            ranked = (
                None
                if deadline.passed()
                else self._bounded(self.ranked, {**self.params, "ids": chunk}, deadline)
            )
            if ranked is None:  # everything above this chunk was read
                return rows, chunk[0]
            scores = {int(row[0]): float(row[1]) for row in ranked}
            rows += [(article_id, scores[article_id]) for article_id in chunk if article_id in scores]
            if len(rows) >= room:
                return rows[:room], None
        return rows, None

    def _bounded(self, statement: TextClause, params: dict[str, Any], deadline: Deadline) -> list[Any] | None:
        """The rows, or None when ``statement_timeout`` (what is left of the budget) cancelled it."""
        left = deadline.milliseconds_left()
        if left is not None:
            self.connection.execute(
                text("SELECT set_config('statement_timeout', :left, true)"), {"left": str(left)}
            )
        try:
            return list(self.connection.execute(statement, params))
        except OperationalError as error:
            if left is None or getattr(error.orig, "sqlstate", None) != _QUERY_CANCELED:
                raise
            self.connection.rollback()
            return None


def _since(since: datetime | None) -> str:
    return " AND coalesce(a.published_at, a.fetched_at) >= :since" if since else ""
