"""Exact figures over the annotations: the query engine behind count, share, ranking, trend and compare
questions.

`FactIndex` turns the fact rows (one annotated record each) into column arrays once, so a question costs a
few vectorised masks however many records there are. Counting rules are those of synth/synthesis/facts.py:
a record counts once per theme it raises (`Annotation.themes`); "meetings raising X" are distinct
(district, meeting_id) pairs among the meeting notes raising X.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from synth.period import Period, month_index, month_key, month_of
from synth.synthesis.facts import FactRow
from synth.synthesis.models import DECLARED_INDEX, OTHER_THEME, Theme

NOTE_KIND = "meeting_note"


@dataclass(frozen=True)
class Scope:
    """Which records a figure is about. Empty lists mean "all"; `period` None means all the data."""

    districts: tuple[str, ...] = ()
    period: str | None = None
    kinds: tuple[str, ...] = ()


class FactIndex:
    """Column arrays over the fact rows; every method is exact integer arithmetic."""

    def __init__(self, rows: Sequence[FactRow], themes: Mapping[str, Theme],
                 clarity: Mapping[tuple[str, int], float] | None = None) -> None:
        self.rows = list(rows)
        # (record id, concern index) -> how plainly the concern belongs to its theme; examples prefer clear ones
        self.clarity = clarity or {}
        self.themes = {tid: t for tid, t in themes.items() if t.is_concern and tid != OTHER_THEME}
        self.theme_ids = sorted(self.themes)
        column = {tid: i for i, tid in enumerate(self.theme_ids)}
        n = len(self.rows)
        self.districts = sorted({r.district for r in self.rows if r.district})
        district_code = {d: i for i, d in enumerate(self.districts)}
        kinds = sorted({r.kind for r in self.rows})
        self.kinds = kinds
        kind_code = {k: i for i, k in enumerate(kinds)}
        meetings: dict[tuple[str | None, str], int] = {}
        self.district = np.full(n, -1, dtype=np.int32)
        self.month = np.full(n, -1, dtype=np.int32)
        self.year_start = np.full(n, -1, dtype=np.int32)  # January's index for a year-only record, else -1
        self.kind = np.zeros(n, dtype=np.int16)
        self.meeting = np.full(n, -1, dtype=np.int64)
        self.raises = np.zeros((n, len(self.theme_ids)), dtype=bool)
        # per theme, whether any of the record's concerns of that theme has the sentiment label
        self.sentiment = {label: np.zeros((n, len(self.theme_ids)), dtype=bool)
                          for label in ("positive", "negative", "neutral")}
        self.row_of = {r.record_id: i for i, r in enumerate(self.rows)}
        self.record_sentiment = np.array([r.annotation.sentiment.label for r in self.rows], dtype=object)
        for i, r in enumerate(self.rows):
            if r.district:
                self.district[i] = district_code[r.district]
            if r.date is not None and r.date_precision == "year":  # in no month; in a period holding its year
                self.year_start[i] = r.date.year * 12
            elif r.date is not None:
                self.month[i] = month_index(month_of(r.date))
            self.kind[i] = kind_code[r.kind]
            if r.meeting_id:
                self.meeting[i] = meetings.setdefault((r.district, r.meeting_id), len(meetings))
            for c in r.annotation.concerns:
                j = column.get(c.theme_id)
                if j is not None:
                    self.raises[i, j] = True
                    self.sentiment[c.sentiment.label][i, j] = True
        self.column = column
        self.is_note = self.kind == kind_code[NOTE_KIND] if NOTE_KIND in kind_code else np.zeros(n, dtype=bool)
        dated = self.month[self.month >= 0]
        self.first_month = month_key(int(dated.min())) if dated.size else None
        self.latest_month = month_key(int(dated.max())) if dated.size else None
        years = self.year_start[self.year_start >= 0]
        # What relative and year-less dates in a question count from: the latest month, else the end of the
        # latest year-only record's year, else this month (a store of undated records still reads periods).
        self.anchor_month = self.latest_month or (month_key(int(years.max()) + 11) if years.size else
                                                  month_of(dt.datetime.now(dt.UTC).date()))
        self.latest_date: dt.date | None = max((r.date for r in self.rows if r.date), default=None)
        self.latest_by_district = {d: month_key(int(self.month[(self.district == i) & (self.month >= 0)].max()))
                                   for i, d in enumerate(self.districts)
                                   if ((self.district == i) & (self.month >= 0)).any()}
        self._mentions: dict[frozenset[str], np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.rows)

    # -- scope ------------------------------------------------------------------------------------------
    def mask(self, scope: Scope) -> np.ndarray:
        m = np.ones(len(self.rows), dtype=bool)
        if scope.districts:
            codes = [self.districts.index(d) for d in scope.districts if d in self.districts]
            m &= np.isin(self.district, codes)
        if scope.period and not (span := Period.parse(scope.period)).is_all:
            lo, hi = span.bounds()
            m &= ((self.month >= lo) & (self.month <= hi)) | ((self.year_start >= lo) & (self.year_start + 11 <= hi))
        if scope.kinds:
            codes = [self.kinds.index(k) for k in scope.kinds if k in self.kinds]
            m &= np.isin(self.kind, codes)
        return m

    def month_mask(self, month: str) -> np.ndarray:
        return self.month == month_index(month)

    def district_mask(self, district: str) -> np.ndarray:
        return self.district == (self.districts.index(district) if district in self.districts else -2)

    def theme_mask(self, theme_id: str, sentiment: str | None = None) -> np.ndarray:
        j = self.column[theme_id]
        return self.sentiment[sentiment][:, j] if sentiment else self.raises[:, j]

    def mention_mask(self, stems: frozenset[str]) -> np.ndarray:
        """Records whose text has a word starting with each stem ("librar": "library", "libraries")."""
        if stems not in self._mentions:
            patterns = [re.compile(r"\b" + re.escape(s), re.IGNORECASE) for s in sorted(stems)]
            self._mentions[stems] = np.fromiter((bool(patterns) and all(p.search(r.text) for p in patterns)
                                                 for r in self.rows), dtype=bool, count=len(self.rows))
        return self._mentions[stems]

    def felt_mask(self, sentiment: str) -> np.ndarray:
        """Records whose overall sentiment (the record as a whole) has this label."""
        return self.record_sentiment == sentiment

    # -- counts -----------------------------------------------------------------------------------------
    def records(self, mask: np.ndarray) -> int:
        return int(mask.sum())

    def meetings(self, mask: np.ndarray) -> int:
        """Distinct meetings among the meeting notes in `mask`."""
        codes = self.meeting[mask & self.is_note]
        return int(np.unique(codes[codes >= 0]).size)

    def count(self, mask: np.ndarray, theme_id: str, measure: str = "records",
              sentiment: str | None = None) -> int:
        raising = mask & self.theme_mask(theme_id, sentiment)
        return self.meetings(raising) if measure == "meetings" else self.records(raising)

    def theme_counts(self, mask: np.ndarray, sentiment: str | None = None) -> dict[str, int]:
        """Records in `mask` raising each theme (themes with at least one mention)."""
        matrix = self.sentiment[sentiment] if sentiment else self.raises
        sums = matrix[mask].sum(axis=0)
        return {tid: int(sums[j]) for j, tid in enumerate(self.theme_ids) if sums[j]}

    # -- evidence ---------------------------------------------------------------------------------------
    def examples(self, mask: np.ndarray, theme_id: str | None, n: int = 3,
                 sentiment: str | None = None) -> list[tuple[FactRow, str]]:
        """Up to `n` records in `mask` (raising `theme_id` when given) with the text of the concern that
        raises it: newest first, the clearest concern first within a month, one per meeting while possible."""
        if theme_id is not None:
            mask = mask & self.theme_mask(theme_id, sentiment)
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return []
        clear = np.array([self._clarity(self.rows[int(i)], theme_id) for i in idx])
        order = idx[np.lexsort((idx, -clear, -self.month[idx]))]  # newest month, clearest, then row order
        picked: list[tuple[FactRow, str]] = []
        meetings: set[int] = set()
        for distinct in (True, False):
            for i in order[: 50 * n]:
                row = self.rows[int(i)]
                if any(row.record_id == p.record_id for p, _ in picked):
                    continue
                meeting = int(self.meeting[i])
                if distinct and meeting >= 0 and meeting in meetings:
                    continue
                snippet = concern_text(row, theme_id, sentiment)
                if snippet:
                    picked.append((row, snippet))
                    meetings.add(meeting)
                if len(picked) >= n:
                    return picked
        return picked


    def _clarity(self, row: FactRow, theme_id: str | None) -> float:
        scores = [self.clarity.get((row.record_id, c.index), 0.0) for c in row.annotation.concerns
                  if theme_id is None or c.theme_id == theme_id]
        return max(scores, default=0.0)


def theme_concern(row: FactRow, theme_id: str | None, sentiment: str | None = None) -> str | None:
    """The record's concern raising the theme (the first one matching the sentiment when given), in the
    resident's words: a form's declared theme (the note-taker's words) is never quoted. None when there is
    none."""
    concerns = [c for c in row.annotation.concerns
                if (theme_id is None or c.theme_id == theme_id) and c.index < DECLARED_INDEX]
    if sentiment:
        concerns = [c for c in concerns if c.sentiment.label == sentiment] or concerns
    return next((c.text.strip() for c in concerns if c.text.strip()), None)


def concern_text(row: FactRow, theme_id: str | None, sentiment: str | None = None) -> str:
    """`theme_concern`, else the start of the record."""
    return theme_concern(row, theme_id, sentiment) or row.text.strip()[:240]
