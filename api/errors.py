"""One place that maps synth's error hierarchy (synth/errors.py) to HTTP responses."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from synth.errors import ConfigError, InputError, RowError, StoreError, SynthError

STATUS = {InputError: 422, RowError: 422, ConfigError: 500, StoreError: 503}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SynthError)
    async def _synth_error(_: Request, exc: SynthError) -> JSONResponse:
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 500)
        return JSONResponse(status_code=status, content={"error": type(exc).__name__, "detail": str(exc)})
