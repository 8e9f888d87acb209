"""Baseline: every table of synth before migrations existed.

Written so that it also completes a store made by an older synth (tables created on first use, no
`alembic_version`): tables that are missing are created, tables that exist are kept with their data, and the
columns added to older stores one by one (`date_precision`, `text_hash`, `host`, `pid`) are added where absent.
The definitions are frozen here on purpose: later changes to the models get their own revision.

Revision ID: 0001
Revises:
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_meta = sa.MetaData()
S, Int, Txt, Bin, Json, Time = sa.String, sa.Integer, sa.Text, sa.LargeBinary, sa.JSON, sa.DateTime


def _col(name: str, type_: sa.types.TypeEngine | type, *args: object, **kw: object) -> sa.Column:
    kw.setdefault("nullable", False)
    return sa.Column(name, type_, *args, **kw)  # type: ignore[arg-type]


# In creation order (foreign keys point backwards).
TABLES = [
    sa.Table("ingest_runs", _meta, _col("id", Int, primary_key=True, autoincrement=True),
             _col("started_at", Time), _col("finished_at", Time, nullable=True), _col("status", S(16)),
             _col("sources", Json), _col("counts", Json), _col("seconds", sa.Float, nullable=True),
             _col("host", S(255), nullable=True), _col("pid", Int, nullable=True)),
    sa.Table("records", _meta, _col("id", S(128), primary_key=True), _col("kind", S(32), index=True),
             _col("text", Txt), _col("district", S(100), nullable=True, index=True),
             _col("location", S(500), nullable=True), _col("date", sa.Date, nullable=True, index=True),
             _col("date_precision", S(8), server_default="day"),
             _col("meeting_id", S(128), nullable=True, index=True), _col("note_taker", S(64), nullable=True),
             _col("attendee_count", Int, nullable=True), _col("channel", S(32)), _col("language", S(16)),
             _col("top_concerns", Json), _col("overall_sentiment", S(16), nullable=True),
             _col("source_file", S(1000)), _col("source_row", Int), _col("redactions", Json),
             _col("text_hash", S(64), nullable=True),
             _col("run_id", Int, sa.ForeignKey("ingest_runs.id"), nullable=True),
             _col("ingested_at", Time), _col("indexed", sa.Boolean, index=True)),
    sa.Table("chunks", _meta, _col("id", S(140), primary_key=True),
             _col("record_id", S(128), sa.ForeignKey("records.id", ondelete="CASCADE"), index=True),
             _col("idx", Int), _col("text", Txt), _col("tokens", Int)),
    sa.Table("rejections", _meta, _col("id", Int, primary_key=True, autoincrement=True),
             _col("run_id", Int, sa.ForeignKey("ingest_runs.id"), index=True), _col("file", S(1000)),
             _col("row", Int, nullable=True), _col("field", S(100), nullable=True), _col("reason", Txt)),
    sa.Table("meta", _meta, _col("key", S(64), primary_key=True), _col("value", Txt)),
    sa.Table("tombstones", _meta, _col("record_id", S(128), primary_key=True), _col("deleted_at", Time)),
    sa.Table("deletions", _meta, _col("id", Int, primary_key=True, autoincrement=True),
             _col("record_id", S(128), index=True), _col("at", Time), _col("reason", S(16)),
             _col("removed", Json)),
    sa.Table("spans", _meta, _col("id", S(160), primary_key=True),
             _col("record_id", S(128), sa.ForeignKey("records.id", ondelete="CASCADE"), index=True),
             _col("idx", Int), _col("text", Txt), _col("vector", Bin), _col("sentiment_label", S(16)),
             _col("sentiment_score", sa.Float), _col("annotator", S(200), index=True)),
    sa.Table("themes", _meta, _col("id", S(64), primary_key=True), _col("data", Json), _col("centroid", Bin),
             _col("updated_at", Time)),
    sa.Table("theme_edits", _meta, _col("id", Int, primary_key=True, autoincrement=True), _col("at", Time),
             _col("action", S(16)), _col("payload", Json)),
    sa.Table("summaries", _meta, _col("id", Int, primary_key=True, autoincrement=True),
             _col("district", S(100), index=True), _col("period", S(32), index=True),
             _col("fingerprint", S(64), index=True), _col("document", Json), _col("created_at", Time),
             _col("current", sa.Boolean, index=True)),
    sa.Table("learned_decisions", _meta, _col("key", S(64), primary_key=True), _col("decisions", Bin),
             _col("created_at", Time)),
    sa.Table("llm_annotations", _meta, _col("record_hash", S(64), primary_key=True),
             _col("prompt", S(64), primary_key=True), _col("model", S(200), primary_key=True),
             _col("taxonomy", S(64), primary_key=True), _col("annotation", Json), _col("created_at", Time)),
    sa.Table("ask_cache", _meta, _col("key", S(32), primary_key=True), _col("fingerprint", S(64)),
             _col("refreshed", sa.Boolean), _col("built_at", Time), _col("data", Bin)),
    sa.Table("ask_conversations", _meta, _col("id", S(64), primary_key=True), _col("context", Json),
             _col("turns", Int), _col("updated_at", Time)),
]

# Columns that older stores gained one at a time, before migrations (table, column, type, server default).
_LATE_COLUMNS: list[tuple[str, str, sa.types.TypeEngine[Any], str | None]] = [
    ("records", "date_precision", S(8), "day"), ("records", "text_hash", S(64), None),
    ("ingest_runs", "host", S(255), None), ("ingest_runs", "pid", Int(), None)]


def upgrade() -> None:
    bind = op.get_bind()
    present = set(sa.inspect(bind).get_table_names())
    for table in TABLES:
        if table.name not in present:
            table.create(bind)
    insp = sa.inspect(bind)
    for table_name, column, type_, default in _LATE_COLUMNS:
        if column not in {c["name"] for c in insp.get_columns(table_name)}:
            op.add_column(table_name, sa.Column(column, type_, nullable=default is None, server_default=default))


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table.name)
