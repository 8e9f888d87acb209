"""Web sessions for the pages: the `synth_session` cookie, CSRF tokens and the page dependency.

- **Session**: the cookie holds a session id from `UserStore.sign_in` (HttpOnly, SameSite=Lax, Secure when the
  request came over HTTPS, directly or as `X-Forwarded-Proto: https`; plain-HTTP loopback sign-in still works).
- **CSRF**: a signed-in form carries HMAC(server secret, session id) in the hidden field `csrf_token`. The
  sign-in form has no session yet, so it uses a signed double-submit: a random nonce in the `synth_csrf`
  cookie and HMAC(secret, nonce) in the form. Every POST through `page_caller` (and `/signin`) is checked;
  a missing or wrong token is a 403.
- **Pages** redirect a signed-out visitor to the sign-in page (303); the API never redirects (401).

For page modules: `page_caller(*roles)` (a dependency returning the Caller), `render(request, template, ctx)`,
and the template global `csrf_field()` (the hidden input for the current visitor).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from api.security import bearer
from synth.users import Caller, Role

Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]

__all__ = ["page_caller", "page_visitor", "api_or_page", "wants_page", "render", "csrf_field", "csrf_token",
           "require_csrf", "PageError", "SignInRequired", "SESSION_COOKIE", "CSRF_COOKIE", "READER_ROLES", "templates"]

SESSION_COOKIE = "synth_session"
CSRF_COOKIE = "synth_csrf"
CSRF_FIELD = "csrf_token"
READER_ROLES = (Role.admin, Role.coordinator, Role.leadership)
WEB_DIR = Path(__file__).parent
templates = Jinja2Templates(directory=WEB_DIR / "templates")

# Pages may only load what this server serves; inline SVG is markup, so no 'unsafe-inline' is needed.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class SignInRequired(Exception):
    """No valid session: pages answer with a 303 to the sign-in page."""


class PageError(Exception):
    """An error shown as an HTML page (403 for a role that may not open it, 404, ...)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# -- secrets and tokens ---------------------------------------------------------------------------------------
def server_secret(request: Request) -> bytes:
    secret = getattr(request.app.state, "server_secret", None)
    if secret is None:
        from synth.server_secret import load_or_create_secret

        secret = request.app.state.server_secret = load_or_create_secret(
            request.app.state.services.settings.data_dir)
    return secret


def _sign(request: Request, purpose: str, value: str) -> str:
    return hmac.new(server_secret(request), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def _signin_nonce(request: Request) -> str:
    """The pre-session nonce: the visitor's cookie, or a new one (set on the response by `render`)."""
    nonce = getattr(request.state, "csrf_nonce", None) or request.cookies.get(CSRF_COOKIE)
    if not nonce or len(nonce) > 100:
        nonce = secrets.token_urlsafe(24)
        request.state.new_csrf_nonce = nonce
    request.state.csrf_nonce = nonce
    return nonce


def csrf_token(request: Request) -> str:
    """The token forms on this page must send: bound to the session if signed in, else to the nonce cookie."""
    session_id = getattr(request.state, "session_id", None)
    if session_id:
        return _sign(request, "csrf", session_id)
    return _sign(request, "signin", _signin_nonce(request))


def csrf_field(request: Request) -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, csrf_token(request))


async def require_csrf(request: Request) -> None:
    """403 unless the form's `csrf_token` matches the session (or, signed out, the signed nonce cookie)."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    session_id = getattr(request.state, "session_id", None)
    nonce = request.cookies.get(CSRF_COOKIE)
    if session_id:
        expected = _sign(request, "csrf", session_id)
    elif nonce:
        expected = _sign(request, "signin", nonce)
    else:
        expected = None
    if not isinstance(sent, str) or expected is None or not hmac.compare_digest(sent, expected):
        raise PageError(403, "This form has expired or did not come from this site. Reload the page and "
                             "try again.")


# -- sessions -------------------------------------------------------------------------------------------------
def session_caller(request: Request) -> Caller | None:
    """The signed-in caller (and request.state.session_id), or None."""
    if hasattr(request.state, "page_caller"):
        return request.state.page_caller
    session_id = request.cookies.get(SESSION_COOKIE)
    caller = request.app.state.services.users.authenticate_token(session_id, kind="session") if session_id else None
    request.state.session_id = session_id if caller else None
    request.state.page_caller = caller
    if caller is not None:
        request.state.caller = caller.name  # for the access log line
    return caller


def is_https(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "").lower() == "https"


def set_session_cookie(request: Request, response: Response, session_id: str, max_age: int) -> None:
    response.set_cookie(SESSION_COOKIE, session_id, max_age=max_age, path="/", httponly=True, samesite="lax",
                        secure=is_https(request))


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=is_https(request))


def landing_page(caller: Caller) -> str:
    """Where a caller goes after sign-in: officers log meetings, everyone else reads the overview."""
    return "/notes/new" if caller.role == Role.note_taker else "/"


def _admit(request: Request, caller: Caller, allowed: frozenset[Role]) -> None:
    from api.security import _rate_limiter

    svc = request.app.state.services
    wait = _rate_limiter(request, svc.settings.api_requests_per_minute).retry_after(f"user:{caller.user_id}")
    if wait is not None:
        raise PageError(429, f"Too many requests: try again in {wait} seconds.")
    if caller.role not in allowed:
        raise PageError(403, f"The {caller.role.value.replace('_', ' ')} role may not open this page.")


async def _signed_in(request: Request, allowed: frozenset[Role]) -> Caller:
    """The page rules: the session's caller of an allowed role, within budget; POSTs carry the CSRF token."""
    caller = session_caller(request)
    if caller is None:
        raise SignInRequired()
    _admit(request, caller, allowed)
    if request.method not in ("GET", "HEAD"):
        await require_csrf(request)
    return caller


def page_caller(*roles: Role) -> Callable[[Request], Awaitable[Caller]]:
    """A page dependency: the signed-in Caller of one of `roles`. Signed out: 303 to the sign-in page; another
    role: a 403 page; over the request budget: a 429 page. POSTs must carry a valid CSRF token."""
    allowed = frozenset(roles)

    async def caller_for_page(request: Request) -> Caller:
        return await _signed_in(request, allowed)

    caller_for_page.allowed_roles = allowed  # type: ignore[attr-defined]  # read by the route × role test
    caller_for_page.is_page = True  # type: ignore[attr-defined]
    return caller_for_page


def page_visitor(*roles: Role) -> Callable[[Request], Awaitable[Caller | None]]:
    """As `page_caller`, for a GET page that a signed-out visitor may see differently: None when signed out."""
    allowed = frozenset(roles)

    async def visitor(request: Request) -> Caller | None:
        caller = session_caller(request)
        if caller is not None:
            _admit(request, caller, allowed)
        return caller

    visitor.allowed_roles = allowed  # type: ignore[attr-defined]
    visitor.is_page = True  # type: ignore[attr-defined]
    return visitor


def wants_page(request: Request) -> bool:
    """True when a route that is both an API resource and a page should answer with the page: the request has
    no `Authorization` header (API clients always send their bearer token) and either a session cookie or a
    browser's `Accept: text/html`. Set by `api_or_page` on `request.state.via_page`."""
    return bool(getattr(request.state, "via_page", False))


def api_or_page(*roles: Role) -> Callable[..., Awaitable[Caller]]:
    """One URL, two faces (`/themes`, `/actions`): a bearer token gets the API's rules and JSON (401/403/429 as
    JSON), a browser gets the page's (303 to sign in, 403 page, CSRF on POST). A request with neither a token
    nor a session nor `Accept: text/html` is an API call without a token: 401 JSON. The route reads
    `wants_page(request)` to choose its answer; `tests/test_api_roles.py` checks it under ROLE_TABLE."""
    from api.security import allow

    allowed = frozenset(roles)
    api_rule = allow(*roles)

    async def caller_for_either(request: Request, credentials: Credentials) -> Caller:
        browser = "text/html" in request.headers.get("accept", "")
        if credentials is None and (request.cookies.get(SESSION_COOKIE) or browser):
            request.state.via_page = True
            return await _signed_in(request, allowed)
        request.state.via_page = False
        return api_rule(request, request.app.state.services, credentials)

    caller_for_either.allowed_roles = allowed  # type: ignore[attr-defined]  # read by the route × role test
    return caller_for_either


# -- rendering ------------------------------------------------------------------------------------------------
def render(request: Request, template: str, ctx: dict[str, Any] | None = None, *, status: int = 200) -> HTMLResponse:
    """A page from templates/ with the caller, the CSRF field and the security headers."""
    context = {"caller": session_caller(request), "csrf_field": lambda: csrf_field(request), **(ctx or {})}
    response = templates.TemplateResponse(request, template, context, status_code=status)
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    response.headers["Cache-Control"] = "no-store"  # pages hold residents' (redacted) words
    if (nonce := getattr(request.state, "new_csrf_nonce", None)) is not None:
        response.set_cookie(CSRF_COOKIE, nonce, path="/", httponly=True, samesite="lax", secure=is_https(request))
    return response


def sign_in_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/signin?next={quote(target, safe='')}", status_code=303)


def install_page_handlers(app: Any) -> None:
    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, _: SignInRequired) -> Response:
        return sign_in_redirect(request)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        """A page's bad query (a period like "2026-13") is an HTML page too; the API keeps FastAPI's JSON."""
        endpoint = request.scope.get("endpoint")
        if getattr(endpoint, "__module__", "").startswith("api.web."):
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in exc.errors())
            return render(request, "error.html", {"status": 422, "message": f"This address is not valid "
                                                  f"({problems})."}, status=422)
        return await request_validation_exception_handler(request, exc)

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError) -> Response:
        return render(request, "error.html", {"status": exc.status, "message": exc.message}, status=exc.status)
