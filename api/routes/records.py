"""Ingest records, delete one everywhere, and read per-district counts."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from api.deps import ServicesDep

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


@router.post("/records", response_model=IngestResponse)
def ingest_records(body: IngestRequest, request: Request, svc: ServicesDep) -> IngestResponse:
    """Ingest records through the same pipeline as `synth ingest` (redaction, de-duplication, indexing); the
    background refresher annotates them next (synth/freshness.py)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{body.source}.json"
        path.write_text(json.dumps(body.records), encoding="utf-8")
        report = svc.ingestor.ingest([path])
    _notify(request)
    return IngestResponse(forgotten=report.forgotten,
                          read=report.read, accepted=report.accepted, rejected=report.rejected,
                          duplicates=report.duplicates, redactions=dict(report.redactions),
                          conflicts=report.conflicts,
                          rejections=[str(r).replace(str(path), body.source) for r in report.rejections])


class DeleteResponse(BaseModel):
    record_id: str
    removed: dict[str, int] = Field(description="stored items removed with the record, by kind (counts only)")


@router.delete("/records/{record_id}", response_model=DeleteResponse)
def delete_record(record_id: str, request: Request, svc: ServicesDep) -> DeleteResponse:
    """Delete a record everywhere, as `synth records delete` does: logged (id, time, counts) and tombstoned, so
    a later ingest of the same record skips it. 404 when there is no such record (or it is already deleted)."""
    from synth.forget import Forgetter

    [result] = Forgetter(svc.records, svc.index).delete([record_id])
    _notify(request)
    if not result.found:
        raise HTTPException(404, "already deleted" if result.deleted_before else "no such record")
    return DeleteResponse(record_id=record_id, removed=result.removed)


def _notify(request: Request) -> None:
    if (refresher := getattr(request.app.state, "refresher", None)) is not None:
        refresher.notify()


@router.get("/districts", response_model=list[DistrictCounts])
def district_counts(svc: ServicesDep) -> list[DistrictCounts]:
    return [DistrictCounts(district=d.district, records=d.records, meeting_notes=d.notes, comments=d.comments,
                           meetings=d.meetings, residents_reached=d.attendees, redactions=d.redactions)
            for d in svc.records.district_stats()]
