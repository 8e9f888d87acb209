"""'You said, we did' actions over HTTP: `GET /actions` (readers; also the board page for a signed-in browser),
`POST /actions` and `PATCH /actions/{id}` (editors). Every change goes to the audit log (ids and field names,
never the text); the text is redacted before it is stored (synth/actions.py)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from api.deps import ServicesDep
from api.responses import errors
from api.routes.themes import VISIBLE
from api.security import EDITORS, READERS, Caller, allow
from api.web.session import api_or_page, wants_page
from synth.actions import (
    LABEL_CHARS,
    MAX_ID,
    NOTE_CHARS,
    OWNER_CHARS,
    TITLE_CHARS,
    Action,
    ActionStore,
    Status,
    ThemeMap,
    parse_action_id,
    select_actions,
    under_current_themes,
)
from synth.services import Services

router = APIRouter(tags=["actions"])
Editor = Annotated[Caller, Depends(allow(*EDITORS))]
ReaderOrPage = Annotated[Caller, Depends(api_or_page(*READERS))]
# PostgreSQL text cannot hold NUL: it is taken out of every text field (a schema pattern against it was read
# differently by clients' regex engines)
NoNul = Annotated[str, AfterValidator(lambda v: v.replace("\x00", ""))]
Text = Annotated[str, Field(min_length=1, pattern=VISIBLE), AfterValidator(lambda v: v.replace("\x00", ""))]
ActionId = Annotated[int, Path(ge=1, le=MAX_ID)]


class NewAction(BaseModel):
    district: str = Field(min_length=1, max_length=100)
    theme_id: str = Field(min_length=1, max_length=64, description="a theme of the taxonomy (GET /themes)")
    title: Text = Field(max_length=TITLE_CHARS)
    owner: NoNul = Field("", max_length=OWNER_CHARS,
                       description="a synth user name, or a role or unit")
    due: dt.date | None = None
    status: Status = "planned"
    note: NoNul = Field("", max_length=NOTE_CHARS)


class ActionPatch(BaseModel):
    """At least one field (the schema leaves null out: a field is either given or absent; `due` may be null
    to clear it)."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1}, extra="forbid")

    title: Text | SkipJsonSchema[None] = Field(None, max_length=TITLE_CHARS)
    owner: NoNul | SkipJsonSchema[None] = Field(None, max_length=OWNER_CHARS)
    due: dt.date | None = None
    status: Status | SkipJsonSchema[None] = None
    note: NoNul | SkipJsonSchema[None] = Field(None, max_length=NOTE_CHARS)


def action_store(svc: Services) -> ActionStore:
    def redact(texts: list[str]) -> list[str]:
        return [r.text for r in svc.redactor.redact_batch(texts)]

    return ActionStore(svc.records, redact, staff=lambda: {name for name, *_ in svc.users.list()})


def theme_map(svc: Services) -> ThemeMap:
    state = svc.synthesizer.taxonomy()
    return ThemeMap.of({t.id: t.label for t in state.themes.values()}, svc.synthesizer.store.theme_edits())


def field_error(name: str, message: str, status: int = 422) -> HTTPException:
    """An error shaped like FastAPI's own validation errors, naming the body field (404: it names something
    that does not exist, as the theme routes answer)."""
    return HTTPException(status, [{"loc": ["body", name], "msg": message, "type": "value_error"}])


def known_districts(svc: Services) -> list[str]:
    return sorted(d.district for d in svc.records.district_stats() if d.district)


def create_action(svc: Services, caller: Caller, body: NewAction) -> Action:
    """Check the district and theme exist, store (redacted) and audit."""
    if body.district not in known_districts(svc):
        raise field_error("district", f"no records for district {body.district!r}", 404)
    themes = svc.synthesizer.taxonomy().themes
    if body.theme_id not in themes:
        raise field_error("theme_id", f"no theme {body.theme_id!r} in the taxonomy", 404)
    action = action_store(svc).create(**body.model_dump(), theme_label=themes[body.theme_id].label[:LABEL_CHARS]
                                      or body.theme_id, actor=caller.name)
    svc.audit.record(caller.name, "actions.create", f"action {action.id}",
                     {"district": action.district, "theme": action.theme_id, "status": action.status})
    return action


def update_action(svc: Services, caller: Caller, action_id: int, changes: dict[str, Any]) -> Action:
    action = action_store(svc).update(action_id, changes, actor=caller.name)
    if action is None:
        raise HTTPException(404, f"no action {action_id}")
    svc.audit.record(caller.name, "actions.update", f"action {action_id}",
                     {"fields": sorted(changes), "status": action.status})
    return action


def list_actions(svc: Services, *, district: str | None = None, theme: str | None = None,
                 status: str | None = None, overdue: bool | None = None) -> list[Action]:
    actions = action_store(svc).list(district=district, statuses=[status] if status else None)
    return select_actions(under_current_themes(actions, theme_map(svc)), theme=theme, overdue=overdue)


@router.get("/actions", response_model=list[Action], responses=errors(422))
def get_actions(request: Request, svc: ServicesDep, caller: ReaderOrPage,
                district: Annotated[str | None, Query(max_length=100)] = None,
                theme: Annotated[str | None, Query(max_length=64, description="a theme id (merges followed)")] = None,
                status: Status | None = None, overdue: bool | None = None) -> Any:
    """Actions by due date, filtered by district, theme, status and whether they are overdue (past their due
    date and still planned or in progress). A signed-in browser gets the board page."""
    if wants_page(request):
        from api.web.actions import board_page

        return board_page(request, caller, {"district": district or "", "theme": theme or "",
                                            "status": status or "", "overdue": bool(overdue)})
    actions = list_actions(svc, district=district, theme=theme, status=status, overdue=overdue)
    svc.audit.record(caller.name, "actions.read", district or "", {"count": len(actions)})
    return actions


@router.get("/actions/{action_id}", response_model=Action, responses=errors(404))
def get_action(action_id: str, request: Request, svc: ServicesDep, caller: ReaderOrPage) -> Any:
    """One action (under its theme now). A signed-in browser gets its page, with the update form."""
    number = parse_action_id(action_id)
    action = action_store(svc).get(number) if number is not None else None
    if action is None:
        if wants_page(request):
            from api.web.session import PageError

            raise PageError(404, "There is no such action.")
        raise HTTPException(404, f"no action {action_id[:20]!r}")
    [action] = under_current_themes([action], theme_map(svc))
    svc.audit.record(caller.name, "actions.read", f"action {action.id}", {"count": 1})
    if wants_page(request):
        from api.web.actions import action_page

        return action_page(request, action)
    return action


@router.post("/actions", response_model=Action, status_code=201, responses=errors(404, 422))
def post_action(body: NewAction, svc: ServicesDep, caller: Editor) -> Action:
    """A new action on a district's theme (title, owner and note are redacted before they are stored)."""
    return create_action(svc, caller, body)


@router.patch("/actions/{action_id}", response_model=Action, responses=errors(404, 422))
def patch_action(action_id: ActionId, body: ActionPatch, svc: ServicesDep, caller: Editor) -> Action:
    """Change an action's status, completion note, due date, owner or title. `done` records when it was done."""
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise HTTPException(422, "give at least one of title, owner, due, status, note")
    for name in ("title", "owner", "status", "note"):
        if name in changes and changes[name] is None:
            raise field_error(name, "may not be null")
    return update_action(svc, caller, action_id, changes)
