"""ask_cache.fingerprint holds the store's digest and the settings it was built with ("<64 hex>|regex"): 64
characters were too few (PostgreSQL refused the row; SQLite does not check lengths). The table is a cache,
rebuilt by the next question, so it is made again rather than altered (which SQLite cannot do in place).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _create(fingerprint_chars: int) -> None:
    op.create_table("ask_cache", sa.Column("key", sa.String(32), primary_key=True),
                    sa.Column("fingerprint", sa.String(fingerprint_chars), nullable=False),
                    sa.Column("refreshed", sa.Boolean, nullable=False),
                    sa.Column("built_at", sa.DateTime, nullable=False),
                    sa.Column("data", sa.LargeBinary, nullable=False))


def upgrade() -> None:
    op.drop_table("ask_cache")
    _create(200)


def downgrade() -> None:
    op.drop_table("ask_cache")
    _create(64)
