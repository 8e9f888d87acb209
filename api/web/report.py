"""The monthly district report, `/reports/{district}?period=YYYY-MM` (`&format=pdf` for the PDF): one printable
page for neighbourhood newsletters and precinct pages: top concerns (counts and change), praise, the actions
done in the period and those in progress, and engagement activity. The counts are the district summary's
(`GET /summaries/{district}`); the default period is the summary's (a district's latest month).

The page is meant for the public, so it follows one rule, said on the page too:
- **Small counts are not printed**: a count of residents (records, a theme's mentions, residents reached) below
  `SYNTH_PUBLIC_MIN_COUNT` (default 5) is shown as "fewer than 5". Counts of the department's own work
  (meetings held, notes logged, actions) are printed as they are.
- **No quote can point to a resident of a small meeting**: a quote is printed only when its theme's count is
  printed, and only when it does not come from a meeting, or comes from one whose attendee count is known and
  at least the threshold (a meeting whose size is not recorded counts as small). Quotes pass the outbound
  redaction like every quote that leaves synth.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from api.corpus import PERIOD_PATTERN, period_key, scope_of, shared_corpus, summary_for
from api.routes.actions import list_actions
from api.web.session import READER_ROLES, PageError, page_caller, render
from api.web.views import district_url
from synth.actions import Action, completed_in
from synth.period import Period
from synth.synthesis.facts import CITY_WIDE, FactRow, periods_in
from synth.synthesis.summary import Summary, ThemeSummary
from synth.users import Caller

router = APIRouter(include_in_schema=False)
TOP_CONCERNS, TOP_PRAISE, QUOTES, ACTIONS_SHOWN = 5, 3, 3, 6  # what fits on one printed page


def public_count(n: int, threshold: int) -> str:
    """A count of residents as a public page prints it."""
    return f"fewer than {threshold}" if n < threshold else f"{n:,}"


def meeting_sizes(rows: Sequence[FactRow]) -> dict[tuple[str | None, str], int | None]:
    """Each meeting's attendee count (its largest recorded; None when no record of it gives one)."""
    sizes: dict[tuple[str | None, str], int | None] = {}
    for r in rows:
        if r.meeting is not None:
            known = sizes.get(r.meeting)
            if r.attendee_count is not None:
                sizes[r.meeting] = max(known or 0, r.attendee_count)
            else:
                sizes.setdefault(r.meeting, None)
    return sizes


def quotable(row: FactRow | None, sizes: dict[tuple[str | None, str], int | None], threshold: int) -> bool:
    """May a public page quote this record? Not from a meeting smaller than the threshold, or of unknown size."""
    if row is None:
        return False
    if row.meeting is None:
        return True
    size = sizes.get(row.meeting)
    return size is not None and size >= threshold


@dataclass
class ReportTheme:
    label: str
    count: str
    suppressed: bool
    change: str
    quote: str | None = None


def _change(theme: ThemeSummary, previous_label: str | None, threshold: int) -> str:
    if theme.change is None or previous_label is None:
        return "new this period" if theme.status == "new" else ""
    before = public_count(theme.change.previous_mentions, threshold)
    trend = {"up": "a significant rise", "down": "a significant fall"}.get(theme.change.direction, "")
    words = f"{before} in {previous_label}"
    return f"{words}; {trend}" if theme.change.significant and trend else words


def report_themes(summary: Summary, ids: Sequence[str], rows: dict[str, FactRow], threshold: int, limit: int,
                  sizes: dict[tuple[str | None, str], int | None]) -> list[ReportTheme]:
    """The first `limit` of `ids` (most mentioned first), each with at most one quote the rule allows."""
    themes = {t.id: t for t in summary.themes}
    chosen = sorted((themes[i] for i in ids if i in themes and themes[i].mentions), key=lambda t: -t.mentions)
    previous = Period.parse(summary.previous_period).label if summary.previous_period else None
    out = []
    for t in chosen[:limit]:
        suppressed = t.mentions < threshold
        quote = None if suppressed else next(
            (q.text for q in t.quotes if quotable(rows.get(q.record_id), sizes, threshold)), None)
        out.append(ReportTheme(t.label, public_count(t.mentions, threshold), suppressed,
                               _change(t, previous, threshold), quote))
    return out


@dataclass
class Engagement:
    meetings: int
    residents: str  # a count of residents: suppressed under the threshold
    notes: int
    contacts: int = 0  # community contacts officers logged (synth/contacts.py): staff work, shown exactly
    contact_minutes: int = 0
    residents_met: str = "0"  # residents those contacts met: suppressed under the threshold


def engagement_activity(svc: Any, summary: Summary, scope: str, threshold: int) -> Engagement:
    """Engagement in the period: meetings held, residents reached and meeting notes logged (the summary's own
    counts), and the community contacts logged in the district (all districts for the city) in its months."""
    from synth.contacts import activity

    counts = summary.counts
    rows = activity(svc.records, district=None if scope == CITY_WIDE else scope, period=Period.parse(summary.period))
    met = sum(r.residents_met for r in rows)
    return Engagement(counts.meetings, public_count(counts.residents_reached, threshold),
                      counts.by_kind.get("meeting_note", 0), contacts=sum(r.contacts for r in rows),
                      contact_minutes=sum(r.contact_minutes for r in rows), residents_met=public_count(met, threshold))


@dataclass
class ReportActions:
    done: list[Action]
    in_progress: list[Action]
    and_since: bool  # the period is the scope's latest: what was done since it ended is listed too


def report_actions(svc: Any, corpus: Any, scope: str, period: str) -> ReportActions:
    """Actions completed in the period (and since, when it is the latest month with records), and those in
    progress."""
    actions = list_actions(svc, district=None if scope == CITY_WIDE else scope)
    span = Period.parse(period)
    months = None if span.is_all else span.months()
    scope_months = periods_in(corpus.rows if scope == CITY_WIDE else [r for r in corpus.rows if r.district == scope])
    latest = months is not None and bool(scope_months) and months[-1] >= scope_months[-1]
    done = completed_in(actions, months, and_since=latest)
    going = [a for a in actions if a.status == "in_progress"]
    return ReportActions(done[:ACTIONS_SHOWN], going[:ACTIONS_SHOWN], latest)


def report_context(request: Request, scope: str, period: str | None) -> dict[str, Any]:
    svc = request.app.state.services
    corpus = shared_corpus(request, svc)
    summary = summary_for(svc, corpus, scope, period)
    threshold = svc.settings.public_min_count
    rows = {r.record_id: r for r in corpus.rows}
    sizes = meeting_sizes(corpus.rows)
    concerns = report_themes(summary, summary.worries, rows, threshold, TOP_CONCERNS, sizes)
    praise = report_themes(summary, summary.highlights, rows, threshold, TOP_PRAISE, sizes)
    _scrub_quotes([*concerns, *praise], svc)
    return {"summary": summary, "district": scope, "period_label": Period.parse(summary.period).label,
            "records": public_count(summary.counts.records, threshold), "threshold": threshold,
            "concerns": concerns, "praise": praise, "actions": report_actions(svc, corpus, scope, summary.period),
            "engagement": engagement_activity(svc, summary, scope, threshold), "district_url": district_url(scope),
            "pdf_url": f"{request.url.path}?period={summary.period}&format=pdf"}


def _scrub_quotes(themes: list[ReportTheme], svc: Any) -> None:
    """At most QUOTES quotes on the page, each through the outbound redaction."""
    quoted = [t for t in themes if t.quote][:QUOTES]
    for t in themes:
        if t not in quoted:
            t.quote = None
    if quoted:
        for t, text in zip(quoted, svc.outbound([t.quote for t in quoted], remember=False), strict=True):
            t.quote = text


@router.get("/reports/{district:path}")
def district_report(district: str, request: Request,
                    caller: Annotated[Caller, Depends(page_caller(*READER_ROLES))],
                    period: Annotated[str | None, Query(pattern=PERIOD_PATTERN)] = None,
                    format: Annotated[Literal["html", "pdf"], Query()] = "html") -> Response:
    svc = request.app.state.services
    try:
        scope = scope_of(shared_corpus(request, svc), district)
        context = report_context(request, scope, period_key(period) if period else None)
    except HTTPException as e:
        raise PageError(e.status_code, str(e.detail)) from None
    svc.audit.record(caller.name, "reports.read", scope, {"period": context["summary"].period, "format": format})
    page = render(request, "report.html", {"active": "overview", **context})
    if format == "html":
        return page
    from api.web.pdf import html_to_pdf

    name = re.sub(r"[^A-Za-z0-9.]+", "-", f"synth-report-{scope}-{context['summary'].period}") + ".pdf"
    return Response(html_to_pdf(bytes(page.body).decode("utf-8")), media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"})
