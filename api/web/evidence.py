"""The evidence page: the redacted records behind one count of a page (a theme's mentions in a district and
period, or its sentiment[label]), selected by `facts.theme_evidence` as `GET /evidence` does, so the page lists
exactly as many records as the count it came from; or the records a narrative sentence cites."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from api.corpus import PERIOD_PATTERN, period_key, scope_of, shared_corpus
from api.web.session import READER_ROLES, PageError, page_caller, render
from api.web.views import district_url
from synth.period import Period
from synth.synthesis.facts import CITY_WIDE
from synth.synthesis.models import SentimentLabel
from synth.users import Caller

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 250
MAX_CITED = 50


@router.get("/evidence/records")
def evidence_page(request: Request, caller: Annotated[Caller, Depends(page_caller(*READER_ROLES))],
                  district: Annotated[str, Query(min_length=1, max_length=100)],
                  theme: Annotated[str | None, Query(max_length=64)] = None,
                  period: Annotated[str | None, Query(pattern=PERIOD_PATTERN)] = None,
                  sentiment: SentimentLabel | None = None,
                  record: Annotated[list[str] | None, Query(max_length=MAX_CITED)] = None,
                  page: Annotated[int, Query(ge=1, le=10_000)] = 1) -> Response:
    from synth.synthesis.facts import theme_evidence

    svc = request.app.state.services
    corpus = shared_corpus(request, svc)
    try:
        scope = scope_of(corpus, district)
        key = period_key(period) if period else corpus.default_period(scope).period
    except HTTPException as e:
        raise PageError(e.status_code, str(e.detail)) from None
    if theme:
        if theme not in corpus.themes:
            raise PageError(404, f"No theme {theme!r}.")
        rows = theme_evidence(corpus.rows, district=scope, period=key, theme_id=theme, sentiment=sentiment)
        title = corpus.themes[theme].label + (f", {sentiment}" if sentiment else "")
    elif record:
        wanted = set(record)
        rows = [r for r in corpus.rows if r.record_id in wanted and (scope == CITY_WIDE or r.district == scope)]
        title = "Cited records"
    else:
        raise PageError(404, "Say which theme (or which records) to show.")
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    if page > pages:
        raise PageError(404, f"There are only {pages} pages.")
    first = (page - 1) * PAGE_SIZE
    shown = rows[first:first + PAGE_SIZE]
    texts = svc.outbound([r.text for r in shown])
    svc.audit.record(caller.name, "evidence.read", scope, {"period": key, "theme": theme or "",
                                                            "records": len(rows), "page": page})
    base = str(request.url.remove_query_params("page"))
    return render(request, "evidence.html", {
        "active": "overview", "district": scope, "district_url": None if scope == CITY_WIDE else
        district_url(scope), "period": key, "period_label": Period.parse(key).label, "title": title,
        "count": len(rows), "theme": theme, "sentiment": sentiment, "first": first,
        "records": list(zip(shown, texts, strict=True)), "page": page, "pages": pages,
        "page_url": lambda n: f"{base}{'&' if '?' in base else '?'}page={n}",
    })
