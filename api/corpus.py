"""The corpus the read routes share (summaries, evidence, records by theme), and the one function that gives a
summary, so that the routes count from the same fact rows.

The corpus is rebuilt when records are added or deleted or the taxonomy changes (any edit changes labels and
counts); new records are annotated first (`Synthesizer.refresh`), as `synth summarize` does.
"""

from __future__ import annotations

import hashlib
import json
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


def store_key(svc: Services) -> tuple[int, int, str]:
    """What the corpus depends on: the records (count, last deletion) and the whole taxonomy."""
    themes = svc.synthesizer.taxonomy().themes
    digest = hashlib.sha256(json.dumps({tid: t.model_dump(mode="json") for tid, t in themes.items()},
                                       sort_keys=True).encode()).hexdigest()
    return svc.records.count_records(), svc.records.last_deletion(), digest


def shared_corpus(request: Request, svc: Services) -> Corpus:
    """The app's corpus, rebuilt (after annotating new records) when `store_key` changes."""
    with _lock:
        cached = getattr(request.app.state, "corpus", None)
        if cached is not None and cached[0] == store_key(svc):
            return cached[1]
        svc.synthesizer.refresh()
        key = store_key(svc)  # after the refresh: a first run seeds or discovers the taxonomy
        corpus = svc.synthesizer.corpus()
        request.app.state.corpus = (key, corpus)
        return corpus


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
    """One summary (CITY_WIDE: the city's) for `period`, or for its default period saying why. The stored
    summary is reused while its facts are unchanged (Synthesizer._summary)."""
    from synth.synthesis.default_period import summarize_scopes

    [summary] = summarize_scopes(svc.synthesizer, corpus, district=district, period=period)
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
