"""Deleting records everywhere, and the retention purge.

A record lives in more places than its row: its chunks, its vector-index entries (Chroma), its concern spans
(text and vectors), a reviewer's corrections of them, the LLM annotation cached for its text, the form
learner's stored decisions (which name it), the stored summaries that counted or quoted it, and the ask's
warm-start cache (synth/ask/cache.py). `Forgetter.delete` removes all of them:

    Chroma entries of the ids (idempotent: an id already gone from SQL is cleaned from the index too)
    └─► one SQL transaction: chunks, spans, review corrections, cached LLM annotation, learned decisions,
        summaries of the record's district and the city, the record row; a tombstone (on request) and an audit
        row per record

Summaries are regenerated from their fingerprints on the next `synth summarize`, without the record.
The audit row (`deletions`) says which record, when, why and how many items went with it, never what it said.

A deletion on request leaves a tombstone (the record id, which is a hash of the original text or the source's
own id), so re-ingesting the same export does not bring the record back. A retention purge leaves none: a
re-ingested old record is stored again and purged by the next purge.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from synth.ask.cache import AskCache, AskCacheRow
from synth.dates import span_end
from synth.db import ChunkRow, DeletionRow, RecordRow, RecordStore, TombstoneRow
from synth.synthesis.facts import CITY_WIDE, NO_DISTRICT
from synth.synthesis.llm_cache import LLMAnnotationRow
from synth.synthesis.review.corrections import CorrectionRow
from synth.synthesis.store import LearnedRow, SpanRow, SummaryRow

if TYPE_CHECKING:
    from vectorstore.store import ChromaIndex

log = logging.getLogger(__name__)

BATCH = 200


@dataclass
class Deletion:
    """What one `delete` of one id did."""

    record_id: str
    found: bool  # the record was in the system of record
    removed: dict[str, int] = field(default_factory=dict)  # item kind -> count
    deleted_before: dt.datetime | None = None  # when it was deleted earlier (on request, or by retention)


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    next_month = dt.date(year + (month == 12), month % 12 + 1, 1)
    return dt.date(year, month, min(day.day, (next_month - dt.timedelta(days=1)).day))


class Forgetter:
    def __init__(self, records: RecordStore, index: ChromaIndex | None) -> None:
        self.records = records
        self.index = index

    def delete(self, record_ids: Iterable[str], *, reason: str = "request") -> list[Deletion]:
        """Delete these records everywhere; on request, tombstone them so ingest does not store them again."""
        ids = list(dict.fromkeys(record_ids))
        results: list[Deletion] = []
        for start in range(0, len(ids), BATCH):
            results.extend(self._delete_batch(ids[start:start + BATCH], reason))
        if results and self.records.engine.dialect.name == "sqlite":
            with self.records.engine.connect() as conn:  # move the zeroed pages out of the write-ahead log
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return results

    def expired(self, months: int, today: dt.date | None = None) -> tuple[list[str], int, dt.date]:
        """(ids of records whose whole date span ends before the cutoff, number of undated records, the cutoff).

        A month- or year-only record is stored as its first day: it expires only when its last day has (a record
        known only as "2024" is kept until 2024 is wholly older than the cutoff)."""
        cutoff = months_before(today or dt.date.today(), months)
        with self.records.session() as s:
            started = s.execute(select(RecordRow.id, RecordRow.date, RecordRow.date_precision)
                                .where(RecordRow.date < cutoff).order_by(RecordRow.id))
            ids = [rid for rid, date, precision in started if date is not None and span_end(date, precision) < cutoff]
            undated = int(s.scalar(select(func.count()).select_from(RecordRow).where(RecordRow.date.is_(None)))
                          or 0)
        return ids, undated, cutoff

    def purge(self, months: int, today: dt.date | None = None) -> tuple[list[Deletion], int, dt.date]:
        """Delete every record dated more than `months` months before today (undated records are kept)."""
        ids, undated, cutoff = self.expired(months, today)
        return self.delete(ids, reason="retention"), undated, cutoff

    def log(self, limit: int | None = None) -> list[tuple[str, dt.datetime, str, dict[str, int]]]:
        """The audit log, newest first: (record id, when, reason, items removed)."""
        with self.records.session() as s:
            q = select(DeletionRow).order_by(DeletionRow.id.desc()).limit(limit)
            return [(r.record_id, r.at, r.reason, dict(r.removed)) for r in s.scalars(q)]

    # -- one batch ------------------------------------------------------------------------------------------
    def _delete_batch(self, ids: Sequence[str], reason: str) -> list[Deletion]:
        in_index: dict[str, int] = {}
        if self.index is not None:
            from vectorstore.store import SearchFilter

            for hit in self.index.get(SearchFilter(record_ids=list(ids))):
                in_index[hit.record_id] = in_index.get(hit.record_id, 0) + 1
            self.index.delete_records(list(ids))  # first: an index entry must never outlive its record
        now = dt.datetime.now(dt.UTC)
        results: list[Deletion] = []
        with self.records.session() as s:
            if s.get_bind().dialect.name == "sqlite":
                s.execute(text("PRAGMA secure_delete = ON"))  # deleted text is overwritten, not just unlinked
            rows = {r.id: r for r in s.scalars(select(RecordRow).where(RecordRow.id.in_(ids)))}
            stones = {t.record_id: t.deleted_at for t in
                      s.scalars(select(TombstoneRow).where(TombstoneRow.record_id.in_(ids)))}
            purged = dict(s.execute(select(DeletionRow.record_id, func.max(DeletionRow.at))
                                    .where(DeletionRow.record_id.in_(ids)).group_by(DeletionRow.record_id)).all())
            learned = 0
            if rows:
                learned = _count(s, delete(LearnedRow))  # they name the record; relearned on the next run
                s.execute(delete(AskCacheRow).where(AskCacheRow.key.in_(AskCache.RECORD_DATA)))  # record text
            for rid in ids:
                row = rows.get(rid)
                result = Deletion(rid, found=row is not None, deleted_before=stones.get(rid) or purged.get(rid))
                if row is not None:
                    result.removed = self._delete_row(s, row)
                    result.removed["index_entries"] = in_index.get(rid, 0)
                    result.removed["learned_decisions"], learned = learned, 0
                    s.add(DeletionRow(record_id=rid, at=now, reason=reason, removed=result.removed))
                    log.info("deleted record %s (%s): %s", rid, reason, result.removed)
                elif in_index.get(rid):
                    result.removed = {"index_entries": in_index[rid]}
                if reason == "request" and rid not in stones and (row is not None or in_index.get(rid)
                                                                  or rid in purged):  # purged, now asked for
                    s.add(TombstoneRow(record_id=rid, deleted_at=now))
                results.append(result)
        return results

    def _delete_row(self, s: Session, row: RecordRow) -> dict[str, int]:
        text_hash = hashlib.sha256(row.text.encode("utf-8")).hexdigest()  # the LLM cache's key (llm_cache.py)
        removed = {
            "chunks": _count(s, delete(ChunkRow).where(ChunkRow.record_id == row.id)),
            "spans": _count(s, delete(SpanRow).where(SpanRow.record_id == row.id)),
            "review_corrections": _count(s, delete(CorrectionRow).where(CorrectionRow.record_id == row.id)),
            "llm_annotations": _count(s, delete(LLMAnnotationRow).where(LLMAnnotationRow.record_hash == text_hash)),
            "summaries": _count(s, delete(SummaryRow).where(
                SummaryRow.district.in_([row.district or NO_DISTRICT, CITY_WIDE]))),
        }
        s.delete(row)
        s.flush()
        return removed


def _count(s: Session, statement: object) -> int:
    return int(getattr(s.execute(statement), "rowcount", 0) or 0)  # type: ignore[call-overload]
