"""Sign-in and sign-out pages. A signed-out visitor to `/` gets the same form (api/web/overview.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.web.session import (
    clear_session_cookie,
    landing_page,
    render,
    require_csrf,
    session_caller,
    set_session_cookie,
)

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str | None:
    """Only a path on this site ("/x", never "//host" or "/\\host"): sign-in must not redirect elsewhere."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")) and "\n" not in target:
        return target
    return None


def sign_in_page(request: Request, *, next_url: str | None = None, error: str | None = None,
                 username: str = "", status: int = 200) -> Response:
    return render(request, "signin.html", {"next_url": safe_next(next_url) or "", "error": error,
                                           "username": username}, status=status)


@router.get("/signin")
def sign_in_form(request: Request, next: str | None = None) -> Response:  # noqa: A002  (the query's name)
    caller = session_caller(request)
    if caller is not None:
        return RedirectResponse(safe_next(next) or landing_page(caller), status_code=303)
    return sign_in_page(request, next_url=next)


@router.post("/signin")
async def sign_in(request: Request, username: Annotated[str, Form(max_length=64)] = "",
                  password: Annotated[str, Form(max_length=1024)] = "",
                  next: Annotated[str, Form(max_length=2000)] = "") -> Response:  # noqa: A002
    from synth.users import SignInRefused

    svc = request.app.state.services
    request.state.session_id = None  # the sign-in form is checked against its nonce cookie, not a session
    await require_csrf(request)
    try:
        caller, session_id = svc.users.sign_in(username, password)
    except SignInRefused as refused:
        locked = "too many" in str(refused)
        svc.audit.record(username[:64] or "-", "web.signin_refused", "", {"locked": locked})
        return sign_in_page(request, next_url=next, error=str(refused).capitalize() + ".", username=username,
                            status=429 if locked else 401)
    svc.audit.record(caller.name, "web.signin", "", {"role": caller.role.value})
    response = RedirectResponse(safe_next(next) or landing_page(caller), status_code=303)
    set_session_cookie(request, response, session_id, max_age=int(svc.users.session_hours * 3600))
    return response


@router.post("/signout")
async def sign_out(request: Request) -> Response:
    caller = session_caller(request)
    response = RedirectResponse("/", status_code=303)
    if caller is not None:
        await require_csrf(request)
        request.app.state.services.users.sign_out(request.state.session_id)
        request.app.state.services.audit.record(caller.name, "web.signout")
    clear_session_cookie(request, response)
    return response
