"""Removing a source keeps every article it carried, including other outlets' articles it republished."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from bot.archive import content_hash, store_article, story_sources
from bot.models import Source
from bot.source_admin import remove_source
from bot.store import Store
from watchers.entries import Article as ArticleData

WHEN = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
TEXT = " ".join(["Ministers met in Brussels on Tuesday to agree the harbour budget for next year."] * 5)


def _report(url: str) -> ArticleData:
    return ArticleData(
        url=url,
        title="Harbour budget agreed",
        text=TEXT,
        published=WHEN,
        text_origin="page",
        content_hash=content_hash(TEXT),
    )


def test_a_source_that_only_republished_others_is_kept_as_removed_not_deleted(database_url: str) -> None:
    store = Store.open(database_url)
    try:
        with store.session() as session:
            rows = [
                Source(name="Wire", url="https://wire.example/feed", origin="cli"),
                Source(name="Reprint", url="https://reprint.example/feed", origin="cli"),
                Source(name="Unused", url="https://unused.example/feed", origin="cli"),
            ]
            session.add_all(rows)
            session.flush()
            wire, reprint = (r.id for r in rows[:2])
        assert wire is not None
        assert reprint is not None
        first = store_article(
            store, source_id=wire, data=_report("https://wire.example/1"), summary="", matches=[], alert=False
        )
        copy = store_article(
            store,
            source_id=reprint,
            data=_report("https://reprint.example/9"),
            summary="",
            matches=[],
            alert=False,
        )
        assert first is not None
        assert copy is not None
        assert copy.home_only

        said = remove_source(store, "Reprint")
        assert said == "removed 'Reprint'; its 1 stored articles stay searchable"
        assert remove_source(store, "Unused") == "removed 'Unused'"
        with store.session() as session:
            left = {s.name: (s.origin, s.paused) for s in session.exec(select(Source))}
            outlets = [s.name for s in story_sources(session, first.story_id)]
    finally:
        store.close()
    assert left == {"Wire": ("cli", False), "Reprint": ("removed", True)}
    assert outlets == ["Wire", "Reprint"]  # the story still says who carried it
