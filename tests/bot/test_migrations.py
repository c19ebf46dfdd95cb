"""Every migration downgrades and upgrades again with data in every table, on both databases."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlmodel import select

from bot.models import Article, Delivery, Source
from bot.store import _alembic_config
from tests.bot.test_dispatch import _add, _setup


def test_down_to_the_first_migration_and_up_again_keeps_the_rows(database_url: str, tmp_path: Path) -> None:
    store = _setup(database_url, tmp_path)  # sources, a topic, a channel and its subscription
    try:
        _add(store, "A", "https://a.example/1")  # an article, its story, match, homes and a delivery
        with store.engine.begin() as connection:
            command.downgrade(_alembic_config(connection), "0001")
            command.upgrade(_alembic_config(connection), "head")
        with store.session() as session:
            assert sorted(s.name for s in session.exec(select(Source))) == ["A", "B"]
            assert [a.url for a in session.exec(select(Article))] == ["https://a.example/1"]
            assert len(session.exec(select(Delivery)).all()) == 1
    finally:
        store.close()
