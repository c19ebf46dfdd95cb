"""search storage: a GIN expression index replaces PostgreSQL's stored tsvector column

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

PostgreSQL only (SQLite keeps its FTS5 table; nothing changes there). The stored positional tsvector
cost about 1,200 bytes per article; the GIN index over the same expression keeps no positions and is
built from the existing rows during the upgrade (about two minutes per million articles). Dropping the
column does not rewrite the table: existing rows give their bytes back only when rewritten, e.g. by
``VACUUM FULL articles`` at a quiet time.
"""

from __future__ import annotations

from alembic import op

from bot.search import schema

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in schema.POSTGRES_EXPRESSION_UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in schema.POSTGRES_EXPRESSION_DOWNGRADE:
            op.execute(statement)
