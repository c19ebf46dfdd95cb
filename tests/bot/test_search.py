"""Ranked full-text search on both databases: relevance, syntax, safety, snippets, paging, bounds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from itertools import count
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Connection, inspect, text
from sqlmodel import select

from bot.models import Article, Source, Story, utcnow
from bot.search import engine, schema, slices
from bot.search.engine import InvalidCursor, search_articles
from bot.search.query_syntax import parse_search
from bot.store import Store, _alembic_config, make_engine
from tests.databases import postgresql_only
from watchers.errors import QuerySyntaxError

_numbers = count(1)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.open(database_url)
    with opened.session() as session:
        session.add(Source(id=1, name="Wire", url="https://wire.example/feed"))
    yield opened
    opened.close()


def add(store: Store, title: str, body: str = "", *, age: timedelta = timedelta(hours=1)) -> int:
    """One stored article (with its own story), published ``age`` ago; returns the article id."""
    number = next(_numbers)
    when = utcnow() - age
    with store.session() as session:
        story = Story(
            title=title, title_key=f"k{number}", url=f"https://wire.example/{number}", first_seen_at=when
        )
        session.add(story)
        session.flush()
        article = Article(
            source_id=1,
            story_id=story.id,
            url=f"https://wire.example/{number}",
            title=title,
            text=body,
            content_hash=f"h{number}",
            published_at=when,
            fetched_at=when,
        )
        session.add(article)
        session.flush()
        assert article.id is not None
        return article.id


def ids(store: Store, query: str, **kwargs: object) -> list[int]:
    return [hit.article_id for hit in search_articles(store, query, **kwargs).hits]  # type: ignore[arg-type]


def test_title_hits_rank_above_text_hits_and_more_relevant_first(store: Store) -> None:
    in_text = add(store, "Harbour news", "Officials said grain shipments resumed on Monday after talks.")
    in_title = add(store, "Grain shipments resume", "Officials said the harbour reopened on Monday.")
    unrelated = add(store, "Football results", "The home side won by two goals.")
    assert ids(store, "grain") == [in_title, in_text]
    once = add(store, "Market report", "Copper rose. " + "Prices were flat elsewhere. " * 5)
    thrice = add(store, "Market review", "Copper rose, copper stocks gained and copper futures jumped.")
    assert ids(store, "copper")[:2] == [thrice, once]
    assert unrelated not in ids(store, "grain OR copper")


def test_phrases_or_not_and_prefix(store: Store) -> None:
    adjacent = add(store, "Grain exports rise", "Ukraine's grain exports rose in May.")
    apart = add(store, "Exports of steel", "Steel exports fell while grain prices rose.")
    wheat = add(store, "Wheat harvest", "A record wheat harvest is expected.")
    assert ids(store, '"grain exports"') == [adjacent]
    assert set(ids(store, "grain exports")) == {adjacent, apart}
    assert set(ids(store, "grain OR wheat")) == {adjacent, apart, wheat}
    assert ids(store, "grain -steel") == [adjacent]
    assert ids(store, "grain NOT steel") == [adjacent]
    assert set(ids(store, "harv*")) == {wheat}
    assert set(ids(store, "(steel OR wheat) -harvest")) == {apart}


def test_accents_and_stemming_are_folded(store: Store) -> None:
    zurich = add(store, "Zürich talks", "Negotiators met in Zürich for the café summit.")
    assert ids(store, "zurich") == [zurich]
    assert ids(store, "ZÜRICH cafe") == [zurich]
    exports = add(store, "Exporting more", "The country exported less rice than it exports usually.")
    assert exports in ids(store, "export")


def test_since_keeps_only_recent_articles(store: Store) -> None:
    old = add(store, "Flood warning", "Rivers rose.", age=timedelta(days=10))
    new = add(store, "Flood warning again", "Rivers rose again.", age=timedelta(days=1))
    assert set(ids(store, "flood")) == {old, new}
    assert ids(store, "flood", since=utcnow() - timedelta(days=7)) == [new]


def test_paging_has_no_duplicates_or_gaps_even_when_articles_arrive(store: Store) -> None:
    expected = {
        add(store, f"Election update {n}", "Voters went to the polls. " * (1 + n % 4)) for n in range(23)
    }
    page = search_articles(store, "election", limit=10)
    seen = [h.article_id for h in page.hits]
    assert page.total == 23
    assert not page.capped
    add(store, "Election update breaking", "A new article arrives between pages.")
    while page.next_cursor is not None:
        page = search_articles(store, "election", limit=10, cursor=page.next_cursor)
        seen += [h.article_id for h in page.hits]
    assert len(seen) == len(set(seen)) == 23
    assert set(seen) == expected
    for bad in ("not-a-cursor", "5.-1.", "5.0..9", "5.0.zzzzzzzzzzzzzz", "1.2.3.4.5"):
        with pytest.raises(InvalidCursor):
            search_articles(store, "election", cursor=bad)


def test_snippets_mark_the_matches_neutrally(store: Store) -> None:
    add(
        store, "Port strike", "Dock workers began a strike at the port on Tuesday, halting container traffic."
    )
    (hit,) = search_articles(store, "strike").hits
    assert any("strike" in part.lower() for part in hit.snippet.matched)
    assert "\x02" not in hit.snippet.plain
    assert "\x03" not in hit.snippet.plain
    assert "**strike**" in hit.snippet.render("**", "**").lower()
    assert hit.source == "Wire"
    assert hit.published is not None
    assert hit.published.utcoffset() == timedelta(0)


HOSTILE = [
    'grain"',
    '"',
    '""',
    "NEAR(grain exports)",
    "NEAR(grain, 2)",
    "*",
    "grain*",
    "title:grain",
    ":",
    "^grain",
    "grain^",
    "grain AND",
    "OR grain",
    "grain OR OR wheat",
    "-grain",
    "NOT",
    "((grain)",
    "grain)",
    "{title}: grain",
    "grain'; DROP TABLE articles; --",
    "grain \\ wheat",
    "x" * 5000,
    " ".join(["grain"] * 200),
    "\x00grain",
    "grain & wheat | !rice <-> corn:*",
    "é*",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_raise_database_errors(store: Store, query: str) -> None:
    add(store, "Grain exports", "Grain and wheat prices.")
    error: QuerySyntaxError | None = None
    try:
        search_articles(store, query)
    except QuerySyntaxError as exc:  # the one error a query may give: a sentence with its column
        error = exc
    if error is not None:
        assert error.column >= 1
        assert "column" in str(error)
    with store.session() as session:
        assert session.exec(select(Article)).all()  # nothing was dropped or changed


@pytest.mark.parametrize(
    ("query", "column"),
    [('grain "exports', 7), ("grain (exports", 7), ("grain OR", 7), ("-grain", 1), ("grain )", 7), ("", 1)],
)
def test_syntax_errors_carry_their_column(query: str, column: int) -> None:
    with pytest.raises(QuerySyntaxError) as raised:
        parse_search(query)
    assert raised.value.column == column


def test_operator_words_in_quotes_are_plain_words(store: Store) -> None:
    both = add(store, "Trade or tariffs", "The committee discussed trade or tariffs, not both.")
    add(store, "Trade deal", "A trade deal was signed.")
    assert ids(store, '"trade or tariffs"') == [both]


def test_triggers_keep_the_index_in_sync(store: Store) -> None:
    article_id = add(store, "Volcano erupts", "Ash clouds over the island.")
    assert ids(store, "volcano") == [article_id]
    with store.session() as session:
        row = session.get(Article, article_id)
        assert row is not None
        row.title = "Earthquake strikes"
        row.text = "Buildings shook."
        session.add(row)
    assert ids(store, "volcano") == []
    assert ids(store, "earthquake") == [article_id]
    with store.session() as session:
        row = session.get(Article, article_id)
        session.delete(row)
    assert ids(store, "earthquake") == []


def test_bounded_work_ranks_only_the_newest_candidates_and_says_so(store: Store) -> None:
    oldest = add(store, "Budget budget budget", "Budget.", age=timedelta(days=3))
    newer = [
        add(store, f"Note {n}", "The budget was mentioned once.", age=timedelta(hours=n)) for n in range(5)
    ]
    page = search_articles(store, "budget", candidates=4, limit=10)
    assert page.capped
    assert page.note == "showing the best of the newest 4 matches"
    assert page.total == 4
    assert oldest not in [h.article_id for h in page.hits]  # the best match, but stored before the newest 4
    assert {h.article_id for h in page.hits} == set(newer[-4:])  # newest by storage order (id)
    full = search_articles(store, "budget", limit=10)
    assert not full.capped
    assert full.note == ""
    assert full.hits[0].article_id == oldest


def insert_old_rows(connection: Connection, *articles: tuple[int, str, str]) -> None:
    """A source and ``(id, title, text)`` articles in plain SQL, as a database from before a migration
    holds them (the models describe the newest schema only)."""
    connection.execute(
        text(
            "INSERT INTO sources (id, name, url, kind, every_seconds, backfill_seconds, origin, paused, "
            "consecutive_failures) VALUES (1, 'Old', 'https://o.example/f', 'rss', 600, 86400, 'config', "
            "false, 0)"
        )
    )
    for number, title, body in articles:
        connection.execute(
            text(
                "INSERT INTO articles (id, source_id, url, title, text, summary, text_origin, content_hash, "
                "alerted) VALUES (:id, 1, :url, :title, :text, '', 'feed', :hash, true)"
            ),
            {
                "id": number,
                "url": f"https://o.example/{number}",
                "title": title,
                "text": body,
                "hash": f"h{number}",
            },
        )


def test_the_migration_backfills_existing_articles(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            command.upgrade(_alembic_config(connection), "0001")
            insert_old_rows(connection, (7, "Archived glacier report", "Melting ice."))
    finally:
        engine.dispose()
    store = Store.open(database_url)
    try:
        assert ids(store, "glacier") == [7]
        assert ids(store, "melting") == [7]
    finally:
        store.close()


def test_0009_swaps_the_stored_vector_for_an_expression_index_with_data_in_place(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            command.upgrade(_alembic_config(connection), "0008")
            insert_old_rows(connection, (7, "Zürich glacier report", "Melting ice near the café."))
            command.upgrade(_alembic_config(connection), "0009")
            columns = {c["name"] for c in inspect(connection).get_columns("articles")}
            assert schema.VECTOR_COLUMN not in columns
    finally:
        engine.dispose()
    store = Store.open(database_url)
    try:
        assert ids(store, "zurich cafe") == [7]
        assert ids(store, '"glacier report"') == [7]
        assert ids(store, '"report glacier"') == []
        with store.engine.begin() as connection:
            command.downgrade(_alembic_config(connection), "0008")
            if store.dialect == "postgresql":
                found = connection.execute(
                    text(f"SELECT id FROM articles WHERE {schema.VECTOR_COLUMN} @@ to_tsquery('zurich')")
                ).scalars()
                assert list(found) == [7]
    finally:
        store.close()


def stopwatch_cut_after(calls: int) -> object:
    """A clock that stands still for ``calls`` readings and then jumps far past any budget."""
    readings = count()
    return lambda: 0.0 if next(readings) < calls else 1e9


def all_pages(store: Store, query: str, page: engine.SearchPage) -> list[int]:
    seen = [h.article_id for h in page.hits]
    while page.next_cursor is not None:  # later pages run without a budget, on page 1's range
        page = search_articles(store, query, limit=2, cursor=page.next_cursor)
        seen += [h.article_id for h in page.hits]
    return seen


def test_a_budget_cut_inside_a_slice_keeps_what_was_read_and_pages_stay_exact(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(slices, "FIRST_SLICE", 4)
    monkeypatch.setattr(slices, "RANK_CHUNK", 2)
    monkeypatch.setattr(slices, "PROGRESS_STEPS", 10)
    made = [add(store, f"Drought report {n}", "Dry fields.") for n in range(10)]
    archive = add(store, "Flood report", "Wet fields.")  # the newest id, not a match
    searched_sizes = set()
    for calls in range(0, 150, 5):  # the budget runs out at a different point of the work each time
        monkeypatch.setattr(slices, "clock", stopwatch_cut_after(calls))
        page = search_articles(store, "drought", budget=1.0, limit=2)
        monkeypatch.setattr(slices, "clock", stopwatch_cut_after(10**9))
        assert page.archive == archive
        if page.partial:
            assert (
                page.note
                == f"searched the newest {page.searched:,} of {archive:,} articles in the time allowed"
            )
        else:
            assert page.note == ""
        floor = archive - page.searched
        expected = [i for i in made if i > floor]
        assert page.total == len(expected)
        assert sorted(all_pages(store, "drought", page)) == expected  # no duplicates, no gaps
        searched_sizes.add(page.searched)
    slice_edges = {0, 4, archive}  # the newest 4 ids, then the next 8 (the rest)
    inside = searched_sizes - slice_edges
    assert inside, f"no cut inside a slice among {sorted(searched_sizes)}"
    assert archive in searched_sizes  # and a late enough cut is no cut at all


def test_a_spent_budget_before_any_reading_answers_empty_and_says_so(store: Store) -> None:
    made = [add(store, f"Drought report {n}", "Dry fields.") for n in range(3)]
    page = search_articles(store, "drought", budget=0.0)
    assert page.partial
    assert page.total == 0
    assert page.next_cursor is None
    assert page.note == f"searched the newest 0 of {made[-1]:,} articles in the time allowed"
    whole = search_articles(store, "drought", limit=10)  # doubling slices reach the oldest
    assert not whole.partial
    assert whole.total == 3


@postgresql_only  # statement_timeout is PostgreSQL's; SQLite's cut is covered above
def test_a_statement_cancelled_by_the_budget_gives_a_partial_page_not_an_error(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = [add(store, f"Drought report {n}", "Dry fields.") for n in range(3)]
    original = slices.Slices.__init__

    def slow_lookup(self: slices.Slices, *args: Any) -> None:
        original(self, *args)
        self.ranked = text("SELECT id, 1.0 FROM articles, pg_sleep(5)")  # far beyond the budget

    monkeypatch.setattr(slices.Slices, "__init__", slow_lookup)
    page = search_articles(store, "drought", budget=0.05)
    assert page.partial
    assert page.total == 0
    monkeypatch.undo()
    assert search_articles(store, "drought").total == len(made)  # the connection is usable again
