"""Ingest by upload, `/ingest` (coordinators and admins): files dropped on a page and sent to the API's own
`POST /ingest` (one URL for a token and a signed-in browser: `api_or_page`), so the page starts the same
background job, under the same size caps; then the job's page, `/ingest/{job_id}`, shows its progress and, when
it ends, the counts and every rejection by file, row, field and reason (rejections never hold a value).

Without JavaScript the form posts as it is and the job page reloads itself while the job runs; with it
(static/ingest.js), files may be dropped on the page, the upload shows its progress, and the job page polls the
job's JSON (the same URL, asked for `application/json`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.security import EDITORS
from api.web.session import page_caller, render
from synth.columns import PROFILES
from synth.ingest_jobs import IngestJob
from synth.readers import SUPPORTED_SUFFIXES
from synth.users import Caller

router = APIRouter(include_in_schema=False)
REFRESH_SECONDS = 2
FINISHED = ("done", "failed", "interrupted")
PROFILE_NAMES = {"polis": "Polis conversation export (comments.csv)"}


def upload_page(request: Request, *, errors: list[str] | None = None, values: dict[str, Any] | None = None,
                status: int = 200) -> Response:
    svc = request.app.state.services
    return render(request, "ingest.html", {
        "active": "ingest", "errors": errors or [], "values": values or {},
        "profiles": [(name, PROFILE_NAMES.get(name, name)) for name in PROFILES],
        "accept": ",".join(SUPPORTED_SUFFIXES), "suffixes": ", ".join(SUPPORTED_SUFFIXES),
        "max_bytes": svc.settings.max_file_bytes, "max_mb": svc.settings.max_file_bytes / 1_000_000,
        "districts": sorted(d.district for d in svc.records.district_stats() if d.district)}, status=status)


@router.get("/ingest")
def ingest_form(request: Request, caller: Annotated[Caller, Depends(page_caller(*EDITORS))]) -> Response:
    return upload_page(request)


def job_page(request: Request, job: IngestJob) -> Response:
    running = job.status not in FINISHED
    percent = round(100 * job.done / job.total) if job.total else 0
    return render(request, "ingest_job.html", {
        "active": "ingest", "job": job, "running": running, "refresh": REFRESH_SECONDS,
        "percent": min(percent, 100)})
