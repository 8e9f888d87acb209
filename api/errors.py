"""One place that maps synth's error hierarchy (synth/errors.py) to HTTP responses.

Every SynthError becomes `{"error": class name, "detail": message}` with the status of its nearest class in
STATUS (500 when none): the request's content is wrong (422), it names something that is not there (404),
a backing service or model is unavailable (503), the server is misconfigured (500).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from synth.errors import (
    AccountError,
    ConfigError,
    DatasetError,
    EmbeddingError,
    InputError,
    LLMError,
    QuestionError,
    RowError,
    StoreError,
    SynthError,
    TaxonomyError,
    ThemeNotFound,
)

STATUS: dict[type[SynthError], int] = {
    InputError: 422, AccountError: 422, RowError: 422, QuestionError: 422, DatasetError: 422, TaxonomyError: 422,
    ThemeNotFound: 404,
    StoreError: 503, EmbeddingError: 503, LLMError: 503,
    ConfigError: 500,
}


def status_of(exc: SynthError) -> int:
    """The status of the most specific class of `exc` that STATUS names (ThemeNotFound before TaxonomyError)."""
    return next((STATUS[cls] for cls in type(exc).__mro__ if cls in STATUS), 500)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SynthError)
    async def _synth_error(_: Request, exc: SynthError) -> JSONResponse:
        return JSONResponse(status_code=status_of(exc), content={"error": type(exc).__name__, "detail": str(exc)})
