"""System of record: SQLite (or any SQLAlchemy URL) holding every accepted record, its chunks, the
rejections and the ingest runs.

The vector index is derived data: if it is lost or built with another embedder, `synth reindex` rebuilds it
from here. A record is committed with `indexed = False` and flipped to True only after its chunks are in the
index, so a crash between the two leaves a record that the next ingest or reindex finishes.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    func,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from synth.db_engine import make_engine as make_base_engine
from synth.db_engine import write_engine
from synth.models import Chunk, Record, Rejection
from synth.schema import upgrade


class Base(DeclarativeBase):
    pass


class RecordRow(Base):
    __tablename__ = "records"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    text: Mapped[str] = mapped_column(Text)
    district: Mapped[str | None] = mapped_column(String(100), index=True)
    location: Mapped[str | None] = mapped_column(String(500))
    date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    date_precision: Mapped[str] = mapped_column(String(8), default="day", server_default="day")
    meeting_id: Mapped[str | None] = mapped_column(String(128), index=True)
    note_taker: Mapped[str | None] = mapped_column(String(64))
    attendee_count: Mapped[int | None] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(16))
    top_concerns: Mapped[list[str]] = mapped_column(JSON, default=list)
    overall_sentiment: Mapped[str | None] = mapped_column(String(16))
    source_file: Mapped[str] = mapped_column(String(1000))
    source_row: Mapped[int] = mapped_column(Integer)
    redactions: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    text_hash: Mapped[str | None] = mapped_column(String(64))  # salted digest of the original text
    run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_runs.id"))
    submitted_by: Mapped[int | None] = mapped_column(Integer, index=True)  # the API user who sent it
    ingested_at: Mapped[dt.datetime] = mapped_column(DateTime, default=lambda: dt.datetime.now(dt.UTC))
    indexed: Mapped[bool] = mapped_column(Boolean, default=False, index=True)


class ChunkRow(Base):
    __tablename__ = "chunks"

    id: Mapped[str] = mapped_column(String(140), primary_key=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)
    idx: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    tokens: Mapped[int] = mapped_column(Integer)


class RejectionRow(Base):
    __tablename__ = "rejections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("ingest_runs.id"), index=True)
    file: Mapped[str] = mapped_column(String(1000))
    row: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)


class IngestRunRow(Base):
    __tablename__ = "ingest_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=lambda: dt.datetime.now(dt.UTC))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|done|interrupted|failed
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    seconds: Mapped[float | None] = mapped_column(Float)
    host: Mapped[str | None] = mapped_column(String(255))  # where the run's process is (for a stale "running")
    pid: Mapped[int | None] = mapped_column(Integer)


class MetaRow(Base):
    """Small key/value facts about the store, e.g. which embedder built the index."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class TombstoneRow(Base):
    """A record deleted on request: its id (a hash of the original text, or the source's id) and when. Ingest
    skips these ids, so re-importing the same export does not bring the record back. No text is kept."""

    __tablename__ = "tombstones"

    record_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    deleted_at: Mapped[dt.datetime] = mapped_column(DateTime, default=lambda: dt.datetime.now(dt.UTC))


class DeletionRow(Base):
    """The audit log of deletions: which record, when, why (request|retention) and how many stored items went
    with it. Never what it said."""

    __tablename__ = "deletions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(String(128), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=lambda: dt.datetime.now(dt.UTC))
    reason: Mapped[str] = mapped_column(String(16))
    removed: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)


def make_engine(url: str) -> Engine:
    """An engine over a store upgraded to this version's schema (synth/schema.py: in one guarded step)."""
    engine = make_base_engine(url)
    upgrade(engine)
    return engine


def record_to_row(rec: Record, run_id: int | None) -> RecordRow:
    data = rec.model_dump(mode="python")
    data["kind"] = rec.kind.value
    data["channel"] = rec.channel.value
    data["overall_sentiment"] = rec.overall_sentiment.value if rec.overall_sentiment else None
    return RecordRow(**data, text_hash=rec.text_hash, run_id=run_id, indexed=False)


def row_to_record(row: RecordRow) -> Record:
    return Record.model_validate(
        {c: getattr(row, c) for c in Record.model_fields},
    )


@dataclass
class DistrictStats:
    district: str | None
    records: int = 0
    notes: int = 0
    comments: int = 0
    meetings: int = 0
    attendees: int = 0
    redactions: int = 0


class RecordStore:
    """Thin repository over the SQL system of record. Every write is one transaction."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(write_engine(self.engine), expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as s:
            yield s

    @contextmanager
    def write_session(self) -> Iterator[Session]:
        """A transaction that takes the write lock when it begins (SQLite `BEGIN IMMEDIATE`), so what it reads
        cannot change before it writes, and another process's write makes it wait, not fail."""
        with self._write_sessions.begin() as s:
            yield s

    def close(self) -> None:
        self.engine.dispose()

    # -- runs -----------------------------------------------------------------------------------------------
    def start_run(self, sources: Sequence[str]) -> int:
        """Record a new run as running (with this process's host and pid). Runs left "running" by a process
        on this host that no longer exists (killed, or the machine stopped) are recorded as interrupted."""
        host, pid = socket.gethostname(), os.getpid()
        with self.write_session() as s:
            running = s.execute(select(IngestRunRow.id, IngestRunRow.pid)
                                .where(IngestRunRow.status == "running", IngestRunRow.host == host)).all()
            dead = [rid for rid, other in running if other is not None and not _alive(other)]
            if dead:
                s.execute(update(IngestRunRow).where(IngestRunRow.id.in_(dead))
                          .values(status="interrupted", finished_at=dt.datetime.now(dt.UTC)))
            run = IngestRunRow(sources=list(sources), host=host, pid=pid)
            s.add(run)
            s.flush()
            return run.id

    def finish_run(self, run_id: int, status: str, counts: dict[str, Any], seconds: float) -> None:
        with self.write_session() as s:
            s.execute(
                update(IngestRunRow)
                .where(IngestRunRow.id == run_id)
                .values(status=status, counts=counts, seconds=seconds, finished_at=dt.datetime.now(dt.UTC))
            )

    # -- writes ---------------------------------------------------------------------------------------------
    def add_batch(
        self, records: Sequence[Record], chunks: Sequence[Chunk], rejections: Sequence[Rejection], run_id: int
    ) -> dict[str, str | None]:
        """Commit a batch of new records, their chunks and the batch's rejections atomically. Records whose id
        another writer stored since the caller looked are left out with their chunks and returned (id -> that
        record's text digest), for the caller to count as duplicates or conflicts; the rest are stored."""
        for attempt in range(3):
            try:
                with self.write_session() as s:
                    taken = self._stored_hashes(s, [r.id for r in records])
                    s.add_all(record_to_row(r, run_id) for r in records if r.id not in taken)
                    s.flush()  # records before chunks: the foreign key needs them
                    s.add_all(ChunkRow(id=c.id, record_id=c.record_id, idx=c.index, text=c.text, tokens=c.tokens)
                              for c in chunks if c.record_id not in taken)
                    s.add_all(RejectionRow(run_id=run_id, file=r.file, row=r.row, field=r.field, reason=r.reason)
                              for r in rejections)
                return taken
            except IntegrityError:  # PostgreSQL: another writer committed one of these ids since the look-up
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def add_rejections(self, rejections: Sequence[Rejection], run_id: int) -> None:
        with self.write_session() as s:
            s.add_all(RejectionRow(run_id=run_id, file=r.file, row=r.row, field=r.field, reason=r.reason)
                      for r in rejections)

    def mark_indexed(self, record_ids: Iterable[str], indexed: bool = True) -> None:
        ids = list(record_ids)
        with self.write_session() as s:
            for start in range(0, len(ids), 500):
                s.execute(update(RecordRow).where(RecordRow.id.in_(ids[start:start + 500])).values(indexed=indexed))

    def mark_all_unindexed(self) -> None:
        with self.write_session() as s:
            s.execute(update(RecordRow).values(indexed=False))

    # -- reads ----------------------------------------------------------------------------------------------
    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        ids = list(ids)
        found: set[str] = set()
        with self.session() as s:
            for start in range(0, len(ids), 500):
                found.update(s.scalars(select(RecordRow.id).where(RecordRow.id.in_(ids[start:start + 500]))))
        return found

    def text_hashes(self, ids: Iterable[str]) -> dict[str, str | None]:
        """Stored records among `ids`, each with the digest of its original text (None if stored before
        digests were kept)."""
        with self.session() as s:
            return self._stored_hashes(s, list(ids))

    @staticmethod
    def _stored_hashes(s: Session, ids: list[str]) -> dict[str, str | None]:
        found: dict[str, str | None] = {}
        for start in range(0, len(ids), 500):
            q = select(RecordRow.id, RecordRow.text_hash).where(RecordRow.id.in_(ids[start:start + 500]))
            found.update((i, h) for i, h in s.execute(q))
        return found

    def unindexed_record_ids(self, *, skip_live_runs: bool = False) -> list[str]:
        """Records not yet in the index; with `skip_live_runs`, not those of a run still running in a live
        process on this host (that run indexes them itself)."""
        q = select(RecordRow.id).where(RecordRow.indexed.is_(False)).order_by(RecordRow.id)
        with self.session() as s:
            if skip_live_runs:
                host = socket.gethostname()
                running = s.execute(select(IngestRunRow.id, IngestRunRow.pid)
                                    .where(IngestRunRow.status == "running", IngestRunRow.host == host)).all()
                live = [rid for rid, pid in running if pid is not None and _alive(pid)]
                if live:
                    q = q.where(RecordRow.run_id.is_(None) | RecordRow.run_id.not_in(live))
            return list(s.scalars(q))

    def records_with_chunks(self, record_ids: Sequence[str]) -> list[tuple[Record, list[Chunk]]]:
        with self.session() as s:
            rows = s.scalars(select(RecordRow).where(RecordRow.id.in_(record_ids))).all()
            chunk_rows = s.scalars(
                select(ChunkRow).where(ChunkRow.record_id.in_(record_ids)).order_by(ChunkRow.record_id, ChunkRow.idx)
            ).all()
        by_record: dict[str, list[Chunk]] = {}
        for c in chunk_rows:
            by_record.setdefault(c.record_id, []).append(
                Chunk(id=c.id, record_id=c.record_id, index=c.idx, text=c.text, tokens=c.tokens))
        return [(row_to_record(r), by_record.get(r.id, [])) for r in rows]

    def get_record(self, record_id: str) -> Record | None:
        with self.session() as s:
            row = s.get(RecordRow, record_id)
            return row_to_record(row) if row else None

    def iter_records(self, batch: int = 1000) -> Iterator[Record]:
        with self.session() as s:
            for row in s.scalars(select(RecordRow).order_by(RecordRow.id).execution_options(yield_per=batch)):
                yield row_to_record(row)

    def count_records(self) -> int:
        with self.session() as s:
            return int(s.scalar(select(func.count()).select_from(RecordRow)) or 0)

    def count_chunks(self) -> int:
        with self.session() as s:
            return int(s.scalar(select(func.count()).select_from(ChunkRow)) or 0)

    def district_stats(self) -> list[DistrictStats]:
        """Per district: records, notes, other records, distinct meetings, residents reached (each meeting's
        attendee count once) and redactions."""
        stats: dict[str | None, DistrictStats] = {}
        attendees: dict[tuple[str | None, str], int] = {}
        with self.session() as s:
            q = select(RecordRow.district, RecordRow.kind, RecordRow.meeting_id, RecordRow.attendee_count,
                       RecordRow.redactions).execution_options(yield_per=5000)
            for district, kind, meeting, count, redactions in s.execute(q):
                st = stats.setdefault(district, DistrictStats(district))
                st.records += 1
                if kind == "meeting_note":
                    st.notes += 1
                else:
                    st.comments += 1
                st.redactions += sum((redactions or {}).values())
                if meeting:
                    key = (district, meeting)
                    attendees[key] = max(attendees.get(key, 0), count or 0)
        for (district, _), n in attendees.items():
            stats[district].meetings += 1
            stats[district].attendees += n
        return sorted(stats.values(), key=lambda d: (d.district is None, d.district or ""))

    def forgotten_ids(self, ids: Iterable[str]) -> set[str]:
        """The ids among these that were deleted on request (tombstoned): ingest must not store them again."""
        ids = list(ids)
        found: set[str] = set()
        with self.session() as s:
            for start in range(0, len(ids), 500):
                found.update(s.scalars(select(TombstoneRow.record_id)
                                       .where(TombstoneRow.record_id.in_(ids[start:start + 500]))))
        return found

    def last_deletion(self) -> int:
        """The newest deletion's number (0 when none): it changes whenever a record is deleted, so a cache keyed
        by it and the record count never serves a deleted record."""
        with self.session() as s:
            return int(s.scalar(select(func.max(DeletionRow.id))) or 0)

    def rejections(self, run_id: int | None = None) -> list[Rejection]:
        with self.session() as s:
            q = select(RejectionRow).order_by(RejectionRow.id)
            if run_id is not None:
                q = q.where(RejectionRow.run_id == run_id)
            return [Rejection(file=r.file, row=r.row, field=r.field, reason=r.reason) for r in s.scalars(q)]

    def get_meta(self, key: str) -> str | None:
        with self.session() as s:
            row = s.get(MetaRow, key)
            return row.value if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.write_session() as s:
            s.merge(MetaRow(key=key, value=value))


def _alive(pid: int) -> bool:
    """Whether a process with this id exists on this host (unknown on Windows, where signal 0 is not a probe:
    such a run stays "running")."""
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by another user (PermissionError), or the platform cannot tell
        return True
    return True
