"""The dashboard: server-rendered pages over the same library functions as the API. Every asset ships inside
this package (templates/, static/); no page refers to another host."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles


def install_web(app: FastAPI) -> None:
    """Mount the pages, their static files and their error handlers on the API's app."""
    from api.web import (
        actions,
        ask,
        auth,
        contacts,
        district,
        evidence,
        ingest,
        notes,
        overview,
        report,
        review,
        themes,
    )
    from api.web.session import install_page_handlers

    install_page_handlers(app)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    for module in (auth, overview, district, evidence, notes, ask, ingest, contacts, actions, report, review, themes):
        app.include_router(module.router)
