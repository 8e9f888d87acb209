"""The figures route: counts, shares, rankings, trends and comparisons computed by code over the
annotations (FactIndex), written up by code. Every number in the text is a Figure; every example is a
Citation of a record that raises the theme inside the question's scope."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from synth.ask.models import Citation, Coverage, Figure, StructuredQuery
from synth.ask.query import FactIndex, Scope
from synth.period import Period
from synth.readout import count as count_text
from synth.readout import percent, period_label, ratio, round_half_up
from synth.synthesis.facts import FactConfig
from synth.synthesis.significance import two_proportion_p_value

EXAMPLES = 3
EXAMPLES_EACH = 2  # examples per theme when a question names several
_TREND = FactConfig()  # the summaries' significance rules: min records, min mentions, alpha


def where_label(districts: list[str] | tuple[str, ...]) -> str:
    return ", ".join(districts) if districts else "all districts"


Group = tuple[str, np.ndarray, str | None, str | None]  # label, mask, district, month


@dataclass
class Result:
    text: str
    figures: list[Figure] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    insufficient: bool = False


def scope_of(query: StructuredQuery) -> Scope:
    return Scope(districts=tuple(query.districts), period=query.period, kinds=tuple(query.kinds))


def coverage(index: FactIndex, scope: Scope, mask: np.ndarray | None = None) -> Coverage:
    mask = index.mask(scope) if mask is None else mask
    records = index.records(mask)
    notes = index.records(mask & index.is_note)
    meetings = index.meetings(mask)
    months = index.month[mask]
    months = months[months >= 0]
    period = scope.period
    if period is None and months.size:
        period = Period.months_from(int(months.min()), int(months.max())).key
    parts = [f"{notes} meeting notes from {meetings} meetings"] if notes else []
    if records - notes:
        parts.append(f"{records - notes} other records (comments, surveys, emails)")
    detail = f" ({', '.join(parts)})" if parts else ""
    districts = list(scope.districts) or sorted(
        {index.districts[c] for c in np.unique(index.district[mask]) if c >= 0})
    text = (f"based on {records} records{detail} in {where_label(list(scope.districts))}, "
            f"{period_label(period)}")
    return Coverage(records=records, meeting_notes=notes, meetings=meetings, other_records=records - notes,
                    districts=districts, period=period, text=text)


class FigureWriter:
    """Answers one figures question over a FactIndex."""

    def __init__(self, index: FactIndex) -> None:
        self.index = index

    def label(self, theme_id: str) -> str:
        return self.index.themes[theme_id].label

    def cite(self, mask: np.ndarray, theme_id: str | None, n: int = EXAMPLES,
             sentiment: str | None = None, measure: str = "records") -> list[Citation]:
        if measure == "meetings":  # a meeting is evidenced by its notes
            mask = mask & self.index.is_note
        return [Citation.quoting(row, snippet) for row, snippet in self.index.examples(mask, theme_id, n, sentiment)]

    def _unit(self, query: StructuredQuery) -> str:
        unit = "meetings" if query.measure == "meetings" else "records"
        if query.sentiment == "negative":
            return f"{unit} complaining about"
        if query.sentiment == "positive":
            return f"{unit} praising"
        return f"{unit} raising"

    def _what(self, query: StructuredQuery, theme: str | None) -> str:
        """What a count counts: "meetings raising Street lighting", "records with a negative overall sentiment"."""
        if theme is not None:
            return f"{self._unit(query)} {self.label(theme)}"
        if query.sentiment is None:
            return "meetings" if query.measure == "meetings" else "records"
        if query.measure == "meetings":
            return f"meetings with a note of {query.sentiment} overall sentiment"
        return f"records with a {query.sentiment} overall sentiment"

    def _felt(self, mask: np.ndarray, sentiment: str | None) -> np.ndarray:
        """`mask` narrowed to the records whose overall sentiment (the record as a whole) has the label."""
        return mask if sentiment is None else mask & self.index.felt_mask(sentiment)

    def _figure(self, query: StructuredQuery, theme: str | None, mask: np.ndarray, district: str | None,
                month: str | None = None) -> Figure:
        if theme is None:
            mask = self._felt(mask, query.sentiment)
            value = self.index.meetings(mask) if query.measure == "meetings" else self.index.records(mask)
        else:
            value = self.index.count(mask, theme, query.measure, query.sentiment)
        what = self._what(query, theme)
        where = district or where_label(query.districts)
        when = period_label(month or query.period)
        return Figure(name=f"{what} in {where}, {when}", value=value, display=count_text(value),
                      measure=query.measure, theme=theme, district=district, period=query.period, month=month)

    def _share(self, query: StructuredQuery, theme: str, mask: np.ndarray, district: str | None,
               month: str | None = None) -> tuple[Figure, Figure]:
        count = self.index.count(mask, theme, "records", query.sentiment)
        total = self.index.records(mask)
        where = district or where_label(query.districts)
        when = period_label(month or query.period)
        share = Figure(name=f"share of records {self._unit(query).split(' ', 1)[1]} {self.label(theme)} in "
                            f"{where}, {when}", value=float(round_half_up(ratio(count, total), 4)),
                       display=percent(count, total), measure="share", theme=theme, district=district,
                       period=query.period, month=month)
        base = Figure(name=f"records in {where}, {when}", value=total, display=count_text(total),
                      measure="records_in_scope", district=district, period=query.period, month=month)
        return share, base

    # -- intents ----------------------------------------------------------------------------------------
    def count(self, query: StructuredQuery, share: bool = False) -> Result:
        """One figure per group (district, month or the whole scope) for each theme named (or none)."""
        themes: list[str | None] = list(query.themes) or [None]
        if share and themes == [None]:
            return Result("A share needs a theme to measure; no theme was recognised in the question.",
                          insufficient=True)
        if len(themes) > 1 and not share and query.group_by is None:
            return self._by_theme(query)
        base = self.index.mask(scope_of(query))
        groups = self._groups(query, base)
        texts: list[str] = []
        figures: list[Figure] = []
        citations: list[Citation] = []
        for theme in themes:
            text, found = self._count_text(query, theme, groups, share)
            texts.append(text)
            figures += found
            cited = base if theme else self._felt(base, query.sentiment)  # with a theme, its concerns' sentiment
            citations += self.cite(cited, theme, _examples(themes), query.sentiment,
                                   query.measure)
        return Result(" ".join(texts), _distinct(figures), citations)

    def _count_text(self, query: StructuredQuery, theme: str | None, groups: list[Group],
                    share: bool) -> tuple[str, list[Figure]]:
        figures: list[Figure] = []
        lines = []
        for name, mask, district, month in groups:
            if share and theme:
                s, n = self._share(query, theme, mask, district, month)
                figures += [s, n]
                raising = self.index.count(mask, theme, "records", query.sentiment)
                lines.append(f"{name}: {s.display} ({raising} of {n.display} records)")
            else:
                f = self._figure(query, theme, mask, district, month)
                figures.append(f)
                lines.append(f"{name}: {f.display}")
        what = self._what(query, theme)
        if share:
            what = f"share of records {self._unit(query).split(' ', 1)[1]} {self.label(theme or '')}"
        when = period_label(query.period)
        if len(groups) == 1:
            if share and theme:
                text = (f"{figures[0].display} of records in {where_label(query.districts)} "
                        f"({lines[0].split('(', 1)[1][:-1]}) raised {self.label(theme)}, {when}.")
            else:
                text = f"{figures[0].display} {what} in {where_label(query.districts)}, {when}."
        else:
            text = f"{what[0].upper()}{what[1:]}, {when}: " + "; ".join(lines) + "."
        return text, figures

    def _groups(self, query: StructuredQuery, base: np.ndarray) -> list[Group]:
        if query.group_by == "district":
            names = query.districts or self.index.districts
            return [(d, base & self.index.district_mask(d), d, None) for d in names]
        if query.group_by == "month":
            return [(period_label(m), base & self.index.month_mask(m), None, m) for m in self._months(query, base)]
        return [(where_label(query.districts), base, None, None)]

    def _months(self, query: StructuredQuery, base: np.ndarray) -> list[str]:
        if query.period and not (span := Period.parse(query.period)).is_all:
            lo, hi = span.bounds()
        else:
            months = self.index.month[base]
            months = months[months >= 0]
            if not months.size:
                return []
            lo, hi = int(months.min()), int(months.max())
        return Period.months_from(lo, hi).months()

    def ranking(self, query: StructuredQuery) -> Result:
        base = self.index.mask(scope_of(query))
        total = self.index.records(base)
        if query.rank == "districts" and not query.themes:
            return self._districts(query, base)
        if query.themes and (query.group_by == "district" or not query.districts):
            texts, figures, citations = [], [], []
            for theme in query.themes:  # the districts ranked for each theme named
                by_district = []
                for d in query.districts or self.index.districts:
                    m = base & self.index.district_mask(d)
                    by_district.append((self.index.count(m, theme, query.measure, query.sentiment),
                                        self.index.records(m), d))
                by_district.sort(key=lambda x: (-x[0], x[2]))
                figures += [self._figure(query, theme, base & self.index.district_mask(d), d)
                            for _, _, d in by_district]
                parts = [f"{d} {n} ({percent(n, total_d)} of its {total_d} records)" if query.measure == "records"
                         else f"{d} {n}" for n, total_d, d in by_district]
                texts.append(f"{self._unit(query)[0].upper()}{self._unit(query)[1:]} {self.label(theme)} by "
                             f"district, {period_label(query.period)}, most first: " + "; ".join(parts) + ".")
                citations += self.cite(base, theme, _examples(query.themes), query.sentiment,
                                       query.measure)
            return Result(" ".join(texts), figures, citations)
        counts = self.index.theme_counts(base, query.sentiment)
        if query.measure == "meetings":
            counts = {t: self.index.count(base, t, "meetings", query.sentiment) for t in counts}
            counts = {t: n for t, n in counts.items() if n}
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], self.label(kv[0]), kv[0]))
        if not ordered:
            return Result(f"No theme was raised in {where_label(query.districts)}, "
                          f"{period_label(query.period)}.", insufficient=True)
        # the top themes, and each theme the question names wherever it ranks (0 when not raised)
        ranked: list[tuple[int | None, str, int]] = [
            (i, t, n) for i, (t, n) in enumerate(ordered, start=1) if i <= query.top_n or t in query.themes]
        ranked += [(None, t, 0) for t in query.themes if t not in counts]
        figures = [self._figure(query, t, base, None) for _, t, _ in ranked]
        unit = "meetings" if query.measure == "meetings" else "records"
        parts = [(f"{i}. " if i else "") + f"{self.label(t)}: {n} {unit}"
                 + (f" ({percent(n, total)})" if unit == "records" else "") for i, t, n in ranked]
        lead = "praised most" if query.sentiment == "positive" else (
            "complained about most" if query.sentiment == "negative" else "raised most")
        text = (f"Themes residents {lead} in {where_label(query.districts)}, {period_label(query.period)} "
                f"(of {total} records): " + "; ".join(parts) + ".")
        citations = [c for _, t, _ in ranked[:EXAMPLES] for c in self.cite(base, t, 1, query.sentiment,
                                                                           query.measure)]
        return Result(text, figures, citations)

    def _districts(self, query: StructuredQuery, base: np.ndarray) -> Result:
        """ "Which district has the most comments?": the districts ranked by their records (or meetings)."""
        rows = [(self.index.records(base & self.index.district_mask(d)), d) for d in
                query.districts or self.index.districts]
        if query.measure == "meetings":
            rows = [(self.index.meetings(base & self.index.district_mask(d)), d) for _, d in rows]
        rows.sort(key=lambda x: (-x[0], x[1]))
        figures = [self._figure(query, None, base & self.index.district_mask(d), d) for _, d in rows]
        text = (f"{self._what(query, None).capitalize()} by district, {period_label(query.period)}, most first: "
                + "; ".join(f"{d} {n}" for n, d in rows) + ".")
        return Result(text, figures)

    def trend(self, query: StructuredQuery) -> Result:
        """A month-by-month series for each theme named, per district when grouped by district."""
        if not query.themes:
            return Result("A trend needs a theme; no theme was recognised in the question.", insufficient=True)
        base = self.index.mask(scope_of(query))
        groups = self._groups(query, base) if query.group_by == "district" else [
            (where_label(query.districts), base, None, None)]
        texts: list[str] = []
        figures: list[Figure] = []
        citations: list[Citation] = []
        for theme in query.themes:
            for where, mask, district, _ in groups:
                text, found = self._series(query, theme, mask, where, district)
                texts.append(text)
                figures += found
            citations += self.cite(base, theme, _examples(query.themes), query.sentiment,
                                   query.measure)
        if not figures:  # no series has two months with records
            return Result(" ".join(dict.fromkeys(texts)), insufficient=True)
        return Result(" ".join(texts), _distinct(figures), citations)

    def _series(self, query: StructuredQuery, theme: str, base: np.ndarray, where: str,
                district: str | None) -> tuple[str, list[Figure]]:
        months = [m for m in self._months(query, base) if self.index.records(base & self.index.month_mask(m))]
        if len(months) < 2:
            return (f"A trend needs at least two months with records in {where}; "
                    f"{period_label(query.period)} has {len(months)}.", [])
        figures: list[Figure] = []
        parts = []
        series = []
        for m in months:
            mask = base & self.index.month_mask(m)
            n = self.index.count(mask, theme, "records", query.sentiment)
            total = self.index.records(mask)
            share, count = self._share(query, theme, mask, district, m)
            figures += [share, count, self._figure(query.model_copy(update={"measure": "records"}), theme, mask,
                                                   district, m)]
            parts.append(f"{period_label(m)} {n} of {total} ({share.display})")
            series.append((n, total))
        (m1, n1), (m0, n0) = series[-1], series[0]
        words = self._change_words(m1, n1, m0, n0)
        text = (f"{self.label(theme)} in {where}, month by month (records raising it of all "
                f"records): " + "; ".join(parts) + f". From {period_label(months[0])} to "
                f"{period_label(months[-1])} its share {words}.")
        return text, figures

    @staticmethod
    def _change_words(m1: int, n1: int, m0: int, n0: int) -> str:
        before, after = percent(m0, n0), percent(m1, n1)
        if before == after:
            return f"stayed at {after}"
        direction = "rose" if m1 * n0 > m0 * n1 else "fell"
        tested = n1 >= _TREND.min_records and n0 >= _TREND.min_records and max(m1, m0) >= _TREND.min_mentions
        if not tested:
            note = "too few records for a significance test"
        else:
            p = two_proportion_p_value(m1, n1, m0, n0, min_expected=_TREND.min_expected)
            note = "statistically significant" if p < _TREND.alpha else "not statistically significant"
        return f"{direction} from {before} to {after} ({note})"

    def _by_theme(self, query: StructuredQuery) -> Result:
        """Several themes in one scope, side by side: "Street lighting 5 records vs Speeding and traffic 4"."""
        scoped = self.index.mask(scope_of(query))
        by_theme = [(self.index.count(scoped, t, query.measure, query.sentiment), t) for t in query.themes]
        by_theme.sort(key=lambda x: (-x[0], self.label(x[1])))
        figures = [self._figure(query, t, scoped, None) for _, t in by_theme]
        unit = "meetings" if query.measure == "meetings" else "records"
        text = (f"In {where_label(query.districts)}, {period_label(query.period)}: "
                + " vs ".join(f"{self.label(t)} {n} {unit}" for n, t in by_theme) + ".")
        each = _examples(query.themes)
        citations = [c for _, t in by_theme for c in self.cite(scoped, t, each, query.sentiment, query.measure)]
        return Result(text, figures, citations)

    def compare(self, query: StructuredQuery) -> Result:
        if len(query.themes) >= 2:  # grouped: each theme per district (or month); else side by side
            return self.count(query) if query.group_by else self._by_theme(query)
        base = self.index.mask(scope_of(query.model_copy(update={"districts": []})))
        if not query.themes:
            return Result("A comparison needs a theme; no theme was recognised in the question.", insufficient=True)
        theme = query.themes[0]
        districts = list(query.districts)
        if len(districts) < 2:
            return self.ranking(query.model_copy(update={"districts": [], "group_by": "district"}))
        rows = []
        figures = []
        for d in districts:
            mask = base & self.index.district_mask(d)
            n = self.index.count(mask, theme, query.measure, query.sentiment)
            rows.append((n, self.index.records(mask), d))
            figures.append(self._figure(query, theme, mask, d))
            if query.measure == "records":
                figures += list(self._share(query, theme, mask, d))
        rows.sort(key=lambda x: (-x[0], x[2]))
        unit = "meetings" if query.measure == "meetings" else "records"
        parts = [f"{d}: {n} {unit}" + (f" ({percent(n, t)} of its {t} records)" if unit == "records" else "")
                 for n, t, d in rows]
        lead = (f"{rows[0][2]} raised {self.label(theme)} more often" if rows[0][0] > rows[1][0]
                else f"{rows[0][2]} and {rows[1][2]} raised {self.label(theme)} equally often")
        text = f"{lead}, {period_label(query.period)}: " + "; ".join(parts) + "."
        citations = [c for _, _, d in rows for c in self.cite(base & self.index.district_mask(d), theme, 2,
                                                                  query.sentiment, query.measure)]
        return Result(text, figures, citations)


def _distinct(figures: list[Figure]) -> list[Figure]:
    """Figures without repeats (the records in a month are one figure however many themes are measured)."""
    return list({(f.name, f.measure, f.theme): f for f in figures}.values())


def _examples(themes: Sequence[str | None]) -> int:
    """Quotes to cite for each theme of an answer: fewer each when it names several."""
    return EXAMPLES if len(themes) <= 1 else EXAMPLES_EACH
