"""Reading the matches of one query newest first, slice by slice, inside a time budget.

The archive is read in id slices that double in size (newest first). The budget is enforced inside a
slice, not only between slices, and work already done is never thrown away:

* SQLite: a progress handler aborts the FTS5 statement once the deadline passes; the rows it had
  returned are kept (they are every match above the last one, as FTS5 walks ids downwards).
* PostgreSQL: one statement per chunk of ``RANK_CHUNK`` matches (``PHRASE_CHUNK`` for a phrase
  query), newest first: the GIN index finds them (it holds no positions, so a phrase is looked up by
  its words), ``ts_rank_cd`` ranks them by the stored title-and-lead vector, and for a phrase query
  only, the whole vector is recomputed for those rows to check the phrase exactly. The deadline is
  checked between chunks, and each statement runs under ``statement_timeout`` set to what is left of
  the budget, so one slow statement is cancelled instead of stalling the chat; earlier chunks are kept.

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
# PostgreSQL: matches one statement reads. Ranking from the stored vector is cheap, so the chunk is
# large (fewer statements, each with its planning and index lookups); a phrase recomputes each row's
# whole vector, so its chunk is small (20-40 ms of work), as that is what the budget can overrun by.
RANK_CHUNK = 1_000
PHRASE_CHUNK = 200
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
        self.phrase = False
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
            # words (every phrase match contains them) and checked against positions of a recomputed
            # vector for the rows read, the only ones whose vector is recomputed.
            loose = to_tsquery_sql(tree, schema.TS_CONFIG, self.params, phrases=False)
            weights = f"'{{{1 / TITLE_WEIGHT}, 0.2, 0.4, 1.0}}'"
            rank = f"ts_rank_cd({weights}, {schema.RANK_COLUMN}, {exact}, 1)"
            check = ""
            self.phrase = has_phrase(tree)
            if self.phrase:
                check = f", {schema.vector_expression('a')} @@ {exact} AS phrase_holds"
            self.ranked = self._bind(
                f"""
                WITH chunk AS MATERIALIZED (
                    SELECT a.id FROM articles a
                    WHERE {schema.vector_expression("a")} @@ {loose}
                      AND a.id > :low AND a.id <= :high{_since(since)}
                    ORDER BY a.id DESC LIMIT :chunk),
                read AS MATERIALIZED (
                    SELECT a.id, a.{schema.RANK_COLUMN}{check}
                    FROM articles a JOIN chunk ON chunk.id = a.id)
                SELECT id, CASE WHEN {"phrase_holds" if check else "true"} THEN {rank} END FROM read
                """,
                since,
            )

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
        """The slice in chunks of matches newest first, one statement per chunk."""
        size = PHRASE_CHUNK if self.phrase else RANK_CHUNK
        rows: Found = []
        while True:
            if deadline.passed():
                return rows, high
            self._time_limit(deadline)
            try:
                result = self.connection.execute(
                    self.ranked, {**self.params, "low": low, "high": high, "chunk": size}
                )
            except OperationalError as error:
                if deadline.at is None or getattr(error.orig, "sqlstate", None) != _QUERY_CANCELED:
                    raise
                self.connection.rollback()
                return rows, high
            chunk = sorted(result, key=lambda row: -int(row[0]))
            rows += [(int(row[0]), float(row[1])) for row in chunk if row[1] is not None]
            if len(rows) >= room:
                return rows[:room], None
            if len(chunk) < size:
                return rows, None
            high = int(chunk[-1][0]) - 1  # every match above was ranked

    def _time_limit(self, deadline: Deadline) -> None:
        """Let PostgreSQL cancel the next statement when the budget runs out during it."""
        left = deadline.milliseconds_left()
        if left is not None:
            self.connection.execute(
                text("SELECT set_config('statement_timeout', :left, true)"), {"left": str(left)}
            )


def _since(since: datetime | None) -> str:
    return " AND coalesce(a.published_at, a.fetched_at) >= :since" if since else ""
