"""topics.min_score: the relevance a match must reach before a topic alerts.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.migrations.columns import drop_columns

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("topics", schema=None) as batch_op:
        batch_op.add_column(sa.Column("min_score", sa.Float(), nullable=False, server_default="2.0"))


def downgrade() -> None:
    drop_columns("topics", "min_score")
