"""Ranked, bounded, paged full-text search over stored articles.

Order of work in one search: parse the query (``query_syntax``) → read matching articles newest first
(newest by id, which grows with fetch time) in id slices that double in size, each match scored as it is
read (BM25 on SQLite FTS5; on PostgreSQL ``ts_rank_cd`` over a stored vector of the title and lead only,
so a match deeper in the text scores 0; a title hit counts about ten times a text hit; ties newest first),
until ``candidates`` matches, the end of the archive, or the time budget → sort → build snippets for the
one page shown. Ranking every match of very common words, or walking every position of a rare phrase of
common words, costs seconds on a large archive; the slices bound both, and the page says which bound hit
(``capped``: "best of the newest 10,000 matches"; ``partial``: "searched the newest N articles"). A page
cursor pins the newest id and the searched range, so later pages are exact and arrivals shift nothing.
"""

# SQL here is built only from this package's constants and numbered placeholders; user text is always
# a bound parameter (see query_syntax), hence:
# ruff: noqa: S608

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.search import schema
from bot.search.query_syntax import Node, parse_search, to_fts5, to_tsquery_sql
from bot.search.slices import Slices
from bot.store import Store
from watchers.errors import NewswatchError

DEFAULT_CANDIDATES = 10_000
DEFAULT_BUDGET = 0.25  # seconds of searching before a first page answers with what it has
MAX_LIMIT = 50
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

    ``total`` counts the ranked matches. ``capped``: more articles matched than the ``candidates``
    ranked (only the newest were), so ``total`` is a lower bound. ``searched`` is how many of the newest
    articles were looked at; fewer than ``archive`` when the time budget ran out first.
    """

    query: str
    hits: tuple[SearchHit, ...]
    total: int
    capped: bool
    candidates: int
    offset: int
    next_cursor: str | None
    searched: int = 0
    archive: int = 0

    @property
    def partial(self) -> bool:
        return self.searched < self.archive

    @property
    def note(self) -> str:
        """What a reply should say about bounded work; empty when every match was ranked."""
        if self.capped:
            return f"showing the best of the newest {self.candidates:,} matches"
        if self.partial:
            return f"searched the newest {self.searched:,} of {self.archive:,} articles in the time allowed"
        return ""


@dataclass(frozen=True)
class _Cursor:
    newest_id: int
    offset: int
    since: int | None  # epoch microseconds, so page 2 filters exactly as page 1 did
    floor: int = 0  # ids at or below were not searched on page 1 (time budget), nor on later pages

    def encode(self) -> str:
        since = _b36(self.since) if self.since is not None else ""
        floor = f".{_b36(self.floor)}" if self.floor else ""
        return f"{_b36(self.newest_id)}.{_b36(self.offset)}.{since}{floor}"

    @classmethod
    def decode(cls, token: str) -> _Cursor:
        try:
            newest, offset, since, *rest = token.split(".")
            if len(rest) > 1:
                raise ValueError("too many parts")
            floor = int(rest[0], 36) if rest else 0
            state = cls(int(newest, 36), int(offset, 36), int(since, 36) if since else None, floor)
            if min(state.newest_id, state.offset, state.floor) < 0 or state.floor > state.newest_id:
                raise ValueError("negative or crossed range")
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
    budget: float = DEFAULT_BUDGET,
) -> SearchPage:
    """Rank articles matching ``query`` (newest ``candidates`` at most) and return one page.

    The archive is searched newest first in id slices that double in size, until ``candidates``
    matches are found, the archive ends, or ``budget`` seconds have passed (then the page is
    ``partial``). Raises QuerySyntaxError (with the column) for a query that does not parse and
    InvalidCursor for a bad ``cursor``; with a cursor, ``since`` and the searched range come from it.
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
        search = Slices(connection, tree, since_at, candidates)
        found, floor = search.run(state.newest_id, state.floor, None if cursor else budget)
        state = _Cursor(state.newest_id, state.offset, state.since, floor)
        capped = len(found) > candidates
        found = found[:candidates]  # the newest ``candidates`` (slices come newest first)
        found.sort(key=lambda pair: (-pair[1], -pair[0]))
        shown = found[state.offset : state.offset + limit]
        hits = _hits(connection, tree, shown)
    following = state.offset + len(shown)
    more = following < len(found)
    next_cursor = _Cursor(state.newest_id, following, state.since, floor).encode() if more else None
    return SearchPage(
        query,
        tuple(hits),
        len(found),
        capped,
        candidates,
        state.offset,
        next_cursor,
        searched=state.newest_id - floor,
        archive=state.newest_id,
    )


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
