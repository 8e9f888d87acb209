"""A district's page: what residents worry about and praise, each theme with its count, a sparkline of its
share over the months, its change in plain words and two quotes, and the actions taken on it (overdue ones
labelled); the narrative with clickable citations.
Built from the summary document the API serves (`GET /summaries/{district}`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from api.corpus import PERIOD_PATTERN, period_key, scope_of, shared_corpus, summary_for
from api.routes.actions import list_actions
from api.web.actions import EDITOR_ROLES, add_link
from api.web.charts import sparkline
from api.web.session import READER_ROLES, PageError, page_caller, render
from api.web.views import TREND_MONTHS, cited_url, monthly_shares, period_options, theme_views
from synth.actions import STATUS_LABELS, Action
from synth.period import Period, month_index, month_label
from synth.synthesis.facts import CITY_WIDE, FactRow, periods_in
from synth.users import Caller

router = APIRouter(include_in_schema=False)
QUOTES_PER_THEME = 2


def trend_months(corpus_rows: Sequence[FactRow], district: str, period: str) -> list[str]:
    """The district's months up to the end of `period`, at most the last TREND_MONTHS."""
    rows = corpus_rows if district == CITY_WIDE else [r for r in corpus_rows if r.district == district]
    months = periods_in(rows)
    span = Period.parse(period)
    if not span.is_all:
        last = span.months()[-1]
        months = [m for m in months if m <= last]
    return months[-TREND_MONTHS:]


@router.get("/districts/{district:path}")
def district_page(district: str, request: Request, caller: Annotated[Caller, Depends(page_caller(*READER_ROLES))],
                  period: Annotated[str | None, Query(pattern=PERIOD_PATTERN)] = None) -> Response:
    svc = request.app.state.services
    corpus = shared_corpus(request, svc)
    try:
        scope = scope_of(corpus, district)
    except HTTPException as e:
        raise PageError(e.status_code, str(e.detail)) from None
    summary = summary_for(svc, corpus, scope, period_key(period) if period else None)
    svc.audit.record(caller.name, "summaries.read", scope, {"period": summary.period, "page": "district"})
    actions = list_actions(svc, district=None if scope == CITY_WIDE else scope)
    actions_by_theme: dict[str, list[Action]] = defaultdict(list)
    for action in actions:
        actions_by_theme[action.theme_id].append(action)
    months = trend_months(corpus.rows, scope, summary.period)
    views = {v.theme.id: v for v in theme_views(summary, monthly_shares(corpus.rows, scope, months), len(months))}
    labels = [month_label(month_index(m), year=False)[:3] for m in months]
    sparks = {tid: sparkline(v.trend, labels, description=f"{v.theme.label}, share of records by month")
              for tid, v in views.items()}
    themes = {t.id: t for t in summary.themes}
    citation_numbers: dict[str, int] = {}
    for sentence in summary.sentences:
        for rid in sentence.citations:
            citation_numbers.setdefault(rid, len(citation_numbers) + 1)
    return render(request, "district.html", {
        "active": "overview", "summary": summary, "district": scope, "period_label": Period.parse(
            summary.period).label, "options": period_options(corpus), "themes": themes, "views": views,
        "sparks": sparks, "quotes_per_theme": QUOTES_PER_THEME,
        "worries": [t for t in summary.worries if t in themes],
        "praise": [t for t in summary.highlights if t in themes],
        "citation_numbers": citation_numbers, "actions_by_theme": actions_by_theme,
        "other_actions": [a for a in actions if a.theme_id not in themes], "status_labels": STATUS_LABELS,
        "can_edit": caller.role in EDITOR_ROLES, "add_link": add_link,
        "report_url": f"/reports/{quote(scope, safe='')}?period={summary.period}",
        "cited_url": lambda rids: cited_url(scope, summary.period, rids),
        "trend_span": f"{month_label(month_index(months[0]))} to {month_label(month_index(months[-1]))}"
        if months else "",
    })
