"""The documented error responses of the routes: one body for every error, and the sets each route declares."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from api.security import AUTH_RESPONSES


class ErrorBody(BaseModel):
    """Every error: FastAPI's `detail` (a message, or the list of validation problems), and for synth's own
    errors the error's class name."""

    detail: Any
    error: str | None = None


_TEXT = {404: "no such item", 422: "the request is not valid", 503: "a backing service is unavailable"}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: 401, 403 and 429 (every route needs a token and a role, and has a request
    budget) and the given statuses."""
    return {**AUTH_RESPONSES, **{s: {"model": ErrorBody, "description": _TEXT[s]} for s in statuses}}
