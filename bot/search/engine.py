"""Ranked, bounded, paged full-text search over stored articles.

Order of work in one search: parse the query (``query_syntax``) → take the newest ``candidates`` matching
articles (newest by id, which grows with fetch time; a page cursor pins the newest id so later arrivals do
not shift pages) → rank only those (BM25 on SQLite FTS5, ``ts_rank_cd`` on PostgreSQL; title hits count
about ten times a text hit) → build snippets for the one page shown. Ranking every match of very common
words costs seconds on a large archive; ranking the newest N keeps every search fast, and the page says
so (``capped``) so a reply can show "best of the newest 20,000 matches".
"""

# SQL here is built only from this package's constants and numbered placeholders; user text is always
# a bound parameter (see query_syntax), hence:
# ruff: noqa: S608

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from bot.models import UTCDateTime
from bot.search import schema
from bot.search.query_syntax import Node, parse_search, to_fts5, to_tsquery_sql
from bot.store import Store
from watchers.errors import NewswatchError

DEFAULT_CANDIDATES = 20_000
MAX_LIMIT = 50
TITLE_WEIGHT = 10.0
MARK_START = "\x02"
MARK_END = "\x03"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_LATEST = (datetime(9999, 1, 1, tzinfo=UTC) - _EPOCH) // _MICROSECOND
_MARKS = re.compile(f"[{MARK_START}{MARK_END}]")


class InvalidCursor(NewswatchError):
    """A next-page token we did not issue or cannot read (the user should search again)."""


@dataclass(frozen=True)
class Snippet:
    """Text around the matches: ``parts`` alternate plain and matched text as ``(text, matched)``.

    Kept neutral so Telegram (``<b>``), Slack (``*``) and the console each render their own emphasis.
    """

    parts: tuple[tuple[str, bool], ...]

    @classmethod
    def from_marked(cls, marked: str) -> Snippet:
        parts: list[tuple[str, bool]] = []
        for piece in re.split(f"({MARK_START}[^{MARK_END}]*{MARK_END})", marked):
            if piece.startswith(MARK_START):
                parts.append((_MARKS.sub("", piece), True))
            elif piece:
                parts.append((_MARKS.sub("", piece), False))
        return cls(tuple(p for p in parts if p[0]))

    def render(self, start: str, end: str, escape: Any = None) -> str:
        """The snippet with each match wrapped in ``start``/``end``; ``escape`` escapes the text parts."""
        out = []
        for chunk, matched in self.parts:
            body = escape(chunk) if escape else chunk
            out.append(f"{start}{body}{end}" if matched else body)
        return "".join(out)

    @property
    def plain(self) -> str:
        return "".join(chunk for chunk, _ in self.parts)

    @property
    def matched(self) -> list[str]:
        return [chunk for chunk, matched in self.parts if matched]


@dataclass(frozen=True)
class SearchHit:
    article_id: int
    story_id: int | None
    title: str
    url: str
    source: str
    published: datetime | None
    score: float
    snippet: Snippet


@dataclass(frozen=True)
class SearchPage:
    """One page of ranked hits.

    ``total`` counts the ranked matches; when ``capped`` is true more articles matched and only the
    newest ``candidates`` of them were ranked, so ``total`` is a lower bound.
    """

    query: str
    hits: tuple[SearchHit, ...]
    total: int
    capped: bool
    candidates: int
    offset: int
    next_cursor: str | None

    @property
    def note(self) -> str:
        """What a reply should say about bounded work; empty when every match was ranked."""
        if not self.capped:
            return ""
        return f"showing the best of the newest {self.candidates:,} matches"


@dataclass(frozen=True)
class _Cursor:
    newest_id: int
    offset: int
    since: int | None  # epoch microseconds, so page 2 filters exactly as page 1 did

    def encode(self) -> str:
        since = _b36(self.since) if self.since is not None else ""
        return f"{_b36(self.newest_id)}.{_b36(self.offset)}.{since}"

    @classmethod
    def decode(cls, token: str) -> _Cursor:
        try:
            newest, offset, since = token.split(".")
            state = cls(int(newest, 36), int(offset, 36), int(since, 36) if since else None)
            if state.since is not None and not 0 <= state.since < _LATEST:
                raise ValueError("since out of range")
            return state
        except ValueError:
            raise InvalidCursor("that page of results has expired; please search again") from None


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


def search_articles(
    store: Store,
    query: str,
    *,
    since: datetime | None = None,
    limit: int = 10,
    cursor: str | None = None,
    candidates: int = DEFAULT_CANDIDATES,
) -> SearchPage:
    """Rank articles matching ``query`` (newest ``candidates`` at most) and return one page.

    Raises QuerySyntaxError (with the column) for a query that does not parse and InvalidCursor for a
    bad ``cursor``; with a cursor, ``since`` is taken from the cursor.
    """
    tree = parse_search(query)
    limit = max(1, min(limit, MAX_LIMIT))
    with store.engine.connect() as connection:
        if cursor is not None:
            state = _Cursor.decode(cursor)
        else:
            newest = connection.execute(text("SELECT max(id) FROM articles")).scalar() or 0
            state = _Cursor(int(newest), 0, (since - _EPOCH) // _MICROSECOND if since else None)
        since_at = _EPOCH + state.since * _MICROSECOND if state.since is not None else None
        if connection.dialect.name == "sqlite":
            ranked, total = _rank_sqlite(connection, tree, state, since_at, limit, candidates)
        else:
            ranked, total = _rank_postgres(connection, tree, state, since_at, limit, candidates)
        hits = _hits(connection, tree, ranked)
    capped = total > candidates
    shown = min(total, candidates)
    following = state.offset + len(hits)
    next_cursor = _Cursor(state.newest_id, following, state.since).encode() if following < shown else None
    return SearchPage(query, tuple(hits), shown, capped, candidates, state.offset, next_cursor)


def _filters(alias: str, since: datetime | None) -> str:
    return f" AND coalesce({alias}.published_at, {alias}.fetched_at) >= :since" if since else ""


def _rank_sqlite(
    connection: Connection, tree: Node, state: _Cursor, since: datetime | None, limit: int, candidates: int
) -> tuple[list[tuple[int, float]], int]:
    join = " JOIN articles a ON a.id = f.rowid" if since else ""
    sql = f"""
        WITH newest AS (
            SELECT f.rowid AS id, bm25({schema.FTS_TABLE}, {TITLE_WEIGHT}, 1.0) AS score
            FROM {schema.FTS_TABLE} f{join}
            WHERE {schema.FTS_TABLE} MATCH :match AND f.rowid <= :newest{_filters("a", since)}
            ORDER BY f.rowid DESC LIMIT :fetch
        ), numbered AS (
            SELECT id, score, row_number() OVER (ORDER BY id DESC) AS n, count(*) OVER () AS total
            FROM newest
        )
        SELECT id, -score, total FROM numbered WHERE n <= :candidates
        ORDER BY score, id DESC LIMIT :limit OFFSET :offset
    """
    params = {
        "match": to_fts5(tree),
        "newest": state.newest_id,
        "fetch": candidates + 1,
        "candidates": candidates,
        "limit": limit,
        "offset": state.offset,
    }
    if since:
        params["since"] = since
    return _ranked(connection, sql, params)


def _rank_postgres(
    connection: Connection, tree: Node, state: _Cursor, since: datetime | None, limit: int, candidates: int
) -> tuple[list[tuple[int, float]], int]:
    params: dict[str, Any] = {}
    tsquery = to_tsquery_sql(tree, schema.TS_CONFIG, params)
    weights = f"'{{{1 / TITLE_WEIGHT}, 0.2, 0.4, 1.0}}'"
    sql = f"""
        WITH query AS MATERIALIZED (SELECT {tsquery} AS q),
        newest AS MATERIALIZED (
            SELECT a.id, a.{schema.VECTOR_COLUMN} AS vector FROM articles a, query
            WHERE a.{schema.VECTOR_COLUMN} @@ query.q AND a.id <= :newest{_filters("a", since)}
            ORDER BY a.id DESC LIMIT :fetch
        ), numbered AS (
            SELECT id, vector, row_number() OVER (ORDER BY id DESC) AS n, count(*) OVER () AS total
            FROM newest
        ), scored AS (
            SELECT id, ts_rank_cd({weights}, vector, query.q, 1) AS score, total
            FROM numbered, query WHERE n <= :candidates
        )
        SELECT id, score, total FROM scored ORDER BY score DESC, id DESC LIMIT :limit OFFSET :offset
    """
    params.update(
        newest=state.newest_id, fetch=candidates + 1, candidates=candidates, limit=limit, offset=state.offset
    )
    if since:
        params["since"] = since
    return _ranked(connection, sql, params)


def _ranked(connection: Connection, sql: str, params: dict[str, Any]) -> tuple[list[tuple[int, float]], int]:
    statement = text(sql)
    if "since" in params:
        statement = statement.bindparams(bindparam("since", type_=UTCDateTime()))
    rows = connection.execute(statement, params).all()
    if not rows:
        return [], 0  # no match, or a page past the end (the reply says "no more results")
    return [(int(r[0]), float(r[1])) for r in rows], int(rows[0][2])


def _hits(connection: Connection, tree: Node, ranked: list[tuple[int, float]]) -> list[SearchHit]:
    if not ranked:
        return []
    ids = [article_id for article_id, _ in ranked]
    placeholders = ", ".join(f":id{i}" for i in range(len(ids)))
    params: dict[str, Any] = {f"id{i}": article_id for i, article_id in enumerate(ids)}
    if connection.dialect.name == "sqlite":
        params["match"] = to_fts5(tree)
        snippet_sql = f"""
            SELECT rowid, snippet({schema.FTS_TABLE}, -1, '{MARK_START}', '{MARK_END}', '…', 24)
            FROM {schema.FTS_TABLE} WHERE {schema.FTS_TABLE} MATCH :match AND rowid IN ({placeholders})
        """
    else:
        tsquery = to_tsquery_sql(tree, schema.TS_CONFIG, params)
        options = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=30, MinWords=12, MaxFragments=2"
        snippet_sql = f"""
            SELECT a.id, ts_headline('{schema.TS_CONFIG}'::regconfig,
                CASE WHEN a.text = '' THEN a.title ELSE a.text END, {tsquery}, :options)
            FROM articles a WHERE a.id IN ({placeholders})
        """
        params["options"] = options
    snippets = {int(r[0]): str(r[1] or "") for r in connection.execute(text(snippet_sql), params).all()}
    rows = connection.execute(
        text(
            "SELECT a.id, a.story_id, a.title, a.url, s.name, a.published_at FROM articles a "
            f"JOIN sources s ON s.id = a.source_id WHERE a.id IN ({placeholders})"
        ),
        {k: v for k, v in params.items() if k.startswith("id")},
    ).all()
    details = {int(r[0]): r for r in rows}
    hits = []
    for article_id, score in ranked:
        row = details.get(article_id)
        if row is None:  # deleted between ranking and reading: skip rather than fail
            continue
        hits.append(
            SearchHit(
                article_id=article_id,
                story_id=row[1],
                title=row[2],
                url=row[3],
                source=row[4],
                published=_aware(row[5]),
                score=score,
                snippet=Snippet.from_marked(snippets.get(article_id, "")),
            )
        )
    return hits


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
