"""District facts: every number a narrative may use, computed by code from annotated records.

Pure functions, no I/O. `rows` may hold every record of the city for all time; each function filters by
district and period itself. Same input (in any row order) -> identical output.

Scope
-----
* A **period** (`synth.period.Period`) is one month ``"YYYY-MM"``, an inclusive range ``"YYYY-MM..YYYY-MM"``
  or a year ``"YYYY"``. A record is in the period when its ``date`` falls between the first day of the first
  month and the last day of the last month; records without a date are in no period. The **previous
  period** has the same number of months and ends the month before the period starts (previous of
  ``"2026-01"`` is ``"2025-12"``; of ``"2026-04..2026-06"`` it is ``"2026-01..2026-03"``).
* A **district sheet** (`build_fact_sheet`) covers the records whose ``district`` equals the given name
  exactly. ``district=None`` selects the records that have no district; that sheet is named
  ``NO_DISTRICT``. The **city sheet** (`build_city_sheet`, named ``CITY_WIDE``) covers every record, with or
  without a district, so the district sheets plus the no-district sheet partition the city sheet.

Counts (whole numbers, never rounded)
-------------------------------------
* **records**: records in scope (district and period).
* **records_by_kind**: records per ``kind``, keys sorted.
* **meetings**: distinct meetings among those records; a meeting is a ``(district, meeting_id)`` pair
  (as in ``synth stats``); records without a ``meeting_id`` belong to no meeting.
* **residents_reached**: the sum over those meetings of the meeting's attendee count, taken as the largest
  ``attendee_count`` among its notes in scope (several notes of one meeting count it once; a meeting without
  any count contributes 0). Records outside meetings reach no one by this definition.
* **sentiment** (sheet): records per record-level sentiment label (``Annotation.sentiment``).
* **mentions** of a theme: records in scope whose annotation raises it (``Annotation.themes``): a record
  with several concerns of one theme counts once. ``OTHER_THEME`` is never a theme.
* **sentiment** (theme): records raising the theme per their sentiment on it, so the labels add up to
  mentions. A record's sentiment on a theme is the label of its strongest concern of that theme (largest
  absolute score; the first in the record on ties); most records have one concern per theme.

Fractions (stored rounded half away from zero to 4 decimals, computed exactly from the integers)
---------------------------------------------------------------------------------------------
* **share** = mentions / records (0 when there are no records).
* **net_sentiment** = mean over the records raising the theme of their mean concern score on it (0 when none).
* **previous_share** = previous mentions / previous records; **delta_share** = share - previous share,
  computed exactly and then rounded (so it may differ by 0.0001 from the difference of the rounded shares).
* **dominance_share** = the dominant source's mentions / the theme's mentions.
* ``p_value`` is stored unrounded.

Change against the previous period
----------------------------------
* When the scope has no record at all in the previous period (the first period) ``previous_period`` is
  None, every ``change`` is None and every status is ``"steady"``.
* Otherwise every theme gets a ``ThemeChange``. The test is two-sided on the share of records raising the
  theme, and runs only when both periods have at least ``min_records`` records and the theme has at least
  ``min_mentions`` mentions in one of them (otherwise ``p_value`` is None and ``significant`` False). It is
  the pooled two-proportion z-test when all four expected cell counts under the null are at least
  ``min_expected`` (5), and Fisher's exact test (scipy, two-sided) when any is smaller.
  ``significant`` = p < ``alpha``; ``direction`` is the sign of ``delta_share`` when significant, else
  ``"flat"``.
* **status**: ``"new"`` when the theme had 0 mentions in the (observed) previous period and has at least
  ``min_mentions`` now; else ``"emerging"`` when significantly up; ``"fading"`` when significantly down;
  else ``"steady"``.

Which themes, in which order
----------------------------
* ``themes``: every theme with at least one mention now, plus the themes with 0 mentions now whose change
  is significant (faded to zero; they carry ``mentions=0`` and no quotes). Sorted by mentions descending,
  then label, then id.
* **tone**: ``"praise"`` when more than half of the records raising the theme are positive about it and at
  least ``min_praise_records`` (3) are, else ``"worry"``. ``highlights`` (what residents praise) are the
  praise themes, in the order of ``themes``.
* **dominance**: when a theme has at least ``min_mentions`` mentions and one meeting supplies more than
  ``dominance_share`` of them, ``dominated_by="meeting"``; else the same test on note-takers gives
  ``"note_taker"``. ``dominance_share`` is set only when dominated.
* ``leading_theme_by_district`` (city sheet only): per named district with at least one theme mention in
  the period, the theme with the most mentions (ties: label, then id).

Quotes and display
------------------
Which concerns are quoted: synth/synthesis/quotes.py. How each number is shown, and which number strings a
narrative may contain: synth/synthesis/display.py (formatting by synth/readout.py).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from synth.period import Period, month_of
from synth.readout import ratio, round_half_up
from synth.synthesis.models import (
    OTHER_THEME,
    Annotation,
    Concern,
    FactSheet,
    SentimentLabel,
    Theme,
    ThemeChange,
    ThemeFacts,
    Tone,
)
from synth.synthesis.quotes import QuoteScores, pick_quotes
from synth.synthesis.significance import two_proportion_p_value

CITY_WIDE = "City-wide"
NO_DISTRICT = "No district"
SENTIMENT_LABELS: tuple[SentimentLabel, ...] = ("positive", "neutral", "negative")

Status = Literal["emerging", "fading", "steady", "new"]
Direction = Literal["up", "down", "flat"]


@dataclass(frozen=True)
class FactRow:
    """One annotated record."""

    record_id: str
    district: str | None
    date: dt.date | None
    kind: str
    meeting_id: str | None
    note_taker: str | None
    attendee_count: int | None
    text: str  # redacted text
    annotation: Annotation
    date_precision: str = "day"  # "month" or "year" when that is all the source gave (synth/dates.py)

    @property
    def meeting(self) -> tuple[str | None, str] | None:
        """The meeting the record belongs to, as (district, meeting_id); None outside meetings."""
        return (self.district, self.meeting_id) if self.meeting_id else None


@dataclass(frozen=True)
class FactConfig:
    # per period, for a significance test. Kitchen-table programmes log 10-20 records a district a month, and
    # Fisher's exact test (used below min_expected) is valid at that size: at 20 a tripling of a theme in a
    # district (1 of 13 records, then 7 of 14; p = 0.03) was "too few records to test".
    min_records: int = 10
    min_mentions: int = 5  # for a test, for "new" and for dominance
    min_praise_records: int = 3  # positive records a praised theme needs (one kind comment is not praise)
    alpha: float = 0.05
    min_expected: int = 5  # expected cell count below which Fisher's exact test replaces the z-test
    dominance_share: float = 0.6
    quotes_per_theme: int = 3
    quote_min_chars: int = 30
    quote_max_chars: int = 240

    def __post_init__(self) -> None:
        if self.min_records < 1 or self.min_mentions < 1 or self.min_expected < 0:
            raise ValueError("min_records and min_mentions must be >= 1, min_expected >= 0")
        if not 0 < self.alpha < 1 or not 0 <= self.dominance_share < 1:
            raise ValueError("alpha must be in (0, 1) and dominance_share in [0, 1)")
        if self.quotes_per_theme < 0 or not 0 <= self.quote_min_chars <= self.quote_max_chars:
            raise ValueError("bad quote settings")


DEFAULT_CONFIG = FactConfig()

def periods_in(rows: Iterable[FactRow]) -> list[str]:
    """The months (``"YYYY-MM"``, ascending) that hold at least one record dated to the day or the month (a
    year-only record belongs to no month)."""
    return sorted({month_of(r.date) for r in rows if r.date is not None and r.date_precision != "year"})


def _r4(x: Fraction) -> float:
    """A fraction as stored: rounded half away from zero to 4 decimals."""
    return float(round_half_up(x, 4))


# ----------------------------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class _Tally:
    """What one scope (district or city, one period) says about each theme."""

    records: int
    mentions: Counter[str]  # theme -> records raising it
    concerns: dict[str, list[tuple[FactRow, Concern]]]  # theme -> its concerns, with their records

    @classmethod
    def of(cls, rows: Sequence[FactRow]) -> _Tally:
        mentions: Counter[str] = Counter()
        concerns: dict[str, list[tuple[FactRow, Concern]]] = defaultdict(list)
        for row in rows:
            mentions.update(row.annotation.themes)
            for c in row.annotation.concerns:
                if c.theme_id != OTHER_THEME:
                    concerns[c.theme_id].append((row, c))
        return cls(len(rows), mentions, dict(concerns))


def _select(rows: Iterable[FactRow], in_district: Callable[[FactRow], bool], period: Period) -> list[FactRow]:
    return [r for r in rows if period.contains(r.date, r.date_precision) and in_district(r)]


def _check(rows: Iterable[FactRow], themes: Mapping[str, Theme]) -> None:
    seen: set[str] = set()
    for r in rows:
        if r.record_id in seen:
            raise ValueError(f"record {r.record_id!r} appears twice")
        seen.add(r.record_id)
        if r.annotation.record_id != r.record_id:
            raise ValueError(f"record {r.record_id!r} carries the annotation of {r.annotation.record_id!r}")
        unknown = [t for t in r.annotation.themes if t not in themes]
        if unknown:
            raise ValueError(f"record {r.record_id!r} raises unknown themes {unknown}")


def _residents_reached(rows: Iterable[FactRow]) -> tuple[int, int]:
    """(meetings, residents reached): each meeting once, at its largest attendee count."""
    attendees: dict[tuple[str | None, str], int] = {}
    for r in rows:
        if (key := r.meeting) is not None:
            attendees[key] = max(attendees.get(key, 0), r.attendee_count or 0)
    return len(attendees), sum(attendees.values())


def _label_counts(labels: Iterable[SentimentLabel]) -> dict[SentimentLabel, int]:
    counts = Counter(labels)
    return {label: counts[label] for label in SENTIMENT_LABELS}


# ---------------------------------------------------------------------------------------------- themes


def _change(m1: int, n1: int, m0: int, n0: int, cfg: FactConfig) -> ThemeChange:
    delta = ratio(m1, n1) - ratio(m0, n0)
    p: float | None = None
    if n1 >= cfg.min_records and n0 >= cfg.min_records and max(m1, m0) >= cfg.min_mentions:
        p = two_proportion_p_value(m1, n1, m0, n0, min_expected=cfg.min_expected)
    significant = p is not None and p < cfg.alpha
    direction: Direction = "flat"
    if significant:
        direction = "up" if delta > 0 else "down" if delta < 0 else "flat"
    return ThemeChange(previous_mentions=m0, previous_share=_r4(ratio(m0, n0)), delta_share=_r4(delta),
                       p_value=p, significant=significant, direction=direction)


def _status(mentions: int, change: ThemeChange | None, cfg: FactConfig) -> Status:
    if change is None:
        return "steady"
    if change.previous_mentions == 0 and mentions >= cfg.min_mentions:
        return "new"
    if change.direction == "up":
        return "emerging"
    return "fading" if change.direction == "down" else "steady"


def _dominance(rows: Sequence[FactRow], cfg: FactConfig) -> tuple[Literal["meeting", "note_taker"] | None,
                                                                   float | None]:
    """Whether one meeting (else one note-taker) supplies more than ``dominance_share`` of the mentions."""
    if len(rows) < cfg.min_mentions:
        return None, None
    sources: tuple[tuple[Literal["meeting", "note_taker"], Callable[[FactRow], object]], ...] = (
        ("meeting", lambda r: r.meeting), ("note_taker", lambda r: r.note_taker))
    for kind, key in sources:
        counts = Counter(k for r in rows if (k := key(r)) is not None)
        if counts:
            share = Fraction(max(counts.values()), len(rows))
            if share > Fraction(str(cfg.dominance_share)):  # the decimal as written: 3/5 is not > 0.6
                return kind, _r4(share)
    return None, None


def _majority(labels: dict[SentimentLabel, int]) -> SentimentLabel:
    return max(SENTIMENT_LABELS, key=lambda label: (labels[label], -SENTIMENT_LABELS.index(label)))


def _record_sentiments(concerns: Sequence[tuple[FactRow, Concern]]) -> dict[str, tuple[SentimentLabel, Fraction]]:
    """Each record's sentiment on one theme, by record id: (label of its strongest concern, mean score of its
    concerns)."""
    by_record: dict[str, list[Concern]] = defaultdict(list)
    for row, concern in concerns:
        by_record[row.record_id].append(concern)
    out = {}
    for rid, own in by_record.items():
        strongest = max(own, key=lambda c: abs(c.sentiment.score))  # max keeps the first on ties
        mean = sum((Fraction(c.sentiment.score) for c in own), Fraction(0)) / len(own)
        out[rid] = (strongest.sentiment.label, mean)
    return out


def _theme_facts(theme: Theme, now: _Tally, before: _Tally | None, scores: QuoteScores | None,
                 cfg: FactConfig) -> ThemeFacts:
    mentions = now.mentions[theme.id]
    concerns = now.concerns.get(theme.id, [])
    per_record = list(_record_sentiments(concerns).values())
    labels = _label_counts(label for label, _ in per_record)
    net = sum((score for _, score in per_record), Fraction(0)) / len(per_record) if per_record else Fraction(0)
    praised = 2 * labels["positive"] > len(per_record) and labels["positive"] >= cfg.min_praise_records
    tone: Tone = "praise" if praised else "worry"
    change = _change(mentions, now.records, before.mentions[theme.id], before.records, cfg) \
        if before is not None else None
    raising = {r.record_id: r for r, _ in concerns}
    dominated_by, dominance = _dominance(sorted(raising.values(), key=lambda r: r.record_id), cfg)
    return ThemeFacts(id=theme.id, label=theme.label, mentions=mentions,
                      share=_r4(ratio(mentions, now.records)), sentiment=labels, net_sentiment=_r4(net),
                      change=change,
                      quotes=pick_quotes(concerns, _majority(labels), scores, cfg),
                      status=_status(mentions, change, cfg), tone=tone, dominated_by=dominated_by,
                      dominance_share=dominance)


def _leading_theme(tally: _Tally, themes: Mapping[str, Theme]) -> str | None:
    if not tally.mentions:
        return None
    return min(tally.mentions, key=lambda t: (-tally.mentions[t], themes[t].label, t))


# ---------------------------------------------------------------------------------------------- sheets


def _sheet(rows: Sequence[FactRow], themes: Mapping[str, Theme], *, name: str,
           in_district: Callable[[FactRow], bool], period: str, config: FactConfig,
           scores: QuoteScores | None) -> tuple[FactSheet, list[FactRow]]:
    span = Period.parse(period)
    prev = None if span.is_all else span.previous()  # "all": every record, dated or not; nothing before it
    current = _select(rows, in_district, span)
    previous = _select(rows, in_district, prev) if prev is not None else []
    _check([*current, *previous], themes)
    now = _Tally.of(current)
    before = _Tally.of(previous) if previous else None
    facts = [_theme_facts(themes[t], now, before, scores, config) for t in now.mentions]
    if before is not None:
        faded = (_theme_facts(themes[t], now, before, scores, config)
                 for t in before.mentions if now.mentions[t] == 0)
        facts += [f for f in faded if f.change is not None and f.change.significant]
    facts.sort(key=lambda f: (-f.mentions, f.label, f.id))
    highlights = [f for f in facts if f.tone == "praise"]
    meetings, reached = _residents_reached(current)
    sheet = FactSheet(
        district=name, period=span.key, period_start=None if span.is_all else span.start,
        period_end=None if span.is_all else span.end,
        previous_period=prev.key if before is not None and prev is not None else None,
        records=len(current), meetings=meetings, residents_reached=reached,
        records_by_kind=dict(sorted(Counter(r.kind for r in current).items())),
        sentiment=_label_counts(r.annotation.sentiment.label for r in current),
        themes=facts, highlights=highlights)
    return sheet, current


def _known_themes(themes: Mapping[str, Theme]) -> dict[str, Theme]:
    for key, theme in themes.items():
        if key != theme.id:
            raise ValueError(f"themes[{key!r}] has id {theme.id!r}")
    return {k: t for k, t in themes.items() if k != OTHER_THEME}


def build_fact_sheet(rows: Sequence[FactRow], themes: Mapping[str, Theme], *, district: str | None,
                     period: str, config: FactConfig = DEFAULT_CONFIG,
                     scores: QuoteScores | None = None) -> FactSheet:
    """The facts of one district (``None``: the records without a district) for one period."""
    _check_scores(scores)
    sheet, _ = _sheet(rows, _known_themes(themes), name=district if district is not None else NO_DISTRICT,
                      in_district=lambda r: r.district == district, period=period, config=config,
                      scores=scores)
    return sheet


def build_city_sheet(rows: Sequence[FactRow], themes: Mapping[str, Theme], *, period: str,
                     config: FactConfig = DEFAULT_CONFIG, scores: QuoteScores | None = None) -> FactSheet:
    """The facts of the whole city (every record, with or without a district) for one period, plus the
    leading theme of each named district."""
    _check_scores(scores)
    known = _known_themes(themes)
    sheet, current = _sheet(rows, known, name=CITY_WIDE, in_district=lambda r: True, period=period,
                            config=config, scores=scores)
    by_district: dict[str, list[FactRow]] = defaultdict(list)
    for r in current:
        if r.district is not None:
            by_district[r.district].append(r)
    leading = {d: _leading_theme(_Tally.of(rs), known) for d, rs in sorted(by_district.items())}
    return sheet.model_copy(update={"leading_theme_by_district": {d: t for d, t in leading.items() if t}})


def theme_evidence(rows: Sequence[FactRow], *, district: str, period: str, theme_id: str,
                   sentiment: SentimentLabel | None = None) -> list[FactRow]:
    """The records behind one count of a sheet (``CITY_WIDE``: the city's): those raising `theme_id` (its
    mentions) or, with `sentiment`, those whose sentiment on it is that label (its sentiment[label]); selected
    and tallied as the sheet is, so the lengths equal the counts. In record id order."""
    in_district: Callable[[FactRow], bool] = (lambda r: True) if district == CITY_WIDE else \
        (lambda r: r.district == district)
    concerns = _Tally.of(_select(rows, in_district, Period.parse(period))).concerns.get(theme_id, [])
    labels = _record_sentiments(concerns)
    rows_by_id = {r.record_id: r for r, _ in concerns}
    return [rows_by_id[rid] for rid in sorted(labels) if sentiment is None or labels[rid][0] == sentiment]


def _check_scores(scores: QuoteScores | None) -> None:
    if scores is not None and not all(math.isfinite(s) for s in scores.values()):
        raise ValueError("quote scores must be finite")
