"""The theme editor, `/themes`: every theme with its city-wide mentions; coordinators and admins rename, merge,
split, pin, mark chatter and teach example phrases, each shown first as a preview of what it does to the counts
(nothing saved), then applied by a second POST; the edit log, newest first. Leadership sees the table only.

`GET /themes` is one URL with the JSON API (api/routes/themes.py calls `editor_page` for a browser); the forms
post to `/themes` (a page route; the API has no POST /themes). Every form works without JavaScript.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api.corpus import shared_corpus
from api.routes.themes import EditRequest, apply_change, change_of, preview_of, utc
from api.web.session import page_caller, render
from synth.errors import TaxonomyError, ThemeNotFound
from synth.synthesis.pipeline import _is_seeded
from synth.synthesis.theme_editor import ACTIONS
from synth.users import Caller, Role

router = APIRouter(include_in_schema=False)
EDITOR_ROLES = (Role.admin, Role.coordinator)
LOG_ROWS = 50
DONE = {"rename": "Theme renamed.", "merge": "Themes merged.", "split": "Theme split.", "pin": "Theme pinned.",
        "unpin": "Theme unpinned.", "chatter": "Theme marked as chatter.", "concern": "Theme counted as a concern.",
        "examples": "Example phrases added."}


@dataclass
class ThemeRow:
    id: str
    label: str
    kind: str  # seeded, edited, emerging (beside a seeded taxonomy) or discovered
    mentions: int  # records raising it, city-wide, all dates
    pinned: bool
    chatter: bool
    examples: int


def theme_rows(request: Request) -> list[ThemeRow]:
    svc = request.app.state.services
    corpus = shared_corpus(request, svc)
    state = svc.synthesizer.taxonomy()
    counts: Counter[str] = Counter(t for row in corpus.rows for t in row.annotation.themes)
    found = "emerging" if _is_seeded(state) else "discovered"
    rows = [ThemeRow(t.id, t.label, found if t.source == "discovered" else t.source, counts[t.id], t.pinned,
                     not t.is_concern, len(t.examples) if t.source != "discovered" else 0)
            for t in state.themes.values()]
    rows.sort(key=lambda r: (r.chatter, -r.mentions, r.label.lower()))
    return rows


def edit_log(request: Request, labels: dict[str, str]) -> list[dict[str, Any]]:
    """The newest edits, each as when, who (discoveries are synth's own; no user: the command line) and what."""
    svc = request.app.state.services
    return [{"at": utc(row.at), "when": utc(row.at).strftime("%d %b %Y %H:%M UTC"),
             "who": row.actor or ("synth" if row.action == "discover" else "command line"),
             "what": _describe(row.action, row.payload, labels)}
            for row in svc.synthesizer.store.edit_log(limit=LOG_ROWS)]


def _describe(action: str, payload: dict[str, Any], labels: dict[str, str]) -> str:
    def name(tid: Any) -> str:
        return f"“{labels.get(str(tid), str(tid))}”"

    theme = name(payload.get("id"))
    match action:
        case "rename":
            return f"Renamed {payload.get('id')} to “{payload.get('label')}”"
        case "merge":
            folded = [t for t in payload.get("from", []) if t != payload.get("into")]
            return f"Merged {', '.join(str(t) for t in folded)} into {name(payload.get('into'))}"
        case "split":
            return f"Split {payload.get('id')} into {', '.join(name(t) for t in payload.get('into', []))}"
        case "pin" | "unpin":
            return f"{action.capitalize()}ned {theme}"
        case "chatter":
            return f"Marked {theme} as chatter"
        case "concern":
            return f"Counted {theme} as a concern"
        case "examples":
            return f"Taught {theme} {payload.get('added', 0)} example phrase(s)"
        case "discover":
            return f"Themes discovered ({payload.get('themes', '?')} in the taxonomy)"
    return action


def editor_page(request: Request, caller: Caller, *, errors: list[str] | None = None,
                values: dict[str, Any] | None = None, status: int = 200) -> Response:
    """The editor (GET /themes from a browser, or a form sent back with what to fix)."""
    rows = theme_rows(request)
    editor = caller.role in EDITOR_ROLES
    done = request.query_params.get("done")
    return render(request, "themes.html", {
        "active": "themes", "rows": rows, "editor": editor, "errors": errors or [], "values": values or {},
        "done": DONE.get(done or ""), "concerns": [r for r in rows if not r.chatter],
        "log": edit_log(request, {r.id: r.label for r in rows}) if editor else []}, status=status)


def _request_of(action: str, theme_ids: list[str], into: str, label: str, parts: str, phrases: str
                ) -> EditRequest:
    fields: dict[str, Any] = {"action": action, "theme_ids": [t for t in dict.fromkeys(theme_ids) if t],
                              "into": into or None, "label": label.strip() or None, "parts": parts or 2,
                              "phrases": [p.strip() for p in phrases.splitlines() if p.strip()]}
    return EditRequest.model_validate({k: v for k, v in fields.items() if v is not None})  # absent, not null


def _problems(e: ValidationError) -> list[str]:
    names = {"theme_ids": "Themes", "into": "Theme to keep", "label": "New name", "parts": "Parts",
             "phrases": "Example phrases", "action": "Edit"}
    return [f"{names.get(str(err['loc'][0]), err['loc'][0]) if err['loc'] else 'Edit'}: {err['msg']}"
            for err in e.errors()]


@router.post("/themes")
def edit(request: Request, caller: Annotated[Caller, Depends(page_caller(*EDITOR_ROLES))],
         action: Annotated[str, Form(max_length=16)] = "",
         theme_ids: Annotated[list[str] | None, Form(max_length=20)] = None,
         into: Annotated[str, Form(max_length=64)] = "",
         label: Annotated[str, Form(max_length=200)] = "",
         parts: Annotated[str, Form(max_length=2)] = "",
         phrases: Annotated[list[str] | None, Form(max_length=20)] = None,
         confirm: Annotated[str, Form(max_length=1)] = "",
         basis: Annotated[str, Form(max_length=64)] = "") -> Response:
    """First POST: the preview (what the edit does to the counts, nothing saved) with an Apply button; the
    Apply POST (`confirm=1`, the same fields) saves it and returns to the editor. When the taxonomy changed
    between the two (`basis`: the one the preview was computed on), the Apply shows the new preview instead."""
    svc = request.app.state.services
    typed = "\n".join(p[:6_000] for p in phrases or [])  # the textarea, or the preview's one field a phrase
    values = {"action": action, "theme_ids": theme_ids or [], "into": into, "label": label, "parts": parts}
    if action not in ACTIONS:
        return editor_page(request, caller, errors=["Choose an edit."], values=values, status=422)
    try:
        body = _request_of(action, theme_ids or [], into, label, parts, typed)
    except ValidationError as e:
        return editor_page(request, caller, errors=_problems(e), values=values, status=422)
    change = change_of(body, svc)
    now = taxonomy_basis(svc)
    try:
        if confirm == "1" and basis == now:
            apply_change(svc, caller, change)
            return RedirectResponse(f"/themes?done={action}", status_code=303)
        found = preview_of(request, svc, change)
    except ThemeNotFound:
        return editor_page(request, caller, errors=["That theme no longer exists: the taxonomy changed since "
                                                    "the page was loaded."], values=values, status=404)
    except TaxonomyError as e:
        return editor_page(request, caller, errors=[str(e)], values=values, status=422)
    into_row = next((c for c in found.themes if c.theme_id == change.into), None)
    return render(request, "themes_preview.html", {
        "active": "themes", "preview": found, "change": change, "into_row": into_row, "basis": now,
        "stale": confirm == "1"}, status=409 if confirm == "1" else 200)


def taxonomy_basis(svc: Any) -> str:
    """A short fingerprint of the stored taxonomy, which a preview's Apply form carries back."""
    return svc.live.key().taxonomy[:32]
