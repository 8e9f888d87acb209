"""Synthesis tables in the system of record: concern spans (with their vectors and sentiment, computed once
per record), the theme taxonomy (with a log of coordinator edits), and stored summaries.

Vectors are kept as float16 blobs: 768 bytes a span, exact enough for cosine assignment, and they make a
lost index or a new taxonomy cheap (no re-embedding).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import time
import uuid
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    delete,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from synth.db import Base, MetaRow, RecordRow, RecordStore, _alive
from synth.errors import StoreError
from synth.synthesis.models import SentimentScore, Theme
from synth.synthesis.themes import TaxonomyState


class SpanRow(Base):
    __tablename__ = "spans"

    id: Mapped[str] = mapped_column(String(160), primary_key=True)  # f"{record_id}#{idx}"
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)
    idx: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    sentiment_label: Mapped[str] = mapped_column(String(16))
    sentiment_score: Mapped[float] = mapped_column(Float)
    annotator: Mapped[str] = mapped_column(String(200), index=True)


class ThemeRow(Base):
    __tablename__ = "themes"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # Theme.model_dump()
    centroid: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=lambda: dt.datetime.now(dt.UTC))


class ThemeEditRow(Base):
    __tablename__ = "theme_edits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=lambda: dt.datetime.now(dt.UTC))
    action: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    actor: Mapped[str | None] = mapped_column(String(100), nullable=True)  # the user; None from the command line


class SummaryRow(Base):
    __tablename__ = "summaries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    district: Mapped[str] = mapped_column(String(100), index=True)
    period: Mapped[str] = mapped_column(String(32), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=lambda: dt.datetime.now(dt.UTC))
    current: Mapped[bool] = mapped_column(Boolean, default=True, index=True)


class LearnedRow(Base):
    """The form learner's latest decisions and the fingerprint of its inputs (one row: older ones are dropped)."""
    __tablename__ = "learned_decisions"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    decisions: Mapped[bytes] = mapped_column(LargeBinary)  # zlib(JSON {"themes": [...], "spans": [[rid, idx, i]]})
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=lambda: dt.datetime.now(dt.UTC))


def _to_blob(v: np.ndarray) -> bytes:
    return np.asarray(v, dtype=np.float16).tobytes()


def _from_blob(b: bytes) -> np.ndarray:
    return np.frombuffer(b, dtype=np.float16).astype(np.float32)


@dataclass
class StoredSpan:
    record_id: str
    idx: int
    text: str
    vector: np.ndarray
    sentiment: SentimentScore


class SynthesisStore:
    def __init__(self, records: RecordStore) -> None:
        self.records = records

    # -- spans ----------------------------------------------------------------------------------------------
    def records_without_spans(self, annotator: str) -> list[str]:
        """Records with no spans made by this annotator (new records, or a new annotator version)."""
        with self.records.session() as s:
            has_spans = select(SpanRow.record_id).where(SpanRow.record_id == RecordRow.id,
                                                        SpanRow.annotator == annotator)
            q = select(RecordRow.id).where(~has_spans.exists()).order_by(RecordRow.id)
            return list(s.scalars(q))

    def replace_spans(self, record_ids: Sequence[str], spans: Sequence[StoredSpan], annotator: str) -> None:
        """Store the spans of these records (one transaction), replacing any older annotator's spans (or those
        another process stored for them meanwhile)."""
        with self.records.write_session() as s:
            for i in range(0, len(record_ids), 500):
                s.execute(delete(SpanRow).where(SpanRow.record_id.in_(record_ids[i:i + 500])))
            s.add_all(SpanRow(id=f"{sp.record_id}#{sp.idx}", record_id=sp.record_id, idx=sp.idx, text=sp.text,
                              vector=_to_blob(sp.vector), sentiment_label=sp.sentiment.label,
                              sentiment_score=sp.sentiment.score, annotator=annotator) for sp in spans)

    def load_spans(self, record_ids: Iterable[str] | None = None) -> list[StoredSpan]:
        with self.records.session() as s:
            q = select(SpanRow).order_by(SpanRow.record_id, SpanRow.idx).execution_options(yield_per=5000)
            if record_ids is not None:
                q = q.where(SpanRow.record_id.in_(list(record_ids)))
            return [StoredSpan(r.record_id, r.idx, r.text, _from_blob(r.vector),
                               SentimentScore(label=r.sentiment_label, score=r.sentiment_score))
                    for r in s.scalars(q)]

    # -- taxonomy -------------------------------------------------------------------------------------------
    def load_taxonomy(self) -> TaxonomyState:
        state = TaxonomyState()
        with self.records.session() as s:
            for row in s.scalars(select(ThemeRow).order_by(ThemeRow.id)):
                state.themes[row.id] = Theme.model_validate(row.data)
                state.centroids[row.id] = _from_blob(row.centroid)
        return state

    def save_taxonomy(self, state: TaxonomyState, action: str | None = None,
                      payload: dict[str, Any] | None = None, *, actor: str | None = None) -> None:
        """Replace the taxonomy atomically; record the edit (if any, and who made it) in the edit log."""
        with self.records.write_session() as s:
            s.execute(delete(ThemeRow))
            s.add_all(ThemeRow(id=tid, data=t.model_dump(mode="json"), centroid=_to_blob(state.centroids[tid]))
                      for tid, t in state.themes.items())
            if action:
                s.add(ThemeEditRow(action=action, payload=payload or {}, actor=actor))

    def theme_edits(self) -> list[tuple[dt.datetime, str, dict[str, Any]]]:
        with self.records.session() as s:
            return [(r.at, r.action, r.payload) for r in s.scalars(select(ThemeEditRow).order_by(ThemeEditRow.id))]

    def edit_log(self, limit: int = 100) -> list[ThemeEditRow]:
        """The newest `limit` edits, newest first (with who made them)."""
        with self.records.session() as s:
            rows = list(s.scalars(select(ThemeEditRow).order_by(ThemeEditRow.id.desc()).limit(limit)))
            s.expunge_all()
            return rows

    # -- learned decisions ----------------------------------------------------------------------------------
    def load_learned(self, key: str) -> dict[tuple[str, int], str] | None:
        """The form learner's decisions stored under this input fingerprint, or None."""
        with self.records.session() as s:
            blob = s.scalar(select(LearnedRow.decisions).where(LearnedRow.key == key))
        if blob is None:
            return None
        data = json.loads(zlib.decompress(blob))
        themes = data["themes"]
        return {(rid, idx): themes[i] for rid, idx, i in data["spans"]}

    def save_learned(self, key: str, decisions: dict[tuple[str, int], str]) -> None:
        """Keep these decisions as the only stored ones (one transaction)."""
        themes = sorted(set(decisions.values()))
        index = {t: i for i, t in enumerate(themes)}
        data = {"themes": themes, "spans": [[rid, idx, index[t]] for (rid, idx), t in sorted(decisions.items())]}
        blob = zlib.compress(json.dumps(data, separators=(",", ":")).encode(), 6)
        with self.records.write_session() as s:
            s.execute(delete(LearnedRow))
            s.add(LearnedRow(key=key, decisions=blob))

    # -- summaries ------------------------------------------------------------------------------------------
    def find_summary(self, district: str, period: str, fingerprint: str) -> dict[str, Any] | None:
        with self.records.session() as s:
            row = s.scalars(select(SummaryRow).where(SummaryRow.district == district, SummaryRow.period == period,
                                                     SummaryRow.fingerprint == fingerprint)
                            .order_by(SummaryRow.id.desc())).first()
            return dict(row.document) if row else None

    def save_summary(self, district: str, period: str, fingerprint: str, document: dict[str, Any]) -> None:
        with self.records.write_session() as s:
            s.execute(update(SummaryRow).where(SummaryRow.district == district, SummaryRow.period == period)
                      .values(current=False))
            s.add(SummaryRow(district=district, period=period, fingerprint=fingerprint, document=document))


LEASE_KEY = "refresh_lease"


class RefreshLease:
    """Who annotates: one holder per store at a time, for `seconds` unless renewed. A row in `meta` (holder,
    expiry), taken and renewed in a write transaction (SQLite `BEGIN IMMEDIATE`, PostgreSQL `FOR UPDATE`); a
    holder that died on this host, or whose lease expired, is replaced."""

    def __init__(self, records: RecordStore, seconds: float = 300.0) -> None:
        self.records = records
        self.seconds = seconds
        self.host = socket.gethostname()
        self.holder = f"{self.host}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    @contextmanager
    def held(self, wait_seconds: float = 600.0) -> Iterator[None]:
        """Hold the lease for the block, waiting (polling) while another process holds it."""
        deadline = time.monotonic() + wait_seconds
        while not self.acquire():
            if time.monotonic() > deadline:
                raise StoreError(f"another process has been annotating this store for over {wait_seconds:.0f} s; "
                                 "try again when it has finished")
            time.sleep(0.5)
        try:
            yield
        finally:
            self.release()

    def acquire(self) -> bool:
        """Take (or renew) the lease; False while another live holder has it."""
        now = time.time()
        try:
            with self.records.write_session() as s:
                row = s.get(MetaRow, LEASE_KEY, with_for_update=True)
                if row is not None:
                    holder, _, until = row.value.rpartition("|")
                    if holder != self.holder and float(until) > now and not self._dead(holder):
                        return False
                s.merge(MetaRow(key=LEASE_KEY, value=f"{self.holder}|{now + self.seconds}"))
        except IntegrityError:  # PostgreSQL: another process inserted the first lease row at the same moment
            return False
        return True

    def release(self) -> None:
        with self.records.write_session() as s:
            s.execute(delete(MetaRow).where(MetaRow.key == LEASE_KEY,
                                            MetaRow.value.startswith(f"{self.holder}|", autoescape=True)))

    def _dead(self, holder: str) -> bool:
        host, _, rest = holder.partition(":")
        pid = rest.partition(":")[0]
        return host == self.host and pid.isdigit() and not _alive(int(pid))
