"""The home page: the city overview for readers; the sign-in form for a signed-out visitor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.web.auth import sign_in_page
from api.web.session import READER_ROLES, page_visitor, render
from synth.users import Caller

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, caller: Annotated[Caller | None, Depends(page_visitor(*READER_ROLES))]) -> Response:
    if caller is None:
        return sign_in_page(request)
    return render(request, "overview.html", {"active": "overview"})
