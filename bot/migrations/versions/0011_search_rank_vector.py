"""search ranking: a stored vector over the title and the lead (PostgreSQL)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

PostgreSQL only (SQLite ranks from FTS5; nothing changes there). Ranking recomputed the whole vector of
every match it read (about 0.2 ms each), so queries with hundreds of matches spent most of their time
there; a stored positional vector over the title and the first ``LEAD_CHARACTERS`` characters of the
text (about 300 bytes per article) is read instead. Adding the generated column rewrites ``articles``
once, computing it for every existing row and rebuilding the table's indexes (minutes per million
articles). Downgrading drops the column, which is 0010's state.
"""

from __future__ import annotations

from alembic import op

from bot.search import schema

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in schema.POSTGRES_RANK_UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in schema.POSTGRES_RANK_DOWNGRADE:
            op.execute(statement)
