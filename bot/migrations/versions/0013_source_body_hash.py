"""source body hash: the digest of the last feed body parsed, so the same bytes again cost no parsing

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.migrations.columns import drop_columns

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sources", sa.Column("body_hash", sa.String(), nullable=True))


def downgrade() -> None:
    drop_columns("sources", "body_hash")
