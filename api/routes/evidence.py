"""GET /evidence: the records behind one count of a summary, selected from the same fact rows and by the same
rules as the count (synth/synthesis/facts.py `theme_evidence`), so `record_ids` is exactly as long as the count."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from api.corpus import PERIOD_PATTERN, period_key, scope_of, shared_corpus
from api.deps import ServicesDep
from api.responses import errors
from api.security import READERS, Caller, allow
from synth.synthesis.models import SentimentLabel

router = APIRouter(tags=["summaries"])
SNIPPET_CHARS = 280


class Snippet(BaseModel):
    record_id: str
    text: str = Field(description="the record's redacted text, redacted again, cut at 280 characters")


class Evidence(BaseModel):
    district: str
    period: str
    theme: str
    theme_label: str
    sentiment: SentimentLabel | None
    count: int = Field(description="the summary's count for this cell: its theme's mentions, or sentiment[label]")
    record_ids: list[str] = Field(description="every record behind the count (as many as `count`)")
    snippets: list[Snippet] = Field(description="the first `snippets` of those records")


@router.get("/evidence", response_model=Evidence, responses=errors(404, 422))
def evidence(request: Request, svc: ServicesDep, caller: Annotated[Caller, Depends(allow(*READERS))],
             district: Annotated[str, Query(min_length=1, max_length=100, description='or "City-wide"')],
             theme: Annotated[str, Query(min_length=1, max_length=64, description="a theme id")],
             period: Annotated[str | None, Query(pattern=PERIOD_PATTERN,
                                                 description="default: the summary's default period")] = None,
             sentiment: SentimentLabel | None = None,
             snippets: Annotated[int, Query(ge=0, le=200)] = 20) -> Evidence:
    """The records a summary counts for a theme (and a sentiment on it) in a district and period."""
    from synth.synthesis.facts import theme_evidence

    corpus = shared_corpus(request, svc)
    scope = scope_of(corpus, district)
    if theme not in corpus.themes:
        raise HTTPException(404, f"no concern theme {theme!r}")
    key = period_key(period) if period else corpus.default_period(scope).period
    rows = theme_evidence(corpus.rows, district=scope, period=key, theme_id=theme, sentiment=sentiment)
    shown = rows[:snippets]
    texts = svc.outbound([r.text for r in shown])
    svc.audit.record(caller.name, "evidence.read", scope, {"period": key, "theme": theme, "records": len(rows)})
    return Evidence(district=scope, period=key, theme=theme, theme_label=corpus.themes[theme].label,
                    sentiment=sentiment, count=len(rows), record_ids=[r.record_id for r in rows],
                    snippets=[Snippet(record_id=r.record_id, text=t[:SNIPPET_CHARS])
                              for r, t in zip(shown, texts, strict=True)])
