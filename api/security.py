"""Who may call what. Every API route declares its roles with `allow(...)`; `tests/test_api_roles.py` walks
every route of the app and compares with a declared table, so a route without a rule fails the suite.

A caller proves who they are with `Authorization: Bearer <token>` (tokens from `synth users add|token`).
No token or an unknown one: 401 (JSON, `WWW-Authenticate: Bearer`, never a redirect). A known caller whose
role is not allowed: 403. A caller over their request budget: 429 with `Retry-After`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import ServicesDep
from synth.users import Caller, Role

__all__ = ["Caller", "Role", "allow", "READERS", "EDITORS", "EVERYONE", "AUTH_RESPONSES"]

READERS = (Role.admin, Role.coordinator, Role.leadership)
EDITORS = (Role.admin, Role.coordinator)
EVERYONE = tuple(Role)

bearer = HTTPBearer(auto_error=False, scheme_name="bearer",
                    description="An API token from `synth users add NAME --role ROLE` or `synth users token NAME`.")

_ERROR = {"content": {"application/json": {"schema": {"type": "object", "properties": {
    "detail": {"type": "string"}}}}}}
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "no bearer token, or an unknown or revoked one", **_ERROR},
    403: {"description": "the caller's role may not use this route", **_ERROR},
    429: {"description": "too many requests from this token; retry after `Retry-After` seconds", **_ERROR},
}


class RateLimiter:
    """A moving one-minute window of requests per caller (in this process)."""

    def __init__(self, per_minute: int) -> None:
        from limits import RateLimitItemPerMinute
        from limits.storage import MemoryStorage
        from limits.strategies import MovingWindowRateLimiter

        self._item = RateLimitItemPerMinute(per_minute)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def retry_after(self, key: str) -> int | None:
        """None when `key` may go ahead (and counts the request); else the seconds to wait."""
        if self._limiter.hit(self._item, key):
            return None
        reset = self._limiter.get_window_stats(self._item, key).reset_time
        return max(1, math.ceil(reset - time.time()))


def _rate_limiter(request: Request, per_minute: int) -> RateLimiter:
    limiter = getattr(request.app.state, "rate_limiter", None)
    if limiter is None:
        limiter = request.app.state.rate_limiter = RateLimiter(per_minute)
    return limiter


def allow(*roles: Role) -> Callable[..., Caller]:
    """A dependency that admits a bearer of one of `roles` and returns the Caller."""
    allowed = frozenset(roles)

    def caller_with_role(request: Request, svc: ServicesDep,
                         credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
        caller = svc.users.authenticate_token(credentials.credentials) if credentials else None
        if caller is None:
            raise HTTPException(401, "a valid bearer token is required (Authorization: Bearer <token>)",
                                headers={"WWW-Authenticate": "Bearer"})
        request.state.caller = caller.name  # for the access log line
        wait = _rate_limiter(request, svc.settings.api_requests_per_minute).retry_after(f"user:{caller.user_id}")
        if wait is not None:
            raise HTTPException(429, f"more than {svc.settings.api_requests_per_minute} requests a minute: "
                                     f"retry in {wait} s", headers={"Retry-After": str(wait)})
        if caller.role not in allowed:
            raise HTTPException(403, f"the {caller.role.value} role may not use this route")
        return caller

    caller_with_role.allowed_roles = allowed  # type: ignore[attr-defined]  # read by the route × role test
    return caller_with_role
