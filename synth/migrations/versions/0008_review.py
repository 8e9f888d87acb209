"""The review queue's corrections (`review_corrections`): a coordinator's verdict on one concern sentence
(record id + span index; its theme, "not a concern", a second theme or its sentiment), who gave it and when.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_corrections",
        sa.Column("record_id", sa.String(128), sa.ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("span_index", sa.Integer, primary_key=True),
        sa.Column("span_digest", sa.String(16), nullable=False),
        sa.Column("theme_id", sa.String(64), nullable=True),
        sa.Column("also_theme", sa.String(64), nullable=True),
        sa.Column("sentiment", sa.String(16), nullable=True),
        sa.Column("reviewer", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False))


def downgrade() -> None:
    op.drop_table("review_corrections")
