"""Background ingest jobs (`ingest_jobs`), and who sent each record (`records.submitted_by`, indexed for
listing a submitter's records).

The synth that introduced them before this revision existed made the table on first use and added the column
without its index: what exists is kept, what is missing is added.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_meta = sa.MetaData()

INGEST_JOBS = sa.Table(
    "ingest_jobs", _meta, sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False), sa.Column("submitted_by", sa.Integer, nullable=True),
    sa.Column("files", sa.JSON, nullable=False), sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime, nullable=True), sa.Column("done", sa.Integer, nullable=False),
    sa.Column("total", sa.Integer, nullable=False), sa.Column("counts", sa.JSON, nullable=False),
    sa.Column("rejections", sa.JSON, nullable=False), sa.Column("error", sa.Text, nullable=True),
    sa.Column("host", sa.String(255), nullable=True), sa.Column("pid", sa.Integer, nullable=True))
_INDEX = "ix_records_submitted_by"


def upgrade() -> None:
    bind = op.get_bind()
    insp = sa.inspect(bind)
    if not insp.has_table("ingest_jobs"):
        INGEST_JOBS.create(bind)
    if "submitted_by" not in {c["name"] for c in insp.get_columns("records")}:
        op.add_column("records", sa.Column("submitted_by", sa.Integer, nullable=True))
    if _INDEX not in {i["name"] for i in insp.get_indexes("records")}:
        op.create_index(_INDEX, "records", ["submitted_by"])


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="records")
    with op.batch_alter_table("records") as batch:
        batch.drop_column("submitted_by")
    op.drop_table("ingest_jobs")
