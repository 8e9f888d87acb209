"""Ingest records, delete one everywhere, and read per-district counts."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from api.deps import ServicesDep
from api.limits import too_large_response
from api.security import AUTH_RESPONSES, EDITORS, READERS, Caller, Role, allow

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


@router.post("/records", response_model=IngestResponse,
             responses={**AUTH_RESPONSES, 413: too_large_response()})
def ingest_records(body: IngestRequest, svc: ServicesDep,
                   caller: Annotated[Caller, Depends(allow(Role.note_taker, *EDITORS))]) -> IngestResponse:
    """Ingest records through the same pipeline as `synth ingest` (redaction, de-duplication, indexing).
    At most SYNTH_API_MAX_RECORDS records a request (413 beyond); larger imports go through files."""
    if len(body.records) > svc.settings.api_max_records:
        raise HTTPException(413, f"{len(body.records)} records in one request: the limit is "
                                 f"{svc.settings.api_max_records} (SYNTH_API_MAX_RECORDS)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{body.source}.json"
        path.write_text(json.dumps(body.records), encoding="utf-8")
        report = svc.ingestor.ingest([path])
    svc.audit.record(caller.name, "records.ingest", body.source,
                     {"accepted": report.accepted, "rejected": report.rejected})
    return IngestResponse(forgotten=report.forgotten,
                          read=report.read, accepted=report.accepted, rejected=report.rejected,
                          duplicates=report.duplicates, redactions=dict(report.redactions),
                          conflicts=report.conflicts,
                          rejections=[str(r).replace(str(path), body.source) for r in report.rejections])


class DeleteResponse(BaseModel):
    record_id: str
    removed: dict[str, int] = Field(description="stored items removed with the record, by kind (counts only)")


@router.delete("/records/{record_id}", response_model=DeleteResponse, responses={**AUTH_RESPONSES, 404: {}})
def delete_record(record_id: str, svc: ServicesDep,
                  caller: Annotated[Caller, Depends(allow(*EDITORS))]) -> DeleteResponse:
    """Delete a record everywhere, as `synth records delete` does: logged (id, time, counts) and tombstoned, so
    a later ingest of the same record skips it. 404 when there is no such record (or it is already deleted)."""
    from synth.forget import Forgetter

    [result] = Forgetter(svc.records, svc.index).delete([record_id])
    if not result.found:
        raise HTTPException(404, "already deleted" if result.deleted_before else "no such record")
    svc.audit.record(caller.name, "records.delete", record_id, {"removed": result.removed})
    return DeleteResponse(record_id=record_id, removed=result.removed)


@router.get("/districts", response_model=list[DistrictCounts], responses=AUTH_RESPONSES,
            dependencies=[Depends(allow(*READERS))])
def district_counts(svc: ServicesDep) -> list[DistrictCounts]:
    return [DistrictCounts(district=d.district, records=d.records, meeting_notes=d.notes, comments=d.comments,
                           meetings=d.meetings, residents_reached=d.attendees, redactions=d.redactions)
            for d in svc.records.district_stats()]
