"""Community contacts officers log (`contacts`: synth/contacts.py).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
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
        "contacts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("district", sa.String(100), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("residents", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("logged_by", sa.Integer, nullable=True),
        sa.Column("logged_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_contacts_district", "contacts", ["district"])
    op.create_index("ix_contacts_day", "contacts", ["day"])
    op.create_index("ix_contacts_logged_by", "contacts", ["logged_by"])


def downgrade() -> None:
    op.drop_table("contacts")
