"""The HTTP API: a thin layer over the library. Services are built in the lifespan, never at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.routes import ask, health, records
from synth import __version__, freshness
from synth.services import Services
from synth.settings import Settings


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    if not hasattr(app.state, "services"):  # tests may inject their own
        app.state.services = Services(Settings())
    app.state.refresher = freshness.start(app.state.services)  # new records annotated in the background
    yield
    app.state.refresher.stop()
    app.state.services.close()


def create_app(services: Services | None = None) -> FastAPI:
    app = FastAPI(title="synth", version=__version__, lifespan=lifespan)
    if services is not None:
        app.state.services = services
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(records.router)
    app.include_router(ask.router)
    return app


app = create_app()
