"""Ingest jobs: an ingest started over HTTP and run in the background, with its status, progress and per-row
rejections kept in the system of record (table `ingest_jobs`) so a client can poll it.

A job holds counts and rejections (file label, row, field, reason: never a value), as the `rejections` table
does; the uploaded files themselves are deleted when the job ends. A job left `queued` or `running` by a process
of this host that no longer exists is `interrupted`.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import JSON, DateTime, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, mapped_column

from synth.db import Base, RecordStore, _alive
from synth.ingest_report import IngestReport

JobStatus = Literal["queued", "running", "done", "failed", "interrupted"]


class IngestJobRow(Base):
    __tablename__ = "ingest_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    submitted_by: Mapped[int | None] = mapped_column(Integer)  # the API user
    files: Mapped[list[str]] = mapped_column(JSON, default=list)  # labels, as the client named the files
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=lambda: dt.datetime.now(dt.UTC))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    done: Mapped[int] = mapped_column(Integer, default=0)  # rows read so far
    total: Mapped[int] = mapped_column(Integer, default=0)  # rows expected (an estimate until the end)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    rejections: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)  # why a job failed (the error's kind, never input text)
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)


class JobRejection(BaseModel):
    file: str
    row: int | None
    field: str | None
    reason: str


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """A stored time, in UTC (SQLite gives it back without its zone)."""
    return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


class IngestJob(BaseModel):
    id: str
    status: JobStatus
    files: list[str]
    created_at: dt.datetime
    finished_at: dt.datetime | None
    done: int
    total: int
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    conflicts: int = 0
    forgotten: int = 0
    rejections: list[JobRejection]
    error: str | None
    submitted_by: int | None = None


class JobStore:
    def __init__(self, records: RecordStore) -> None:
        self.records = records  # its table made by the migrations when the store was opened

    def create(self, files: list[str], submitted_by: int | None) -> str:
        job_id = uuid.uuid4().hex
        with self.records.write_session() as s:
            s.add(IngestJobRow(id=job_id, files=files, submitted_by=submitted_by, host=socket.gethostname(),
                               pid=os.getpid()))
        return job_id

    def _set(self, job_id: str, **values: Any) -> None:
        with self.records.write_session() as s:
            s.execute(update(IngestJobRow).where(IngestJobRow.id == job_id).values(**values))

    def start(self, job_id: str) -> None:
        self._set(job_id, status="running")

    def progress(self, job_id: str, done: int, total: int) -> None:
        self._set(job_id, done=done, total=total)

    def finish(self, job_id: str, report: IngestReport, labels: dict[str, str]) -> None:
        """The job's outcome; rejections name files by their labels (`labels`: stored path -> label)."""
        every = dict.fromkeys((r.file, r.row, r.field, r.reason) for r in [*report.failed_files, *report.rejections])
        rejections = [JobRejection(file=labels.get(file, "upload"), row=row, field=field, reason=reason)
                      for file, row, field, reason in every]  # a file that failed is in both lists
        counts = {"accepted": report.accepted, "rejected": report.rejected, "duplicates": report.duplicates,
                  "conflicts": report.conflicts, "forgotten": report.forgotten}
        status = "done" if report.status == "done" else "failed"
        self._set(job_id, status=status, done=report.read, total=report.read, counts=counts,
                  rejections=[r.model_dump() for r in rejections], finished_at=dt.datetime.now(dt.UTC),
                  error=None if status == "done" else "a file could not be read (see rejections)")

    def fail(self, job_id: str, error: str) -> None:
        self._set(job_id, status="failed", error=error, finished_at=dt.datetime.now(dt.UTC))

    def get(self, job_id: str) -> IngestJob | None:
        self._mark_orphans()
        with self.records.session() as s:
            row = s.get(IngestJobRow, job_id)
            if row is None:
                return None
            return IngestJob(id=row.id, status=row.status, files=row.files, created_at=_utc(row.created_at),
                             finished_at=_utc(row.finished_at), done=row.done, total=row.total, **row.counts,
                             rejections=[JobRejection.model_validate(r) for r in row.rejections], error=row.error,
                             submitted_by=row.submitted_by)

    def _mark_orphans(self) -> None:
        host = socket.gethostname()
        with self.records.session() as s:
            live = s.execute(select(IngestJobRow.id, IngestJobRow.pid).where(
                IngestJobRow.status.in_(("queued", "running")), IngestJobRow.host == host)).all()
        dead = [jid for jid, pid in live if pid is not None and not _alive(pid)]
        if dead:
            with self.records.write_session() as s:
                s.execute(update(IngestJobRow).where(IngestJobRow.id.in_(dead))
                          .values(status="interrupted", finished_at=dt.datetime.now(dt.UTC)))
