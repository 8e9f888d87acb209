"""The HTTP API: a thin layer over the library. Services are built in the lifespan, never at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.limits import RequestGuard
from api.routes import (
    actions,
    ask,
    audit,
    contacts,
    evals,
    evidence,
    health,
    ingest_jobs,
    records,
    review,
    summaries,
    themes,
)
from api.web import install_web
from synth import __version__, freshness
from synth.services import Services
from synth.settings import Settings


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    if not hasattr(app.state, "services"):  # tests may inject their own
        app.state.services = Services(Settings())
    app.state.refresher = freshness.start(app.state.services)  # new records annotated in the background
    yield
    if getattr(app.state, "jobs", None) is not None:  # ingest jobs finish before the services close
        app.state.jobs.close()
    app.state.refresher.stop()
    app.state.services.close()


def create_app(services: Services | None = None) -> FastAPI:
    app = FastAPI(title="synth", version=__version__, lifespan=lifespan)
    settings = services.settings if services is not None else Settings()
    if services is not None:
        app.state.services = services
    # uploads (POST /ingest) may be as large as an input file may be; every other body stays small
    app.add_middleware(RequestGuard, max_body_bytes=settings.api_max_body_bytes,
                       upload_max_bytes=settings.max_file_bytes)
    install_error_handlers(app)
    app.include_router(health.router)
    for module in (records, summaries, evidence, themes, ingest_jobs, ask, evals, audit, contacts, review):
        app.include_router(module.router)
    install_web(app)  # the dashboard pages (after the API routes: GET /districts stays the API's)
    app.include_router(actions.router)  # after the pages: the form at /actions/new is not /actions/{action_id}
    return app


app = create_app()
