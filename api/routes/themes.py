"""The city-wide taxonomy: list the themes, and (coordinators) rename, pin, mark as chatter, merge and split
them, as `synth themes ...` does; every edit goes to the taxonomy's edit log and the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from api.deps import ServicesDep
from api.responses import errors
from api.security import EDITORS, READERS, Caller, allow
from synth.synthesis.models import Theme

router = APIRouter(tags=["themes"])
Reader = Annotated[Caller, Depends(allow(*READERS))]
Editor = Annotated[Caller, Depends(allow(*EDITORS))]
ThemeId = Annotated[str, Field(min_length=1, max_length=64)]


class ThemeView(BaseModel):
    """A theme as readers see it (not its example phrases, which may be residents' sentences, nor its cues)."""

    id: str
    label: str
    keywords: list[str]
    description: str
    pinned: bool
    is_concern: bool = Field(description="false for meeting chatter, which is not counted")
    source: Literal["discovered", "seeded", "edited"]

    @classmethod
    def of(cls, theme: Theme) -> ThemeView:
        return cls.model_validate(theme.model_dump(include=set(cls.model_fields)))


class ThemePatch(BaseModel):
    """At least one of the three (the schema leaves null out: a field is either given or absent)."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    label: str | SkipJsonSchema[None] = Field(None, min_length=1, max_length=80, pattern=r"\S")
    pinned: bool | SkipJsonSchema[None] = None
    is_concern: bool | SkipJsonSchema[None] = Field(None, description="false marks the theme as chatter")


class MergeRequest(BaseModel):
    theme_ids: list[ThemeId] = Field(min_length=1, max_length=20, description="themes folded into `into`")
    into: ThemeId


class SplitRequest(BaseModel):
    parts: int = Field(2, ge=2, le=10)


class ThemeEdit(BaseModel):
    at: dt.datetime
    action: str
    payload: dict[str, Any]


def _themes(svc: ServicesDep) -> list[ThemeView]:
    state = svc.synthesizer.taxonomy()
    return [ThemeView.of(t) for t in sorted(state.themes.values(), key=lambda t: (not t.is_concern, t.label))]


@router.get("/themes", response_model=list[ThemeView], responses=errors())
def list_themes(svc: ServicesDep, caller: Reader) -> list[ThemeView]:
    """Every theme: concerns first, then chatter, by label."""
    return _themes(svc)


@router.get("/themes/edits", response_model=list[ThemeEdit], responses=errors())
def theme_edits(svc: ServicesDep, caller: Editor) -> list[ThemeEdit]:
    """The taxonomy's edit log, oldest first (renames, pins, merges, splits, chatter flags, rediscoveries)."""
    return [ThemeEdit(at=at if at.tzinfo else at.replace(tzinfo=dt.UTC),  # SQLite gives UTC back without its zone
                      action=action, payload=payload) for at, action, payload in svc.synthesizer.store.theme_edits()]


@router.patch("/themes/{theme_id}", response_model=ThemeView, responses=errors(404, 422))
def edit_theme(theme_id: str, body: ThemePatch, svc: ServicesDep, caller: Editor) -> ThemeView:
    """Rename a theme, pin or unpin it, or mark it as chatter or a concern (later runs keep the edit)."""
    from synth.synthesis.pipeline import TaxonomyEditor

    if body.label is None and body.pinned is None and body.is_concern is None:
        raise HTTPException(422, "give at least one of label, pinned, is_concern")
    if theme_id not in svc.synthesizer.taxonomy().themes:
        raise HTTPException(404, f"no theme {theme_id!r}")
    editor = TaxonomyEditor(svc.synthesizer)
    if body.label is not None:
        editor.rename(theme_id, body.label)
    if body.pinned is not None:
        editor.pin(theme_id, body.pinned)
    if body.is_concern is not None:
        editor.set_concern(theme_id, body.is_concern)
    svc.audit.record(caller.name, "themes.edit", theme_id, body.model_dump(exclude_none=True))
    return ThemeView.of(svc.synthesizer.taxonomy().themes[theme_id])


@router.post("/themes/merge", response_model=ThemeView, responses=errors(404, 422))
def merge_themes(body: MergeRequest, svc: ServicesDep, caller: Editor) -> ThemeView:
    """Fold themes into one (`into` keeps its id and label)."""
    from synth.synthesis.pipeline import TaxonomyEditor

    TaxonomyEditor(svc.synthesizer).merge(body.theme_ids, body.into)  # ThemeNotFound: 404
    svc.audit.record(caller.name, "themes.merge", body.into, {"from": body.theme_ids})
    return ThemeView.of(svc.synthesizer.taxonomy().themes[body.into])


@router.post("/themes/{theme_id}/split", response_model=list[ThemeView], responses=errors(404, 422))
def split_theme(theme_id: str, body: SplitRequest, svc: ServicesDep, caller: Editor) -> list[ThemeView]:
    """Split a theme that mixes several concerns into `parts` new themes (the old id is retired)."""
    from synth.synthesis.pipeline import TaxonomyEditor

    if theme_id not in svc.synthesizer.taxonomy().themes:
        raise HTTPException(404, f"no theme {theme_id!r}")
    new_ids = TaxonomyEditor(svc.synthesizer).split(theme_id, body.parts)  # too few spans: 422
    svc.audit.record(caller.name, "themes.split", theme_id, {"into": new_ids})
    themes = svc.synthesizer.taxonomy().themes
    return [ThemeView.of(themes[tid]) for tid in new_ids]
