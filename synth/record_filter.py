"""Reading stored records by what they are about (district, period, kind) and who sent them: the API's record
listing. SQL narrows by column; the period is then applied as everywhere else (`Period.contains`, so a year-only
record is in its year and in no month)."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass

from sqlalchemy import select, update

from synth.db import RecordRow, RecordStore, row_to_record
from synth.models import Record
from synth.period import Period


@dataclass(frozen=True)
class RecordFilter:
    district: str | None = None
    period: Period | None = None
    kind: str | None = None
    submitted_by: int | None = None  # only the records this API user sent
    ids: Collection[str] | None = None  # only these records (e.g. those raising a theme)


def mark_submitter(store: RecordStore, run_id: int, user_id: int) -> int:
    """Record `user_id` as the sender of the records ingest run `run_id` stored; returns how many."""
    with store.write_session() as s:
        result = s.execute(update(RecordRow).where(RecordRow.run_id == run_id).values(submitted_by=user_id))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def find_records(store: RecordStore, where: RecordFilter, *, offset: int = 0, limit: int = 100) -> list[Record]:
    """The records matching `where`, in id order, from `offset`, at most `limit`."""
    out: list[Record] = []
    for i, record in enumerate(_matching(store, where)):
        if i >= offset + limit:
            break
        if i >= offset:
            out.append(record)
    return out


def _matching(store: RecordStore, where: RecordFilter) -> Iterator[Record]:
    q = select(RecordRow).order_by(RecordRow.id).execution_options(yield_per=1000)
    if where.district is not None:
        q = q.where(RecordRow.district == where.district)
    if where.kind is not None:
        q = q.where(RecordRow.kind == where.kind)
    if where.submitted_by is not None:
        q = q.where(RecordRow.submitted_by == where.submitted_by)
    if where.period is not None and not where.period.is_all:
        q = q.where(RecordRow.date >= where.period.start, RecordRow.date <= where.period.end)
    ids = set(where.ids) if where.ids is not None else None
    with store.session() as s:
        for row in s.scalars(q):
            if ids is not None and row.id not in ids:
                continue
            if where.period is not None and not where.period.contains(row.date, row.date_precision):
                continue
            yield row_to_record(row)
