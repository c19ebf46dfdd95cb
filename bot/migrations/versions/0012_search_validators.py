"""search validators: each topic request's etag and last-modified, so search feeds poll conditionally

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.migrations.columns import drop_columns

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sources", sa.Column("query_validators", sa.JSON(), nullable=True))


def downgrade() -> None:
    drop_columns("sources", "query_validators")
