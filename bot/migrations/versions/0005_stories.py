"""stories: article homes, SimHash bands, the story-term index, term frequencies, per-topic summaries

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "article_homes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("guid", sa.String(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"]),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("url"),
    )
    with op.batch_alter_table("article_homes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_article_homes_article_id"), ["article_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_article_homes_source_id"), ["source_id"], unique=False)
        batch_op.create_index("ix_article_homes_source_guid", ["source_id", "guid"], unique=False)
    # every stored article keeps its own URL as its first home
    op.execute(
        "INSERT INTO article_homes (article_id, source_id, url, guid, title, published_at, fetched_at) "
        "SELECT id, source_id, url, guid, title, published_at, fetched_at FROM articles"
    )

    op.create_table(
        "article_fingerprints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("band", sa.Integer(), nullable=False),
        sa.Column("simhash", sa.String(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("article_fingerprints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_article_fingerprints_article_id"), ["article_id"], unique=False)
        batch_op.create_index("ix_article_fingerprints_band_seen", ["band", "seen_at"], unique=False)

    op.create_table(
        "story_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["story_id"], ["stories.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("story_id", "term", name="uq_story_terms_story_term"),
    )
    with op.batch_alter_table("story_terms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_story_terms_story_id"), ["story_id"], unique=False)
        batch_op.create_index("ix_story_terms_term_seen", ["term", "seen_at"], unique=False)

    op.create_table(
        "term_frequencies",
        sa.Column("term", sa.String(), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term"),
    )

    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_column("summary")
    op.drop_table("term_frequencies")
    with op.batch_alter_table("story_terms", schema=None) as batch_op:
        batch_op.drop_index("ix_story_terms_term_seen")
        batch_op.drop_index(batch_op.f("ix_story_terms_story_id"))
    op.drop_table("story_terms")
    with op.batch_alter_table("article_fingerprints", schema=None) as batch_op:
        batch_op.drop_index("ix_article_fingerprints_band_seen")
        batch_op.drop_index(batch_op.f("ix_article_fingerprints_article_id"))
    op.drop_table("article_fingerprints")
    with op.batch_alter_table("article_homes", schema=None) as batch_op:
        batch_op.drop_index("ix_article_homes_source_guid")
        batch_op.drop_index(batch_op.f("ix_article_homes_source_id"))
        batch_op.drop_index(batch_op.f("ix_article_homes_article_id"))
    op.drop_table("article_homes")
