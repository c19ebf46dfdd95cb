"""delivery modes: quiet hours per chat, muted topics and digest times per subscription, digest lines

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.migrations.columns import drop_columns

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chats", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quiet_hours", sa.String(), nullable=True))
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("muted_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_digest_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("in_digest", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    drop_columns("deliveries", "in_digest")
    drop_columns("subscriptions", "last_digest_at", "muted_until")
    drop_columns("chats", "quiet_hours")
