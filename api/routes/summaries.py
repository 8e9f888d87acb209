"""GET /summaries and GET /summaries/{district}: the `synth.summary/1` document (or its Markdown), as
`synth summarize` shows it. District names may hold spaces and "/" (sent as %2F): the path takes the rest."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field

from api.corpus import PERIOD_PATTERN, period_key, scope_of, shared_corpus, summary_for
from api.deps import ServicesDep
from api.responses import errors
from api.security import READERS, Caller, allow
from synth.synthesis.summary import Summary

router = APIRouter(tags=["summaries"])
Reader = Annotated[Caller, Depends(allow(*READERS))]
PeriodQuery = Query(pattern=PERIOD_PATTERN,
                    description="YYYY-MM, YYYY-MM..YYYY-MM, YYYY or all (default: the district's own period)")


class SummaryScope(BaseModel):
    district: str = Field(description='a district, or "City-wide"')
    default_period: str
    period_basis: str = Field(description="why that period is the default")
    months: list[str] = Field(description="months (YYYY-MM) with records in this scope")


class SummaryList(BaseModel):
    scopes: list[SummaryScope]


@router.get("/summaries", response_model=SummaryList, responses=errors())
def list_summaries(request: Request, svc: ServicesDep, caller: Reader) -> SummaryList:
    """What can be summarised: each district with records, then the city, with its default period."""
    from synth.synthesis.facts import CITY_WIDE, periods_in

    corpus = shared_corpus(request, svc)
    scopes = []
    for district in [*corpus.districts, CITY_WIDE] if corpus.rows else []:
        choice = corpus.default_period(district)
        rows = corpus.rows if district == CITY_WIDE else [r for r in corpus.rows if r.district == district]
        scopes.append(SummaryScope(district=district, default_period=choice.period, period_basis=choice.reason,
                                   months=periods_in(rows)))
    return SummaryList(scopes=scopes)


@router.get("/summaries/{district:path}", response_model=Summary, responses={
    **errors(404, 422), 200: {"content": {"text/markdown": {"schema": {"type": "string"}}},
                              "description": "the summary document, or its Markdown with ?format=md"}})
def get_summary(district: str, request: Request, svc: ServicesDep, caller: Reader,
                period: Annotated[str | None, PeriodQuery] = None,
                fmt: Annotated[Literal["json", "md"], Query(alias="format", description="json or md")] = "json",
                ) -> Response | Summary:
    """One district's summary (the city's under "City-wide"). Counts come from code; every narrative sentence
    cites in-district records; quotes are redacted again on the way out."""
    from synth.synthesis.report_text import to_markdown

    corpus = shared_corpus(request, svc)
    scope = scope_of(corpus, district)
    summary = summary_for(svc, corpus, scope, period_key(period) if period else None)
    svc.audit.record(caller.name, "summaries.read", scope, {"period": summary.period})
    if fmt == "md":
        return PlainTextResponse(to_markdown(summary), media_type="text/markdown")
    return summary
