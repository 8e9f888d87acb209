"""POST /ingest: files (CSV, JSONL, JSON, Markdown, XLSX) or JSON records ingested as a background job (202 and
the job's id); GET /ingest/{job_id}: its status, progress and per-row rejections (file, row, field, reason).

POST /ingest and GET /ingest/{job_id} are also the upload page's (api/web/ingest.py): a signed-in browser's form
gets a 303 to the job's page, and the job's page (JSON when the page's script asks for `application/json`)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from api.deps import ServicesDep
from api.job_runner import JobRunner
from api.responses import errors
from api.routes.records import IngestRequest
from api.security import EDITORS, Caller, allow
from api.web.session import api_or_page, wants_page
from synth.columns import PROFILES
from synth.ingest_jobs import IngestJob
from synth.ingest_report import IngestOptions
from synth.readers import SUPPORTED_SUFFIXES

Profile = Literal[("", *PROFILES)]  # type: ignore[valid-type]  # the known exports, or none

router = APIRouter(tags=["ingest"])
Editor = Annotated[Caller, Depends(allow(*EDITORS))]
EditorOrPage = Annotated[Caller, Depends(api_or_page(*EDITORS))]
MAX_FILES = 50
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")
_SUFFIX = re.compile(r"\.[a-z0-9]{1,10}")
_SOURCE = re.compile(r"[^a-z0-9]+")


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


def _options(profile: str, district: str, source: str, files: list[UploadFile]) -> IngestOptions:
    """What the form (or client) chose, as `synth ingest --profile --district --id-prefix` take it; HTTPException
    422 naming what to fix. An export whose ids repeat across sources (Polis numbers each conversation's
    statements from 1) and that comes without a source name is named by a digest of its content: the same file
    sent twice is the same source, two conversations are two."""
    profile, district = profile.strip(), " ".join(district.split())
    if profile and profile not in PROFILES:
        raise HTTPException(422, f"unknown profile {profile!r}: one of {', '.join(PROFILES)}")
    slug = _SOURCE.sub("-", source.lower()).strip("-")[:40]
    if profile and PROFILES[profile].id_prefix and "{stem}" in PROFILES[profile].id_prefix and not slug:
        slug = _content_digest(files)
    return IngestOptions(profile=profile or None, defaults={"district": district} if district else {},
                         id_prefix=f"{profile or 'upload'}-{slug}-" if slug else "")


def _content_digest(files: list[UploadFile]) -> str:
    digest = hashlib.sha256()
    for upload in files:
        while chunk := upload.file.read(1 << 20):
            digest.update(chunk)
        upload.file.seek(0)
        digest.update(b"\0")
    return digest.hexdigest()[:10]


@router.post("/ingest", response_model=JobAccepted, status_code=202, responses=errors(422))
def ingest_files(request: Request, svc: ServicesDep, jobs: Runner, caller: EditorOrPage,
                 files: Annotated[list[UploadFile], File(
                     description=f"files named by type: {', '.join(SUPPORTED_SUFFIXES)}",
                     json_schema_extra={"minItems": 1, "maxItems": MAX_FILES})],
                 profile: Annotated[Profile, Form(description="a known export, e.g. 'polis'")] = "",
                 district: Annotated[str, Form(max_length=100, description="district for rows without one")] = "",
                 source: Annotated[str, Form(max_length=100, description="the source's name; ids of its rows "
                                                                          "start with it (a Polis export without "
                                                                          "one: a digest of its content)")] = "",
                 ) -> JobAccepted | Response:
    """Ingest uploaded files in the background, as `synth ingest` does (strict columns, redaction, rejections
    per row; a file of another type is rejected as a whole, the others are kept); poll the returned status URL.
    A signed-in browser's form (the upload page) gets a 303 to the job's page instead."""
    files = [f for f in files if f.filename or f.size]  # a browser sends an empty part when no file is chosen
    try:
        if not 1 <= len(files) <= MAX_FILES:
            raise HTTPException(422, f"send 1 to {MAX_FILES} files")
        options = _options(profile, district, source, files)
    except HTTPException as e:
        if wants_page(request):
            from api.web.ingest import upload_page

            return upload_page(request, errors=[f"Nothing was uploaded: {e.detail}."], status=422,
                               values={"profile": profile, "district": district, "source": source})
        raise
    folder = Path(tempfile.mkdtemp(prefix="synth-upload-"))
    labels: dict[Path, str] = {}
    try:
        for n, upload in enumerate(files, 1):
            suffix = Path(upload.filename or "").suffix.lower()  # the reader goes by it; our name, never a person's
            path = folder / f"f{n}{suffix if _SUFFIX.fullmatch(suffix) else ''}"
            with path.open("wb") as out:
                shutil.copyfileobj(upload.file, out, 1 << 20)
            labels[path] = _label(upload.filename, n)
        job_id = jobs.submit(folder, labels, caller.user_id, options)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    svc.audit.record(caller.name, "ingest.files", job_id, {"files": len(labels), "profile": options.profile,
                                                          "page": wants_page(request)})
    if wants_page(request):
        return RedirectResponse(f"/ingest/{job_id}", status_code=303)
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
def ingest_job(job_id: str, request: Request, jobs: Runner, caller: EditorOrPage) -> IngestJob | Response:
    """A job's status (queued, running, done, failed, interrupted), progress (rows read of expected),
    counts and rejections. A signed-in browser gets the job's page (its script asks for the JSON)."""
    job = jobs.store.get(job_id)
    page = wants_page(request) and "application/json" not in request.headers.get("accept", "")
    if job is None:
        if page:
            from api.web.session import PageError

            raise PageError(404, "There is no such upload.")
        raise HTTPException(404, "no such job")
    if page:
        from api.web.ingest import job_page

        return job_page(request, job)
    return job
