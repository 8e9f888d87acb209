"""Submit records, list them (redacted text only), delete one everywhere, and read per-district counts.

A note-taker submits and reads back only what they submitted (records keep their submitter); readers list every
record."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from api.corpus import PERIOD_PATTERN, period_key, shared_corpus
from api.deps import ServicesDep
from api.limits import too_large_response
from api.responses import errors
from api.security import EDITORS, READERS, Caller, Role, allow
from synth.models import Channel, Record, RecordKind

router = APIRouter(tags=["records"])


class IngestRequest(BaseModel):
    records: list[dict[str, Any]] = Field(min_length=1, max_length=10_000,
                                          description="objects in the JSON import format (see README)")
    source: str = Field("api", pattern=r"^[A-Za-z0-9._-]{1,64}$", description="name reported in rejections")


class IngestResponse(BaseModel):
    read: int
    accepted: int
    rejected: int
    duplicates: int
    forgotten: int = Field(0, description="records deleted on request earlier: skipped, not stored again")
    redactions: dict[str, int]
    rejections: list[str]
    conflicts: int = 0  # rows whose id already holds a different text (listed in `rejections`)


class DistrictCounts(BaseModel):
    district: str | None
    records: int
    meeting_notes: int
    comments: int
    meetings: int
    residents_reached: int
    redactions: int


class RecordView(BaseModel):
    """A stored record as the API shows it: its redacted text, redacted again on the way out."""

    id: str
    kind: RecordKind
    text: str
    district: str | None
    location: str | None
    date: dt.date | None
    date_precision: str
    meeting_id: str | None
    attendee_count: int | None
    channel: Channel
    language: str

    @classmethod
    def of(cls, record: Record) -> RecordView:
        return cls.model_validate(record.model_dump(include=set(cls.model_fields)))


class RecordPage(BaseModel):
    records: list[RecordView]
    offset: int
    limit: int


@router.post("/records", response_model=IngestResponse, responses={**errors(422), 413: too_large_response()})
def ingest_records(body: IngestRequest, request: Request, svc: ServicesDep,
                   caller: Annotated[Caller, Depends(allow(Role.note_taker, *EDITORS))]) -> IngestResponse:
    """Ingest records through the same pipeline as `synth ingest` (redaction, de-duplication, indexing).
    At most SYNTH_API_MAX_RECORDS records a request (413 beyond); larger imports go through POST /ingest. The
    records are kept as the caller's; the background refresher annotates them next (synth/freshness.py)."""
    from synth.record_filter import mark_submitter

    if len(body.records) > svc.settings.api_max_records:
        raise HTTPException(413, f"{len(body.records)} records in one request: the limit is "
                                 f"{svc.settings.api_max_records} (SYNTH_API_MAX_RECORDS)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{body.source}.json"
        path.write_text(json.dumps(body.records), encoding="utf-8")
        report = svc.ingestor.ingest([path])
    if report.run_id is not None:
        mark_submitter(svc.records, report.run_id, caller.user_id)
    svc.audit.record(caller.name, "records.ingest", body.source,
                     {"accepted": report.accepted, "rejected": report.rejected})
    _notify(request)
    return IngestResponse(forgotten=report.forgotten,
                          read=report.read, accepted=report.accepted, rejected=report.rejected,
                          duplicates=report.duplicates, redactions=dict(report.redactions),
                          conflicts=report.conflicts,
                          rejections=[str(r).replace(str(path), body.source) for r in report.rejections])


class DeleteResponse(BaseModel):
    record_id: str
    removed: dict[str, int] = Field(description="stored items removed with the record, by kind (counts only)")


@router.get("/records", response_model=RecordPage, responses=errors(404, 422))
def list_records(request: Request, svc: ServicesDep,
                 caller: Annotated[Caller, Depends(allow(*READERS, Role.note_taker))],
                 district: Annotated[str | None, Query(max_length=100)] = None,
                 period: Annotated[str | None, Query(pattern=PERIOD_PATTERN)] = None,
                 kind: RecordKind | None = None,
                 theme: Annotated[str | None, Query(max_length=64, description="records raising this theme")] = None,
                 offset: Annotated[int, Query(ge=0)] = 0,
                 limit: Annotated[int, Query(ge=1, le=500)] = 100) -> RecordPage:
    """Stored records, by district, period, kind and theme, in id order; a note-taker's own records only."""
    from synth.period import Period
    from synth.record_filter import RecordFilter, find_records

    ids = None
    if theme is not None:
        corpus = shared_corpus(request, svc)
        if theme not in corpus.themes:
            raise HTTPException(404, f"no concern theme {theme!r}")
        ids = {r.record_id for r in corpus.rows if theme in r.annotation.themes}
    where = RecordFilter(district=district, period=Period.parse(period_key(period)) if period else None,
                         kind=kind.value if kind else None, ids=ids,
                         submitted_by=caller.user_id if caller.role == Role.note_taker else None)
    views = [RecordView.of(r) for r in find_records(svc.records, where, offset=offset, limit=limit)]
    fields = [(i, f) for i, v in enumerate(views) for f in ("text", "location") if getattr(v, f)]
    for (i, f), clean in zip(fields, svc.outbound([getattr(views[i], f) for i, f in fields], remember=False),
                             strict=True):
        setattr(views[i], f, clean)
    svc.audit.record(caller.name, "records.read", district or "", {"period": period, "kind": kind, "theme": theme,
                                                                 "records": [v.id for v in views]})
    return RecordPage(records=views, offset=offset, limit=limit)


@router.delete("/records/{record_id}", response_model=DeleteResponse, responses=errors(404))
def delete_record(record_id: str, request: Request, svc: ServicesDep,
                  caller: Annotated[Caller, Depends(allow(*EDITORS))]) -> DeleteResponse:
    """Delete a record everywhere, as `synth records delete` does: logged (id, time, counts) and tombstoned, so
    a later ingest of the same record skips it. 404 when there is no such record (or it is already deleted)."""
    from synth.forget import Forgetter

    [result] = Forgetter(svc.records, svc.index).delete([record_id])
    _notify(request)
    if not result.found:
        raise HTTPException(404, "already deleted" if result.deleted_before else "no such record")
    svc.audit.record(caller.name, "records.delete", record_id, {"removed": result.removed})
    return DeleteResponse(record_id=record_id, removed=result.removed)


def _notify(request: Request) -> None:
    if (refresher := getattr(request.app.state, "refresher", None)) is not None:
        refresher.notify()


@router.get("/districts", response_model=list[DistrictCounts], responses=errors(),
            dependencies=[Depends(allow(*READERS))])
def district_counts(svc: ServicesDep) -> list[DistrictCounts]:
    return [DistrictCounts(district=d.district, records=d.records, meeting_notes=d.notes, comments=d.comments,
                           meetings=d.meetings, residents_reached=d.attendees, redactions=d.redactions)
            for d in svc.records.district_stats()]
