"""Accounts, API tokens and sessions (hashes only), and the audit trail.

Stores opened by the synth that introduced them before this revision existed already made these tables on
first use: tables that exist are kept as they are.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_meta = sa.MetaData()
_Time = sa.DateTime(timezone=True)

TABLES = [
    sa.Table("users", _meta, sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
             sa.Column("name", sa.String(64), nullable=False, unique=True),
             sa.Column("role", sa.String(16), nullable=False),
             sa.Column("password_hash", sa.String(255), nullable=True),
             sa.Column("created_at", _Time, nullable=False),
             sa.Column("failed_signins", sa.Integer, nullable=False),
             sa.Column("locked_until", _Time, nullable=True)),
    sa.Table("api_tokens", _meta, sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
             sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                       index=True),
             sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
             sa.Column("kind", sa.String(16), nullable=False),
             sa.Column("created_at", _Time, nullable=False),
             sa.Column("expires_at", _Time, nullable=True)),
    sa.Table("audit_log", _meta, sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
             sa.Column("at", _Time, nullable=False, index=True),
             sa.Column("actor", sa.String(64), nullable=False, index=True),
             sa.Column("action", sa.String(64), nullable=False, index=True),
             sa.Column("target", sa.String(300), nullable=False),
             sa.Column("detail", sa.Text, nullable=False)),
]


def upgrade() -> None:
    bind = op.get_bind()
    present = set(sa.inspect(bind).get_table_names())
    for table in TABLES:
        if table.name not in present:
            table.create(bind)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table.name)
