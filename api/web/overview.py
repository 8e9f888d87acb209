"""The home page: the city overview for readers (district x theme heatmap, engagement activity, notable
changes, a period picker); the sign-in form for a signed-out visitor.

Engagement activity: per district and month, the meetings, residents reached and notes in the records (as the
fact sheets count them) and the community contacts officers logged (synth/contacts.py), for the last six
months with records or contacts up to the period's end."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.corpus import PERIOD_PATTERN, period_key, shared_corpus
from api.web.auth import sign_in_page
from api.web.session import READER_ROLES, page_visitor, render
from api.web.views import (
    ACTIVITY_MONTHS,
    MonthActivity,
    activity,
    count_sheets,
    district_url,
    heatmap,
    notable_changes,
    period_options,
)
from synth.contacts import ContactStore, contact_totals
from synth.period import Period, month_index, month_label
from synth.synthesis.facts import CITY_WIDE
from synth.users import Caller

router = APIRouter(include_in_schema=False)


def engagement_months(record_months: list[str], contact_months: list[str], period: str) -> list[str]:
    """The months the activity table shows: the last six with records or contacts up to the period's end (the
    period's own and the months before it)."""
    months = sorted(set(record_months) | set(contact_months))
    span = Period.parse(period)
    if not span.is_all:
        last = span.months()[-1]
        months = [m for m in months if m <= last]
    return months[-ACTIVITY_MONTHS:]


@router.get("/")
def home(request: Request, caller: Annotated[Caller | None, Depends(page_visitor(*READER_ROLES))],
         period: Annotated[str | None, Query(pattern=PERIOD_PATTERN)] = None) -> Response:
    if caller is None:
        return sign_in_page(request)
    svc = request.app.state.services
    corpus = shared_corpus(request, svc)
    if not corpus.rows:
        return render(request, "overview.html", {"active": "overview", "empty": True})
    choice = corpus.default_period(CITY_WIDE)
    key = period_key(period) if period else choice.period
    cached = getattr(request.app.state, "overview_sheets", None)
    if cached is None or cached[0] is not corpus:  # the corpus is rebuilt whenever records or themes change
        cached = request.app.state.overview_sheets = (corpus, {})
    sheets = count_sheets(corpus, key, cached[1])
    city = sheets.pop(CITY_WIDE)
    contacts = ContactStore(svc.records)
    months = engagement_months(corpus.periods, contacts.months(), key)
    logged = contact_totals(svc.records, months)
    engagement = activity(corpus.rows, corpus.districts, months)
    for district in sorted({d for d, _ in logged} - set(engagement)):  # a district only contacts name so far
        engagement[district] = {m: MonthActivity() for m in months}
    svc.audit.record(caller.name, "summaries.read", CITY_WIDE, {"period": key, "page": "overview"})
    return render(request, "overview.html", {
        "active": "overview", "empty": False, "period": key, "period_label": Period.parse(key).label,
        "period_basis": None if period else choice.reason, "options": period_options(corpus),
        "city": city, "heatmap": heatmap(city, sheets, key),
        "activity": engagement, "contacts": logged,
        "months": [(m, month_label(month_index(m))) for m in months],
        "changes": notable_changes({CITY_WIDE: city, **sheets}, key,
                                   {tid for tid, t in corpus.themes.items() if t.source == "discovered"}),
        "district_url": district_url,
    })
