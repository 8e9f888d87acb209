"""The review queue's API: `GET /review/items` (JSON) and `POST /review/corrections` (a bearer token gets
JSON; the queue page's buttons post the same URL as a form and are sent back to the queue, 303). A verdict on
one sentence (confirm, another theme, "not a concern", a sentiment) is stored (synth/synthesis/review/),
audited, and the district's counts are read before and after, so the caller sees what it changed."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from api.corpus import PERIOD_PATTERN, period_key, shared_corpus
from api.deps import ServicesDep
from api.responses import errors
from api.security import EDITORS, Caller, allow
from api.web.session import PageError, api_or_page, wants_page
from synth.services import Services
from synth.synthesis.models import OTHER_THEME
from synth.synthesis.review.queue import Item, build_queue, district_counts, district_scope

router = APIRouter(tags=["review"])
Editor = Annotated[Caller, Depends(allow(*EDITORS))]
MAX_ITEMS = 200


class Verdict(BaseModel):
    """One click on the queue: `confirm` keeps the sentence's theme, `theme` gives it `theme` ("other": not a
    concern), `also` adds `theme` as a second theme of the sentence, `none` says it raises no concern,
    `sentiment` sets its sentiment."""

    model_config = ConfigDict(json_schema_extra={"allOf": [
        {"if": {"properties": {"verdict": {"enum": ["theme", "also"]}}, "required": ["verdict"]},
         "then": {"required": ["theme"], "properties": {"theme": {"type": "string", "minLength": 1}}}},
        {"if": {"properties": {"verdict": {"const": "sentiment"}}, "required": ["verdict"]},
         "then": {"required": ["sentiment"], "properties": {"sentiment": {"type": "string"}}}}]})

    record_id: str = Field(min_length=1, max_length=128)
    index: int = Field(ge=0, lt=1000)
    verdict: Literal["confirm", "theme", "also", "none", "sentiment"]
    theme: str | None = Field(default=None, max_length=64)
    sentiment: Literal["positive", "neutral", "negative"] | None = None
    period: str | None = Field(default=None, pattern=PERIOD_PATTERN)

    @model_validator(mode="after")
    def _what_the_verdict_needs(self) -> Verdict:
        if self.verdict in ("theme", "also") and not self.theme:
            raise ValueError(f"a '{self.verdict}' verdict needs `theme`")
        if self.verdict == "sentiment" and self.sentiment is None:
            raise ValueError("a 'sentiment' verdict needs `sentiment`")
        return self


class CountChange(BaseModel):
    theme: str
    before: int
    after: int


class VerdictResult(BaseModel):
    record_id: str
    index: int
    district: str | None
    period: str
    theme: str | None
    also: str | None = None
    sentiment: str | None
    changes: list[CountChange]  # the district's theme counts (records) this verdict moved


class ItemView(BaseModel):
    record_id: str
    index: int
    text: str
    district: str | None
    period: str
    theme: str
    sentiment: str
    confidence: float
    consequence: int
    alternatives: list[str]
    counts: dict[str, int]

    @classmethod
    def of(cls, item: Item, text: str) -> ItemView:
        return cls(record_id=item.record_id, index=item.index, text=text, district=item.district, period=item.period,
                   theme=item.theme_id, sentiment=item.sentiment, confidence=item.confidence,
                   consequence=item.consequence, alternatives=item.alternatives, counts=item.counts)


def queue_items(svc: Services, request: Request, district: str | None, period: str | None,
                limit: int) -> list[Item]:
    corpus = shared_corpus(request, svc)
    if district and district not in corpus.districts:
        raise HTTPException(404, f"no records for district {district!r}")
    return build_queue(svc.synthesizer, corpus, district=district, period=period_key(period) if period else None,
                       limit=limit)


@router.get("/review/items", response_model=list[ItemView], responses=errors(404, 422))
def review_items(request: Request, svc: ServicesDep, caller: Editor,
                 district: Annotated[str | None, Query(max_length=100)] = None,
                 period: Annotated[str | None, Query(pattern=PERIOD_PATTERN)] = None,
                 limit: Annotated[int, Query(ge=1, le=MAX_ITEMS)] = 50) -> list[ItemView]:
    """The concern assignments synth is least sure of, the ones that move a headline count first (see
    synth/synthesis/review/queue.py); residents' words redacted again on the way out."""
    items = queue_items(svc, request, district, period, limit)
    texts = svc.outbound([it.text for it in items]) if items else []
    svc.audit.record(caller.name, "review.read", district or "all", {"items": len(items)})
    return [ItemView.of(it, t) for it, t in zip(items, texts, strict=True)]


def apply_verdict(svc: Services, request: Request, caller: Caller, v: Verdict) -> VerdictResult:
    """Store one verdict and say which of the district's counts it moved (404: no such sentence; 422: a theme
    that is not a concern theme)."""
    corpus = shared_corpus(request, svc)
    span = next((sp for sp in svc.synthesizer.store.load_spans([v.record_id]) if sp.idx == v.index), None)
    ann = corpus.annotations.get(v.record_id)
    if span is None or ann is None:
        raise HTTPException(404, f"no sentence {v.index} in record {v.record_id!r}")
    current = next((c.theme_id for c in ann.concerns if c.index == v.index), OTHER_THEME)
    theme = {"confirm": current, "none": OTHER_THEME, "theme": v.theme, "also": current, "sentiment": None}[v.verdict]
    also = v.theme if v.verdict == "also" and current != OTHER_THEME else None
    if v.verdict == "also" and current == OTHER_THEME:  # a sentence without a theme: the theme is its first
        theme = v.theme
    if v.verdict in ("theme", "also") and v.theme not in corpus.themes and v.theme != OTHER_THEME:
        raise HTTPException(422, f"{v.theme!r} is not a concern theme")
    if v.verdict == "sentiment" and v.sentiment is None:
        raise HTTPException(422, "say which sentiment")
    district = next((r.district for r in corpus.rows if r.record_id == v.record_id), None)
    period, ids = district_scope(corpus, district, period_key(v.period) if v.period else None) if district \
        else (v.period or "all", [v.record_id])
    before = district_counts(corpus.annotations, ids)
    svc.synthesizer.corrections.save(span, caller.name, theme_id=theme, sentiment=v.sentiment, also=also)
    svc.audit.record(caller.name, "review.correct", district or "", {
        "record": v.record_id, "index": v.index, "verdict": v.verdict, "from": current, "theme": theme or "",
        "also": also or "", "sentiment": v.sentiment or ""})
    after = district_counts(svc.live.corpus().annotations, ids)
    changes = [CountChange(theme=t, before=before[t], after=after[t])
               for t in sorted(set(before) | set(after)) if before[t] != after[t]]
    return VerdictResult(record_id=v.record_id, index=v.index, district=district, period=period, theme=theme,
                         also=also, sentiment=v.sentiment, changes=changes)


@router.post("/review/corrections", response_model=VerdictResult, responses=errors(404, 422),
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": Verdict.model_json_schema()}}}})
async def post_correction(request: Request, svc: ServicesDep,
                          caller: Annotated[Caller, Depends(api_or_page(*EDITORS))]) -> Any:
    """Confirm or correct one sentence's theme or sentiment (JSON body: `Verdict`). From the queue page (a form
    post), the answer is a 303 back to the queue showing the counts that moved."""
    page = wants_page(request)
    try:
        raw: Any = {k: v for k, v in (await request.form()).items() if v != ""} if page else await request.json()
    except ValueError:
        raise HTTPException(422, "send a JSON object") from None
    if page and isinstance(raw, dict):  # a button names its theme or sentiment; the verdict follows from it
        raw.setdefault("verdict", "theme" if "theme" in raw else "sentiment" if "sentiment" in raw else "")
    try:
        verdict = Verdict.model_validate(raw)
    except ValidationError as e:
        if page:
            raise PageError(422, "This button's form is not valid: reload the queue.") from None
        raise HTTPException(422, e.errors(include_url=False, include_context=False)) from None
    if not page:
        return apply_verdict(svc, request, caller, verdict)
    try:
        result = apply_verdict(svc, request, caller, verdict)
    except HTTPException as e:
        raise PageError(e.status_code, str(e.detail)) from None
    return back_to_queue(raw, result)


def back_to_queue(form: dict[str, Any], result: VerdictResult) -> Response:
    """303 to the queue the button was on (its district filter), naming the counts that moved."""
    params = {k: str(form[k]) for k in ("district", "period") if form.get(k)}
    params["done"] = f"{result.record_id}:{result.index}"
    if result.changes:
        params["changed"] = ",".join(f"{c.theme}:{c.before}:{c.after}" for c in result.changes)
    if result.district:
        params["in"] = result.district
    return RedirectResponse("/review?" + urlencode(params), status_code=303)
