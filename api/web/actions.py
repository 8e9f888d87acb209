"""The actions board, `/actions` ("you said, we did"): every action by status, overdue ones labelled
"Overdue" (not by colour alone); coordinators add one (district, theme from the taxonomy, title, owner, due)
and move it on or complete it with a note. Plain forms (POST, CSRF, then a redirect back), so it works
without JavaScript and on a phone. `GET /actions` itself is api/routes/actions.py (JSON to a token, this page
to a browser)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api.routes.actions import NewAction, create_action, known_districts, list_actions, update_action
from api.web.session import PageError, page_caller, render
from synth.actions import NOTE_CHARS, OWNER_CHARS, STATUS_LABELS, STATUSES, TITLE_CHARS, Action, parse_action_id
from synth.users import Caller, Role

router = APIRouter(include_in_schema=False)
EDITOR_ROLES = (Role.admin, Role.coordinator)
LIMITS = {"title": TITLE_CHARS, "owner": OWNER_CHARS, "note": NOTE_CHARS}
FIELD_NAMES = {"district": "District", "theme_id": "Theme", "title": "Title", "owner": "Owner", "due": "Due date",
               "status": "Status", "note": "Completion note"}


def theme_choices(svc: Any) -> list[tuple[str, str]]:
    """(id, label) of the taxonomy's concern themes, by label, for the theme picker."""
    themes = [t for t in svc.synthesizer.taxonomy().themes.values() if t.is_concern]
    return sorted(((t.id, t.label or t.id) for t in themes), key=lambda pair: pair[1].casefold())


def board_page(request: Request, caller: Caller, filters: dict[str, Any], *, values: dict[str, Any] | None = None,
               errors: list[str] | None = None, status: int = 200) -> Response:
    svc = request.app.state.services
    actions = list_actions(svc, district=filters["district"] or None, theme=filters["theme"] or None,
                           status=filters["status"] or None, overdue=True if filters["overdue"] else None)
    svc.audit.record(caller.name, "actions.read", filters["district"], {"count": len(actions), "page": "board"})
    columns = [(s, STATUS_LABELS[s], [a for a in actions if a.status == s]) for s in STATUSES]
    prefill = values or {"district": filters["district"], "theme_id": filters["theme"], "title": "", "owner": "",
                         "due": ""}
    return render(request, "actions.html", {
        "active": "actions", "columns": columns, "filters": filters, "values": prefill, "errors": errors or [],
        "districts": known_districts(svc), "themes": theme_choices(svc), "status_labels": STATUS_LABELS,
        "statuses": STATUSES, "can_edit": caller.role in EDITOR_ROLES, "overdue": sum(a.overdue for a in actions),
        "limits": LIMITS,
        "today": dt.date.today().isoformat()}, status=status)


@router.get("/actions/new")
def new_action_form(request: Request, caller: Annotated[Caller, Depends(page_caller(*EDITOR_ROLES))],
                    district: Annotated[str, Query(max_length=100)] = "",
                    theme: Annotated[str, Query(max_length=64)] = "") -> Response:
    """The add form alone, prefilled (the district page links here from each theme)."""
    svc = request.app.state.services
    return render(request, "actions_new.html", {
        "active": "actions", "standalone": True, "errors": [], "districts": known_districts(svc),
        "themes": theme_choices(svc), "limits": LIMITS,
        "values": {"district": district, "theme_id": theme, "title": "", "owner": "", "due": ""}})


def action_page(request: Request, action: Action) -> Response:
    """One action with its update form (`GET /actions/{id}` from a browser)."""
    caller = request.state.page_caller
    return render(request, "action.html", {"active": "actions", "a": action, "statuses": STATUSES,
                                           "status_labels": STATUS_LABELS, "can_edit": caller.role in EDITOR_ROLES,
                                           "limits": LIMITS})


def _problems(exc: HTTPException | ValidationError) -> list[str]:
    """What to fix, one line a field, in the form's words."""
    details = exc.errors() if isinstance(exc, ValidationError) else exc.detail
    if not isinstance(details, list):
        return [str(details)]
    return [f"{FIELD_NAMES.get(str(e['loc'][-1]), e['loc'][-1])}: "
            f"{'write it (it may not be blank)' if e.get('type') == 'string_pattern_mismatch' else e['msg']}"
            for e in details]


@router.post("/actions/new")
def add_action(request: Request, caller: Annotated[Caller, Depends(page_caller(*EDITOR_ROLES))],
               district: Annotated[str, Form(max_length=100)] = "",
               theme_id: Annotated[str, Form(max_length=64)] = "",
               title: Annotated[str, Form(max_length=TITLE_CHARS + 1)] = "",
               owner: Annotated[str, Form(max_length=OWNER_CHARS + 1)] = "",
               due: Annotated[str, Form(max_length=10)] = "") -> Response:
    svc = request.app.state.services
    values = {"district": district.strip(), "theme_id": theme_id, "title": title.strip(), "owner": owner.strip(),
              "due": due.strip()}
    try:
        body = NewAction.model_validate({**values, "due": values["due"] or None})
        action = create_action(svc, caller, body)
    except (ValidationError, HTTPException) as e:
        filters = {"district": "", "theme": "", "status": "", "overdue": False}
        return board_page(request, caller, filters, values=values, errors=_problems(e), status=422)
    return RedirectResponse(f"/actions#action-{action.id}", status_code=303)


@router.post("/actions/{action_id}")
def change_action(action_id: str, request: Request, caller: Annotated[Caller, Depends(page_caller(*EDITOR_ROLES))],
                  status: Annotated[str, Form(max_length=16)] = "",
                  note: Annotated[str, Form(max_length=NOTE_CHARS + 1)] = "",
                  back: Annotated[str, Form(max_length=500)] = "") -> Response:
    """Move an action to another status; a note (what was done) is kept with it."""
    number = parse_action_id(action_id)
    if number is None:
        raise PageError(404, "There is no such action.")
    if status not in STATUSES:
        raise PageError(422, "Choose a status: planned, in progress, done or dropped.")
    if len(note) > NOTE_CHARS:
        raise PageError(422, f"The completion note is longer than {NOTE_CHARS} characters.")
    changes: dict[str, Any] = {"status": status}
    if note.strip():
        changes["note"] = note
    try:
        update_action(request.app.state.services, caller, number, changes)
    except HTTPException as e:
        raise PageError(e.status_code, "There is no such action.") from None
    target = back if back.startswith("/") and not back.startswith(("//", "/\\")) else "/actions"
    return RedirectResponse(f"{target}#action-{number}", status_code=303)


def add_link(district: str, theme_id: str) -> str:
    """The add form prefilled for this district and theme."""
    return "/actions/new?" + urlencode({"district": district, "theme": theme_id})
