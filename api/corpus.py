"""The corpus the read routes share (summaries, evidence, records by theme), and the one function that gives a
summary, so that the routes count from the same fact rows.

The corpus is the process's live one (`Services.live`, synth/synthesis/live.py): rebuilt when annotations,
deletions or the taxonomy change; the background refresher (synth/freshness.py) annotates new records.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from fastapi import HTTPException, Request

from synth.period import Period, PeriodError
from synth.services import Services

if TYPE_CHECKING:
    from synth.synthesis.corpus import Corpus
    from synth.synthesis.summary import Summary

_lock = threading.Lock()
_MONTH = r"[1-9]\d{3}-(0[1-9]|1[0-2])"
PERIOD_PATTERN = rf"^({_MONTH}(\.\.{_MONTH})?|[1-9]\d{{3}}|all)$"


def shared_corpus(request: Request, svc: Services) -> Corpus:
    """This process's live corpus (synth/synthesis/live.py). The background refresher annotates new records;
    an app running without one (tests, an embedding program) annotates them here first."""
    if getattr(request.app.state, "refresher", None) is None:
        with _lock:
            svc.synthesizer.refresh()
    return svc.live.corpus()


def period_key(text: str) -> str:
    """A period as the summaries key it ("2026-09..2026-11"); a range given latest month first is read in order
    (the query's pattern cannot say which way round it goes); anything else unreadable is a 422."""
    first, sep, last = text.partition("..")
    if sep and last < first:  # "YYYY-MM" strings order as the months do
        text = f"{last}..{first}"
    try:
        return Period.parse(text).key
    except PeriodError as e:
        raise HTTPException(422, str(e)) from None


def summary_for(svc: Services, corpus: Corpus, district: str, period: str | None) -> Summary:
    """One summary (CITY_WIDE: the city's) for `period`, or for its default period saying why; reused while
    nothing behind it changed, its narrative rewritten only when its facts did (synth/synthesis/live.py)."""
    summary = svc.live.summary(district, period)
    if summary is None:
        raise HTTPException(404, "no records yet: nothing to summarise")
    return summary


def scope_of(corpus: Corpus, district: str) -> str:
    """The district as the summaries name it (the city's in any letter case), or 404 (also for the city of a
    store without records)."""
    from synth.synthesis.facts import CITY_WIDE

    if not corpus.rows:
        raise HTTPException(404, "no records yet: nothing to summarise")
    if district.casefold() == CITY_WIDE.casefold():
        return CITY_WIDE
    if district not in corpus.districts:
        raise HTTPException(404, f"no records for district {district!r}")
    return district
