"""Schema and migrations: the models and the Alembic history never drift apart."""

from __future__ import annotations

from datetime import datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel, select

from bot.models import Source, utcnow
from bot.search.schema import include_in_schema_comparison
from bot.store import Store, current_revision, head_revision, upgrade
from watchers.errors import StorageError


def context(connection: Connection) -> MigrationContext:
    """Compare as Alembic would, skipping only the search objects the models cannot declare."""
    return MigrationContext.configure(connection, opts={"include_object": include_in_schema_comparison})


def test_migrations_match_the_models_and_are_idempotent(database_url: str) -> None:
    store = Store.open(database_url)
    try:
        upgrade(store.engine)  # a second upgrade is a no-op
        assert current_revision(store.engine) == head_revision()
        with store.engine.connect() as connection:
            assert compare_metadata(context(connection), SQLModel.metadata) == []
    finally:
        store.close()


def test_times_come_back_aware_utc_and_naive_times_are_refused(database_url: str) -> None:
    store = Store.open(database_url)
    try:
        now = utcnow()
        with store.session() as session:
            session.add(Source(name="s", url="https://s.example/f", last_success_at=now))
        with store.session() as session:
            row = session.exec(select(Source)).one()
            assert row.last_success_at == now
            assert row.last_success_at is not None
            assert row.last_success_at.utcoffset() is not None
        with pytest.raises(Exception, match="naive datetime"), store.session() as session:
            session.add(Source(name="t", url="https://t.example/f", last_success_at=datetime(2026, 1, 1)))
    finally:
        store.close()


def test_missing_sqlite_folder_is_a_clear_error(tmp_path: object) -> None:
    with pytest.raises(StorageError, match="does not exist"):
        Store.open("sqlite:////nonexistent-folder-for-newswatch/x.db")
