"""What the pages show, computed from the same corpus and fact sheets as the API's summaries and evidence
(api/corpus.py, synth/synthesis/facts.py), so a count on a page is the count `GET /evidence` lists."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from synth import readout
from synth.period import Period, month_index, month_label, month_of
from synth.synthesis.corpus import Corpus
from synth.synthesis.display import change_phrase
from synth.synthesis.facts import CITY_WIDE, FactRow
from synth.synthesis.models import FactSheet
from synth.synthesis.summary import Summary, ThemeSummary

TREND_MONTHS = 12  # sparklines cover at most the last year of a district's months
ACTIVITY_MONTHS = 6
HEATMAP_THEMES = 10
SHEET_CACHE_PERIODS = 32


def district_url(district: str) -> str:
    return "/districts/" + quote(district, safe="")


def evidence_url(district: str, period: str, theme: str, sentiment: str | None = None) -> str:
    params = {"district": district, "period": period, "theme": theme}
    if sentiment:
        params["sentiment"] = sentiment
    return "/evidence/records?" + urlencode(params)


def cited_url(district: str, period: str, record_ids: Sequence[str]) -> str:
    """The evidence page listing the records a narrative sentence cites."""
    return "/evidence/records?" + urlencode([("district", district), ("period", period),
                                             *(("record", rid) for rid in record_ids)])


@dataclass
class PeriodOption:
    key: str
    label: str


def period_options(corpus: Corpus) -> list[PeriodOption]:
    """The periods the picker offers: every record, each year, the last quarter, then each month (newest
    first)."""
    months = corpus.periods
    options = [PeriodOption("all", "All dates")]
    if months:
        last = month_index(months[-1])
        quarter = Period.months_from(max(month_index(months[0]), last - 2), last)
        options.append(PeriodOption(quarter.key, f"Last 3 months ({quarter.label})"))
        for year in sorted({m[:4] for m in months}, reverse=True):
            options.append(PeriodOption(year, year))
        options += [PeriodOption(m, month_label(month_index(m))) for m in reversed(months)]
    return options


# -- overview ------------------------------------------------------------------------------------------------
@dataclass
class HeatCell:
    mentions: int
    share: float
    step: int
    url: str


@dataclass
class Heatmap:
    themes: list[tuple[str, str]]  # (id, label), columns
    rows: list[tuple[str, int, list[HeatCell]]]  # (district, records, cells)
    max_share: float
    more_themes: int = 0  # themes with records beyond the columns shown


def count_sheets(corpus: Corpus, period: str, cache: dict[str, dict[str, FactSheet]] | None = None
                 ) -> dict[str, FactSheet]:
    """The city's fact sheet and each district's, for their counts (the overview shows no quotes, so they are
    neither ranked nor scrubbed here: `Corpus.sheet` does that for pages that show them). `cache` holds them
    by period for one corpus (a new corpus, after any change to the records or themes, starts a new cache)."""
    from synth.synthesis.facts import build_city_sheet, build_fact_sheet

    if cache is not None and period in cache:
        return dict(cache[period])
    sheets = {CITY_WIDE: build_city_sheet(corpus.rows, corpus.themes, period=period)}
    for d in corpus.districts:
        sheets[d] = build_fact_sheet(corpus.rows, corpus.themes, district=d, period=period)
    if cache is not None:
        if len(cache) >= SHEET_CACHE_PERIODS:
            cache.pop(next(iter(cache)))
        cache[period] = sheets
    return dict(sheets)


def heatmap(city: FactSheet, sheets: dict[str, FactSheet], period: str) -> Heatmap:
    from api.web.charts import heat_step

    raised = [(t.id, t.label) for t in city.themes if t.mentions]
    columns = raised[:HEATMAP_THEMES]
    by_district = {d: {t.id: t for t in s.themes} for d, s in sheets.items()}
    max_share = max((t.share for facts in by_district.values() for t in facts.values()), default=0.0)
    rows = []
    for district, sheet in sheets.items():
        cells = []
        for theme_id, _ in columns:
            facts = by_district[district].get(theme_id)
            mentions, share = (facts.mentions, facts.share) if facts else (0, 0.0)
            cells.append(HeatCell(mentions, share, heat_step(share, max_share),
                                  evidence_url(district, period, theme_id)))
        rows.append((district, sheet.records, cells))
    return Heatmap(columns, rows, max_share, len(raised) - len(columns))


@dataclass
class MonthActivity:
    meetings: int = 0
    residents: int = 0
    notes: int = 0


def activity(rows: Sequence[FactRow], districts: Sequence[str], months: Sequence[str]
             ) -> dict[str, dict[str, MonthActivity]]:
    """Meetings held, residents reached (each meeting once, at its largest attendee count, as the fact
    sheets count them) and meeting notes logged, per district and month."""
    wanted = set(months)
    attendees: dict[tuple[str, str, str], int] = {}
    out = {d: {m: MonthActivity() for m in months} for d in districts}
    for r in rows:
        if r.district not in out or r.date is None or r.date_precision == "year":
            continue
        month = month_of(r.date)
        if month not in wanted:
            continue
        if r.kind == "meeting_note":
            out[r.district][month].notes += 1
        if r.meeting_id:
            key = (r.district, month, r.meeting_id)
            attendees[key] = max(attendees.get(key, 0), r.attendee_count or 0)
    for (district, month, _), n in attendees.items():
        out[district][month].meetings += 1
        out[district][month].residents += n
    return out


@dataclass
class Change:
    district: str
    theme_id: str
    label: str
    status: str
    words: str
    mentions: int
    url: str


def notable_changes(sheets: dict[str, FactSheet], period: str, discovered: set[str] | None = None) -> list[Change]:
    """Significant rises and falls, and emerging or new themes, in the city and each district; and, city-wide,
    the themes discovery found in residents' words beside the taxonomy (`discovered`)."""
    out = []
    for scope, sheet in sheets.items():
        for t in sheet.themes:
            significant = t.change is not None and t.change.significant
            found = scope == CITY_WIDE and t.id in (discovered or set())
            if not significant and t.status not in ("emerging", "new") and not found:
                continue
            words = change_phrase(t.mentions, sheet.records, t.change) or "no earlier period to compare"
            status = "found in residents' words" if found and t.status == "steady" else t.status
            out.append(Change(scope, t.id, t.label, status, words, t.mentions, evidence_url(scope, period, t.id)))
    return out


# -- district --------------------------------------------------------------------------------------------
@dataclass
class ThemeView:
    """One theme of a district's summary, with the page's links and trend."""

    theme: ThemeSummary
    share_text: str
    change_words: str
    trend: list[float] = field(default_factory=list)
    url: str = ""
    sentiment_urls: dict[str, str] = field(default_factory=dict)


def monthly_shares(rows: Sequence[FactRow], district: str, months: Sequence[str]) -> dict[str, list[float]]:
    """theme id -> its share of the district's records in each of `months`."""
    records: dict[str, int] = defaultdict(int)
    mentions: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    wanted = set(months)
    for r in rows:
        if (district != CITY_WIDE and r.district != district) or r.date is None or r.date_precision == "year":
            continue
        month = month_of(r.date)
        if month in wanted:
            records[month] += 1
            for theme in r.annotation.themes:
                mentions[theme][month] += 1
    return {t: [float(readout.ratio(by_month[m], records[m])) for m in months] for t, by_month in mentions.items()}


def theme_views(summary: Summary, trends: dict[str, list[float]], n_months: int) -> list[ThemeView]:
    return [ThemeView(t, readout.share(t.share), t.change_words or "no earlier period to compare",
                      trends.get(t.id, [0.0] * n_months), evidence_url(summary.district, summary.period, t.id),
                      {label: evidence_url(summary.district, summary.period, t.id, label)
                       for label, n in t.sentiment.items() if n})
            for t in summary.themes]
