"""The city-wide taxonomy: list the themes, and (coordinators) rename, pin, mark as chatter, merge, split them and
teach them example phrases, as `synth themes ...` does; preview what an edit does to the counts before making
it. Every edit goes to the taxonomy's edit log (with its author) and the audit log. `GET /themes` is also the
theme editor page for a signed-in browser (api/web/themes.py)."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from api.deps import ServicesDep
from api.responses import errors
from api.security import EDITORS, READERS, Caller, allow
from api.web.session import api_or_page, wants_page
from synth.services import Services
from synth.synthesis.models import Theme
from synth.synthesis.theme_editor import ACTIONS, Action, Preview, TaxonomyChange

router = APIRouter(tags=["themes"])
Editor = Annotated[Caller, Depends(allow(*EDITORS))]
ThemeId = Annotated[str, Field(min_length=1, max_length=64)]
# Some text that Python's str.split() does not take for space (the editor collapses whitespace with it): besides
# JSON Schema's \s, the information separators U+001C-U+001F and U+0085 are space to Python.
VISIBLE = r"[^\s\u001c-\u001f\u0085]"
Phrase = Annotated[str, Field(min_length=3, max_length=300, pattern=VISIBLE)]
# (a Field on `str | None` drops its pattern from the schema; on the inner type it is kept)
Label = Annotated[str, Field(min_length=1, max_length=80, pattern=VISIBLE)]
PREVIEWS_KEPT = 16


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

    label: Label | SkipJsonSchema[None] = None
    pinned: bool | SkipJsonSchema[None] = None
    is_concern: bool | SkipJsonSchema[None] = Field(None, description="false marks the theme as chatter")


class MergeRequest(BaseModel):
    theme_ids: list[ThemeId] = Field(min_length=1, max_length=20, description="themes folded into `into`")
    into: ThemeId


class SplitRequest(BaseModel):
    parts: int = Field(2, ge=2, le=10)


class ExamplesRequest(BaseModel):
    phrases: list[Phrase] = Field(min_length=1, max_length=20, description="resident-like sentences about the "
                                  "theme; redacted before they are stored")


def _needs(action: str, field: str, rule: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"if": {"properties": {"action": {"const": action}}, "required": ["action"]},
            "then": {"required": [field], **({"properties": {field: rule}} if rule else {})}}


class EditRequest(BaseModel):
    """One edit, as the preview takes it: `theme_ids` are the themes it acts on (one, except for a merge). A
    merge needs `into`, a rename `label`, new examples `phrases` (the schema says so with if/then)."""

    model_config = ConfigDict(json_schema_extra={"allOf": [_needs("merge", "into"), _needs("rename", "label"),
                                                           _needs("examples", "phrases", {"minItems": 1})]})

    action: Literal[ACTIONS]  # type: ignore[valid-type]
    theme_ids: list[ThemeId] = Field(min_length=1, max_length=20)
    into: ThemeId | SkipJsonSchema[None] = Field(None, description="merge: the theme to keep")
    label: Label | SkipJsonSchema[None] = Field(None,
                                              description="rename: the new name")
    parts: int = Field(2, ge=2, le=10, description="split: into how many themes")
    phrases: list[Phrase] = Field(default_factory=list, max_length=20, description="examples: the phrases")

    @model_validator(mode="after")
    def _fields_the_action_needs(self) -> EditRequest:
        if self.action == "merge" and self.into is None:
            raise ValueError("a merge needs `into`, the theme to keep")
        if self.action == "rename" and self.label is None:
            raise ValueError("a rename needs `label`, the new name")
        if self.action == "examples" and not self.phrases:
            raise ValueError("new examples need `phrases`")
        return self


class CountView(BaseModel):
    theme_id: str
    label: str
    district: str | None = Field(description="null: city-wide")
    before: int
    after: int


class PreviewView(BaseModel):
    """What the edit would do to the mentions (records raising each theme); nothing is saved."""

    description: str
    themes: list[CountView] = Field(description="city-wide: the themes the edit touches or whose count moves")
    districts: list[CountView] = Field(description="the district themes that move most")
    unchanged_themes: int
    new_theme_ids: list[str]
    seconds: float
    estimate: bool = Field(description="true with the LLM annotator: both sides counted by the offline one")


class ThemeEdit(BaseModel):
    at: dt.datetime
    action: str
    payload: dict[str, Any]
    actor: str | None = Field(None, description="who made it (null: the command line)")


def _themes(svc: ServicesDep) -> list[ThemeView]:
    state = svc.synthesizer.taxonomy()
    return [ThemeView.of(t) for t in sorted(state.themes.values(), key=lambda t: (not t.is_concern, t.label))]


@router.get("/themes", response_model=list[ThemeView], responses=errors())
def list_themes(request: Request, svc: ServicesDep,
                caller: Annotated[Caller, Depends(api_or_page(*READERS))]) -> Any:
    """Every theme: concerns first, then chatter, by label (a signed-in browser gets the theme editor page)."""
    if wants_page(request):
        from api.web.themes import editor_page

        return editor_page(request, caller)
    return _themes(svc)


@router.get("/themes/edits", response_model=list[ThemeEdit], responses=errors())
def theme_edits(svc: ServicesDep, caller: Editor) -> list[ThemeEdit]:
    """The taxonomy's edit log, oldest first (renames, pins, merges, splits, chatter flags, example phrases,
    rediscoveries), with who made each."""
    return [ThemeEdit(at=utc(row.at), action=row.action, payload=row.payload, actor=row.actor)
            for row in reversed(svc.synthesizer.store.edit_log(limit=10_000))]


def utc(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)  # SQLite gives UTC back without its zone


def redacted(svc: Services, phrases: list[str]) -> tuple[str, ...]:
    """Typed phrases are resident-like text: redacted before they are previewed, stored or shown."""
    cleaned = [p.strip() for p in phrases if p.strip()]
    return tuple(r.text for r in svc.redactor.redact_batch(cleaned)) if cleaned else ()


def change_of(body: EditRequest, svc: Services) -> TaxonomyChange:
    action: Action = body.action
    return TaxonomyChange(action=action, theme_ids=tuple(body.theme_ids), into=body.into, label=body.label,
                          parts=body.parts, phrases=redacted(svc, body.phrases))


def preview_of(request: Request, svc: Services, change: TaxonomyChange) -> Preview:
    """The edit's preview against the counts the pages show now; kept per (store state, edit), so showing it
    again, or an Apply that fails and comes back, costs nothing."""
    from api.corpus import shared_corpus
    from synth.synthesis.theme_editor import preview

    corpus = shared_corpus(request, svc)
    key = (svc.live.key(), change)
    kept: OrderedDict[Any, Preview] = getattr(request.app.state, "theme_previews", None) or OrderedDict()
    request.app.state.theme_previews = kept
    if key not in kept:
        district_of = {row.record_id: row.district for row in corpus.rows}
        kept[key] = preview(svc.synthesizer, change, [row.annotation for row in corpus.rows], district_of)
        while len(kept) > PREVIEWS_KEPT:
            kept.popitem(last=False)
    return kept[key]


def apply_change(svc: Services, caller: Caller, change: TaxonomyChange) -> list[str]:
    """Make the edit, logged with its author, and audit it."""
    from synth.synthesis.theme_editor import TaxonomyEditor

    ids = TaxonomyEditor(svc.synthesizer, actor=caller.name).apply(change)
    detail: dict[str, Any] = {"action": change.action, "themes": list(change.theme_ids)}
    if change.into:
        detail["into"] = change.into
    if change.label:
        detail["label"] = change.label
    if change.action == "split":
        detail["new"] = ids
    if change.phrases:
        detail["phrases"] = len(change.phrases)
    kind = change.action if change.action in ("merge", "split", "examples") else "edit"
    svc.audit.record(caller.name, f"themes.{kind}", change.into or change.theme_ids[0], detail)
    return ids


@router.post("/themes/preview", response_model=PreviewView, responses=errors(404, 422))
def preview_edit(request: Request, body: EditRequest, svc: ServicesDep, caller: Editor) -> PreviewView:
    """What an edit would do to the counts (per theme city-wide, and the district themes that move most),
    computed on a copy of the taxonomy: nothing is saved. Send the same body to the edit's own route to make
    it."""
    found = preview_of(request, svc, change_of(body, svc))
    return PreviewView(description=found.description, unchanged_themes=found.unchanged,
                       new_theme_ids=found.new_ids, seconds=round(found.seconds, 3), estimate=found.estimate,
                       themes=[CountView(theme_id=c.theme_id, label=c.label, district=None, before=c.before,
                                         after=c.after) for c in found.themes],
                       districts=[CountView(theme_id=c.theme_id, label=c.label, district=c.district,
                                            before=c.before, after=c.after) for c in found.districts])


@router.patch("/themes/{theme_id}", response_model=ThemeView, responses=errors(404, 422))
def edit_theme(theme_id: str, body: ThemePatch, svc: ServicesDep, caller: Editor) -> ThemeView:
    """Rename a theme, pin or unpin it, or mark it as chatter or a concern (later runs keep the edit)."""
    from synth.synthesis.theme_editor import TaxonomyEditor

    if body.label is None and body.pinned is None and body.is_concern is None:
        raise HTTPException(422, "give at least one of label, pinned, is_concern")
    if theme_id not in svc.synthesizer.taxonomy().themes:
        raise HTTPException(404, f"no theme {theme_id!r}")
    editor = TaxonomyEditor(svc.synthesizer, actor=caller.name)
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
    """Fold themes into one (`into` keeps its id and label, and takes their example phrases and cues)."""
    from synth.synthesis.theme_editor import TaxonomyEditor

    TaxonomyEditor(svc.synthesizer, actor=caller.name).merge(body.theme_ids, body.into)  # ThemeNotFound: 404
    svc.audit.record(caller.name, "themes.merge", body.into, {"from": body.theme_ids})
    return ThemeView.of(svc.synthesizer.taxonomy().themes[body.into])


@router.post("/themes/{theme_id}/split", response_model=list[ThemeView], responses=errors(404, 422))
def split_theme(theme_id: str, body: SplitRequest, svc: ServicesDep, caller: Editor) -> list[ThemeView]:
    """Split a theme that mixes several concerns into `parts` new themes (the old id is retired)."""
    from synth.synthesis.theme_editor import TaxonomyEditor

    if theme_id not in svc.synthesizer.taxonomy().themes:
        raise HTTPException(404, f"no theme {theme_id!r}")
    new_ids = TaxonomyEditor(svc.synthesizer, actor=caller.name).split(theme_id, body.parts)  # too few spans: 422
    svc.audit.record(caller.name, "themes.split", theme_id, {"into": new_ids})
    themes = svc.synthesizer.taxonomy().themes
    return [ThemeView.of(themes[tid]) for tid in new_ids]


@router.post("/themes/{theme_id}/examples", response_model=ThemeView, responses=errors(404, 422))
def add_examples(theme_id: str, body: ExamplesRequest, svc: ServicesDep, caller: Editor) -> ThemeView:
    """Teach a theme example phrases (resident-like sentences; redacted first): the seeded classifier gives a
    span the theme whose nearest examples it is closest to. Preview with `POST /themes/preview`
    (`action: "examples"`)."""
    if theme_id not in svc.synthesizer.taxonomy().themes:
        raise HTTPException(404, f"no theme {theme_id!r}")
    apply_change(svc, caller, TaxonomyChange("examples", (theme_id,), phrases=redacted(svc, body.phrases)))
    return ThemeView.of(svc.synthesizer.taxonomy().themes[theme_id])
