"""full-text search: FTS5 on SQLite, a tsvector with a GIN index on PostgreSQL; newest-first indexes

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

Both search structures are filled from the existing rows during the upgrade (FTS5 ``rebuild``; the
generated column is computed while PostgreSQL rewrites the table), so a large archive makes this
migration take a while once. The two ``matches`` indexes let /latest page newest first without sorting.
"""

from __future__ import annotations

from alembic import op

from bot.search import schema

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.create_index("ix_matches_matched_at_id", ["matched_at", "id"], unique=False)
        batch_op.create_index(
            "ix_matches_topic_matched_at_id", ["topic_id", "matched_at", "id"], unique=False
        )
    statements = schema.SQLITE_UPGRADE if op.get_bind().dialect.name == "sqlite" else schema.POSTGRES_UPGRADE
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in schema.SQLITE_DOWNGRADE if dialect == "sqlite" else schema.POSTGRES_DOWNGRADE:
        op.execute(statement)
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_index("ix_matches_topic_matched_at_id")
        batch_op.drop_index("ix_matches_matched_at_id")
