"""Alembic environment: always given a live connection by ``bot.store.upgrade`` (never an ini URL)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import bot.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from bot.search.schema import include_in_schema_comparison

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_object=include_in_schema_comparison,
)
with context.begin_transaction():
    context.run_migrations()
