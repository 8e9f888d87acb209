"""POST /ingest: files (CSV, JSONL, JSON, Markdown, XLSX) or JSON records ingested as a background job (202 and
the job's id); GET /ingest/{job_id}: its status, progress and per-row rejections (file, row, field, reason)."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, HTTPException, Request, UploadFile
from pydantic import BaseModel

from api.deps import ServicesDep
from api.job_runner import JobRunner
from api.responses import errors
from api.routes.records import IngestRequest
from api.security import EDITORS, Caller, allow
from synth.ingest_jobs import IngestJob
from synth.readers import SUPPORTED_SUFFIXES

router = APIRouter(tags=["ingest"])
Editor = Annotated[Caller, Depends(allow(*EDITORS))]
MAX_FILES = 50
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")
_SUFFIX = re.compile(r"\.[a-z0-9]{1,10}")


class JobAccepted(BaseModel):
    job_id: str
    status_url: str


def runner(request: Request, svc: ServicesDep) -> JobRunner:
    if getattr(request.app.state, "jobs", None) is None:
        refresher = getattr(request.app.state, "refresher", None)
        request.app.state.jobs = JobRunner(svc, on_ingested=refresher.notify if refresher is not None else None)
    return request.app.state.jobs


Runner = Annotated[JobRunner, Depends(runner)]


def _label(name: str | None, n: int) -> str:
    """The client's file name as rejections show it: the last path part, plain characters only, a person's
    name in it redacted (as ingest runs keep their sources)."""
    from synth.redact.labels import redact_label

    base = _UNSAFE.sub("_", Path(name or "").name).strip(" ._")[:100]
    return redact_label(base) if base else f"file{n}"


def _accepted(request: Request, job_id: str) -> JobAccepted:
    return JobAccepted(job_id=job_id, status_url=str(request.url_for("ingest_job", job_id=job_id).path))


@router.post("/ingest", response_model=JobAccepted, status_code=202, responses=errors(422))
def ingest_files(request: Request, svc: ServicesDep, jobs: Runner, caller: Editor,
                 files: Annotated[list[UploadFile], File(
                     description=f"files named by type: {', '.join(SUPPORTED_SUFFIXES)}",
                     json_schema_extra={"minItems": 1, "maxItems": MAX_FILES})]) -> JobAccepted:
    """Ingest uploaded files in the background, as `synth ingest` does (strict columns, redaction, rejections
    per row; a file of another type is rejected as a whole, the others are kept); poll the returned status URL."""
    if not 1 <= len(files) <= MAX_FILES:
        raise HTTPException(422, f"send 1 to {MAX_FILES} files")
    folder = Path(tempfile.mkdtemp(prefix="synth-upload-"))
    labels: dict[Path, str] = {}
    try:
        for n, upload in enumerate(files, 1):
            suffix = Path(upload.filename or "").suffix.lower()  # the reader goes by it; our name, never a person's
            path = folder / f"f{n}{suffix if _SUFFIX.fullmatch(suffix) else ''}"
            with path.open("wb") as out:
                shutil.copyfileobj(upload.file, out, 1 << 20)
            labels[path] = _label(upload.filename, n)
        job_id = jobs.submit(folder, labels, caller.user_id)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    svc.audit.record(caller.name, "ingest.files", job_id, {"files": len(labels)})
    return _accepted(request, job_id)


@router.post("/ingest/records", response_model=JobAccepted, status_code=202, responses=errors(422))
def ingest_json(body: IngestRequest, request: Request, svc: ServicesDep, jobs: Runner, caller: Editor
                ) -> JobAccepted:
    """Ingest JSON records (the import format) in the background."""
    folder = Path(tempfile.mkdtemp(prefix="synth-upload-"))
    path = folder / "records.json"
    path.write_text(json.dumps(body.records), encoding="utf-8")
    job_id = jobs.submit(folder, {path: body.source}, caller.user_id)
    svc.audit.record(caller.name, "ingest.records", job_id, {"records": len(body.records)})
    return _accepted(request, job_id)


@router.get("/ingest/{job_id}", name="ingest_job", response_model=IngestJob, responses=errors(404))
def ingest_job(job_id: str, jobs: Runner, caller: Editor) -> IngestJob:
    """A job's status (queued, running, done, failed, interrupted), progress (rows read of expected),
    counts and rejections."""
    job = jobs.store.get(job_id)
    if job is None:
        raise HTTPException(404, "no such job")
    return job
