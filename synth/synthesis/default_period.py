"""Which period a summary covers when the coordinator names none, decided per district, with the reason.

A city's districts do not report in step: one holds monthly meetings, another ran a single online
consultation two years ago. Summarising every district for the city's latest month shows most of them as
"0 records". So each district gets its own default (`default_period`):

* **no record dated to a month** (undated, or year-only): ``all`` — every record.
* **a one-off consultation**: when at least ``ONE_OFF_SHARE`` (90%) of the district's dated records fall
  within ``ONE_OFF_DAYS`` (62, about two months) of each other, the records are one exercise, not a series: ``all``
  (a few late stragglers, as Polis conversations have, do not make it a series).
* otherwise **the district's latest month** with a record dated to the day or the month.

The city-wide view takes the period every district takes when they agree; the latest of their months when
every district reports monthly; else ``all`` (a single month would leave out the one-off consultations).
Each choice carries a sentence saying which and why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Protocol

from synth.period import ALL_KEY
from synth.readout import period_label
from synth.synthesis.facts import CITY_WIDE, FactRow, periods_in
from synth.synthesis.summary import Summary, with_period_basis

if TYPE_CHECKING:
    from synth.synthesis.corpus import Corpus

ONE_OFF_DAYS = 62
ONE_OFF_SHARE = Fraction(9, 10)


@dataclass(frozen=True)
class PeriodChoice:
    period: str  # a period key: "2026-11" or "all"
    reason: str  # why, for the reader: "the latest month with records for District 2"


def _dated(rows: Sequence[FactRow]) -> list[dt.date]:
    return sorted(r.date for r in rows if r.date is not None and r.date_precision != "year")


def densest_window(dates: Sequence[dt.date], days: int) -> tuple[int, dt.date, dt.date]:
    """(count, first, last) of the largest group of sorted `dates` lying within `days` days of each other."""
    best = (0, dates[0], dates[0]) if dates else (0, dt.date.min, dt.date.min)
    start = 0
    for end, last in enumerate(dates):
        while (last - dates[start]).days > days:
            start += 1
        if end - start + 1 > best[0]:
            best = (end - start + 1, dates[start], last)
    return best


def default_period(rows: Sequence[FactRow], name: str) -> PeriodChoice:
    """The default period of one district's rows (`name` is how the reason refers to it)."""
    dates = _dated(rows)
    if not dates:
        return PeriodChoice(ALL_KEY, f"all records, as no record for {name} is dated to a month")
    count, first, last = densest_window(dates, ONE_OFF_DAYS)
    if Fraction(count, len(dates)) >= ONE_OFF_SHARE:
        span = f"on {first.isoformat()}" if first == last else f"from {first.isoformat()} to {last.isoformat()}"
        return PeriodChoice(ALL_KEY, f"all records, as {name} is a one-off consultation ({count} of {len(dates)} "
                                     f"dated records {span})")
    latest = periods_in(rows)[-1]
    return PeriodChoice(latest, f"{period_label(latest)}, the latest month with records for {name}")


def city_period(choices: Sequence[PeriodChoice]) -> PeriodChoice:
    """The city-wide default from the districts' choices."""
    periods = {c.period for c in choices}
    if len(periods) == 1:
        (period,) = periods
        label = "all records" if period == ALL_KEY else period_label(period)
        return PeriodChoice(period, f"{label}, the period every district's summary covers")
    if ALL_KEY not in periods:  # every district reports monthly: the latest month any of them has
        latest = max(periods)
        return PeriodChoice(latest, f"{period_label(latest)}, the latest month with records in any district")
    return PeriodChoice(ALL_KEY, "all records, as some districts are one-off or undated consultations and others "
                                 "report monthly")


class _Summarizer(Protocol):
    def summarize(self, *, district: str | None = None, period: str | None = None,
                  include_city: bool = True, corpus: Corpus | None = None) -> list[Summary]: ...


def summarize_scopes(synth: _Summarizer, corpus: Corpus, *, district: str | None = None,
                     period: str | None = None) -> list[Summary]:
    """The summaries `synth summarize` shows: `district`'s (CITY_WIDE: the city's), or every district's and
    then the city's; each for `period`, or when none is given for its own default period, saying why."""
    scopes = [district] if district else [*corpus.districts, CITY_WIDE]
    out = []
    for scope in scopes:
        choice = PeriodChoice(period, "") if period else corpus.default_period(scope)
        for summary in synth.summarize(district=scope, period=choice.period, include_city=False, corpus=corpus):
            out.append(with_period_basis(summary, choice.reason or None))
    return out
