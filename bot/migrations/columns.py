"""Schema helpers shared by migrations.

Dropping a column in Alembic's batch mode copies the table on SQLite, and dropping the old copy is refused
there once other tables' foreign keys point at rows in it (articles at sources, deliveries at chats, ...).
SQLite 3.35+ and PostgreSQL both drop a plain, unindexed column in place, so downgrades do that instead.
"""

from __future__ import annotations

from alembic import op


def drop_columns(table: str, *columns: str) -> None:
    for column in columns:
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
