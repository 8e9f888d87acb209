"""Who made each taxonomy edit (`theme_edits.actor`: the signed-in user; empty for edits from the command line).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if "actor" not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("theme_edits")}:
        op.add_column("theme_edits", sa.Column("actor", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("theme_edits") as batch:
        batch.drop_column("actor")
