"""The review queue page, `/review` (coordinators and admins): the concern assignments synth is least sure of,
the ones that move a headline count first (synth/synthesis/review/queue.py), each with one-click verdicts.

Every button is a small form posting to `POST /review/corrections` (api/routes/review.py) with the CSRF token;
the answer is a 303 back here naming the counts that moved (`changed=theme:before:after,...`), shown above the
district's counts, which are read again from the corrected corpus. No JavaScript needed."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from api.corpus import PERIOD_PATTERN, shared_corpus
from api.routes.review import queue_items
from api.security import EDITORS
from api.web.session import PageError, page_caller, render
from api.web.views import evidence_url
from synth.period import Period
from synth.synthesis.models import OTHER_THEME
from synth.synthesis.review.queue import district_counts, district_scope
from synth.users import Caller

router = APIRouter(include_in_schema=False)
PAGE_ITEMS = 25
_CHANGE = re.compile(r"([\w.-]{1,64}):(\d{1,7}):(\d{1,7})")


def _changes(text: str | None, labels: dict[str, str]) -> list[tuple[str, int, int]]:
    """The `changed` parameter as (theme label, before, after), ignoring anything malformed."""
    out = []
    for part in (text or "").split(",")[:10]:
        if (m := _CHANGE.fullmatch(part)) and m.group(1) in labels:
            out.append((labels[m.group(1)], int(m.group(2)), int(m.group(3))))
    return out


@router.get("/review")
def review_page(request: Request, caller: Annotated[Caller, Depends(page_caller(*EDITORS))],
                district: Annotated[str | None, Query(max_length=100)] = None,
                period: Annotated[str | None, Query(pattern=PERIOD_PATTERN)] = None,
                changed: Annotated[str | None, Query(max_length=800)] = None,
                done: Annotated[str | None, Query(max_length=200)] = None,
                in_: Annotated[str | None, Query(alias="in", max_length=100)] = None) -> Response:
    svc = request.app.state.services
    try:
        items = queue_items(svc, request, district, period, PAGE_ITEMS)
    except HTTPException as e:
        raise PageError(e.status_code, str(e.detail)) from None
    corpus = shared_corpus(request, svc)
    labels = {tid: t.label for tid, t in corpus.themes.items()}
    texts = svc.outbound([it.text for it in items]) if items else []
    counts, key = [], None
    if district:
        key, ids = district_scope(corpus, district, period)
        tally = district_counts(corpus.annotations, ids)
        counts = [(tid, labels[tid], n, evidence_url(district, key, tid)) for tid, n in
                  sorted(tally.items(), key=lambda kv: (-kv[1], labels.get(kv[0], kv[0]))) if tid in labels]
    svc.audit.record(caller.name, "review.read", district or "all", {"items": len(items)})
    return render(request, "review.html", {
        "active": "review", "district": district, "period": period, "period_label": Period.parse(key).label
        if key else None, "districts": corpus.districts, "items": list(zip(items, texts, strict=True)),
        "labels": labels, "all_themes": sorted(labels.items(), key=lambda kv: kv[1]), "other": OTHER_THEME,
        "counts": counts, "changes": _changes(changed, labels), "done": done, "changed_in": in_,
        "sentiments": ("positive", "neutral", "negative")})
