"""Ranking by title and lead on PostgreSQL: what it ranks, what it still finds, and migration 0011."""

from __future__ import annotations

from itertools import count

from alembic import command
from sqlalchemy import inspect, text

from bot.models import Article, utcnow
from bot.search import schema
from bot.search.engine import search_articles
from bot.store import Store, _alembic_config, make_engine
from tests.bot.test_search import insert_old_rows, store
from tests.databases import postgresql_only

__all__ = ["store"]  # the fixture: a store with one source, "Wire"

_numbers = count(1)
# Longer than the lead, so a word after it is "deep in the body" and never reaches the ranking vector.
FILLER = "Officials gave a long briefing on many unrelated matters before the questions began. " * 3


def add(store: Store, title: str, body: str) -> int:
    number = next(_numbers)
    with store.session() as session:
        article = Article(
            source_id=1,
            url=f"https://wire.example/r{number}",
            title=title,
            text=body,
            content_hash=f"r{number}",
            published_at=utcnow(),
            fetched_at=utcnow(),
        )
        session.add(article)
        session.flush()
        assert article.id is not None
        return article.id


def ids(store: Store, query: str, limit: int = 10) -> list[int]:
    return [hit.article_id for hit in search_articles(store, query, limit=limit).hits]


def every_page(store: Store, query: str, limit: int) -> list[int]:
    page = search_articles(store, query, limit=limit)
    seen = [hit.article_id for hit in page.hits]
    while page.next_cursor is not None:
        page = search_articles(store, query, limit=limit, cursor=page.next_cursor)
        seen += [hit.article_id for hit in page.hits]
    return seen


def test_title_beats_lead_beats_deep_body_and_deep_matches_are_still_found(store: Store) -> None:
    in_title = add(store, "Glacier retreat measured", "Scientists published new figures on Monday.")
    in_lead = add(store, "Alpine survey", "The glacier lost a tenth of its mass this year, scientists said.")
    deep = add(store, "Alpine survey again", FILLER + "Only then was the glacier mentioned.")
    assert set(ids(store, "glacier")) == {in_title, in_lead, deep}  # the newest is the deep one
    assert ids(store, "glacier")[0] == in_title
    if store.dialect == "postgresql":
        assert ids(store, "glacier") == [in_title, in_lead, deep]
        scores = [hit.score for hit in search_articles(store, "glacier").hits]
        assert scores[0] > scores[1] > scores[2] == 0.0


@postgresql_only  # SQLite ranks the whole text with BM25; only PostgreSQL ranks by title and lead
def test_deep_body_matches_tie_at_zero_and_come_newest_first_after_ranked_ones(store: Store) -> None:
    older_deep = add(store, "Budget debate", FILLER + "A tariff was proposed.")
    lead = add(store, "Budget debate", "A tariff was proposed at the start of the session.")
    newer_deep = add(store, "Budget debate", FILLER + "A tariff was proposed.")
    assert ids(store, "tariff") == [lead, newer_deep, older_deep]


def test_phrases_stay_exact_when_they_are_only_deep_in_the_body(store: Store) -> None:
    adjacent = add(store, "Trade figures", FILLER + "Grain exports rose in May.")
    apart = add(store, "Trade figures", FILLER + "Exports of steel fell while grain prices rose.")
    assert ids(store, '"grain exports"') == [adjacent]
    assert set(ids(store, "grain exports")) == {adjacent, apart}
    assert ids(store, '"exports grain"') == []


def test_paging_over_ranked_and_zero_ranked_matches_has_no_gaps_or_duplicates(store: Store) -> None:
    made = []
    for n in range(13):
        if n % 3 == 0:
            made.append(add(store, f"Harbour strike day {n}", "Dock workers stayed out."))
        elif n % 3 == 1:
            made.append(add(store, f"Port news {n}", "The harbour strike went on, " + "and on. " * n))
        else:
            made.append(add(store, f"Port news {n}", FILLER + "The harbour strike went on."))
    whole = ids(store, "harbour strike", limit=50)
    assert sorted(whole) == sorted(made)
    for limit in (1, 2, 5):
        assert every_page(store, "harbour strike", limit) == whole


def test_0011_adds_the_ranking_vector_to_existing_rows_and_downgrades_to_0010(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            command.upgrade(_alembic_config(connection), "0010")
            insert_old_rows(
                connection,
                (7, "Avalanche warning", "Snow fell all night."),
                (8, "Mountain report", "An avalanche closed the pass."),
                (9, "Mountain report", FILLER + "An avalanche closed the pass."),
            )
    finally:
        engine.dispose()
    store = Store.open(database_url)  # upgrades to head
    try:
        assert set(ids(store, "avalanche")) == {7, 8, 9}
        if store.dialect == "postgresql":
            assert ids(store, "avalanche") == [7, 8, 9]
            with store.engine.connect() as connection:
                filled = connection.execute(
                    text(
                        f"SELECT count(*) FROM articles WHERE {schema.RANK_COLUMN} @@ to_tsquery('avalanche')"
                    )
                ).scalar()
            assert filled == 2  # title and lead; article 9 has it deeper only
        with store.engine.begin() as connection:
            command.downgrade(_alembic_config(connection), "0010")
            columns = {c["name"] for c in inspect(connection).get_columns("articles")}
            assert schema.RANK_COLUMN not in columns
            if store.dialect == "postgresql":
                full_text = schema.vector_expression()
                found = connection.execute(
                    text(f"SELECT id FROM articles WHERE {full_text} @@ to_tsquery('avalanche')")
                ).scalars()
                assert sorted(found) == [7, 8, 9]  # 0010's index and function are untouched
    finally:
        store.close()
