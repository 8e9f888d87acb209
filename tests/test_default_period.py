"""The period a summary covers when none is asked for: each district its own (latest month, or all records of
an undated or one-off consultation), the city the one its districts agree on, always with the reason."""

from __future__ import annotations

import datetime as dt

from synth.synthesis.corpus import Corpus
from synth.synthesis.default_period import (
    PeriodChoice,
    city_period,
    default_period,
    densest_window,
    summarize_scopes,
)
from synth.synthesis.facts import CITY_WIDE, FactRow
from synth.synthesis.summary import Summary
from synth.synthesis.themes import TaxonomyState
from tests.test_facts import THEMES, c, row


def monthly(district: str, months: list[str], per_month: int = 3) -> list[FactRow]:
    """A district that meets every month: `per_month` records on the 10th of each month."""
    return [row(f"{district}-{m}-{i}", c("t_light"), district=district, date=dt.date.fromisoformat(f"{m}-10"))
            for m in months for i in range(per_month)]


def burst(district: str, start: dt.date, days: int, n: int) -> list[FactRow]:
    """A one-off consultation: `n` records spread over `days` days from `start`."""
    return [row(f"{district}-{i}", c("t_light"), district=district, date=start + dt.timedelta(days=i % (days + 1)))
            for i in range(n)]


def test_a_district_that_meets_every_month_covers_its_own_latest_month() -> None:
    rows = monthly("D1", ["2026-06", "2026-07", "2026-08", "2026-09"])
    choice = default_period(rows, "D1")
    assert choice == PeriodChoice("2026-09", "September 2026, the latest month with records for D1")


def test_an_undated_district_covers_all_its_records() -> None:
    rows = [row(f"u{i}", c("t_light"), district="D2", date=None) for i in range(4)]
    rows.append(row("y", c("t_light"), district="D2", date=dt.date(2025, 1, 1)))  # year-only: no month
    rows[-1] = FactRow(**{**rows[-1].__dict__, "date_precision": "year"})
    choice = default_period(rows, "D2")
    assert choice.period == "all" and "no record for D2 is dated to a month" in choice.reason


def test_a_one_off_consultation_covers_all_its_records_even_with_late_stragglers() -> None:
    rows = burst("Seattle", dt.date(2014, 6, 2), 20, 45)
    rows += [row(f"late{i}", c("t_light"), district="Seattle", date=d)
             for i, d in enumerate([dt.date(2014, 12, 1), dt.date(2016, 9, 3), dt.date(2018, 11, 5)])]
    choice = default_period(rows, "Seattle")
    assert choice.period == "all"
    assert choice.reason == ("all records, as Seattle is a one-off consultation (45 of 48 dated records from "
                             "2014-06-02 to 2014-06-22)")


def test_a_consultation_spread_too_thinly_is_a_series() -> None:
    rows = burst("D3", dt.date(2026, 1, 1), 40, 8) + monthly("D3", ["2026-05", "2026-07"], per_month=2)
    assert default_period(rows, "D3").period == "2026-07"  # 8 of 12 within two months: below 90%


def test_densest_window() -> None:
    days = [dt.date(2026, 1, d) for d in (1, 2, 3)] + [dt.date(2026, 6, 1)]
    assert densest_window(days, 5) == (3, dt.date(2026, 1, 1), dt.date(2026, 1, 3))
    assert densest_window(days[:1], 0) == (1, days[0], days[0])


def test_the_city_takes_the_districts_period_when_they_agree_else_all() -> None:
    same = [PeriodChoice("2026-09", "a"), PeriodChoice("2026-09", "b")]
    assert city_period(same) == PeriodChoice("2026-09", "September 2026, the period every district's summary covers")
    months = city_period([PeriodChoice("2026-08", "a"), PeriodChoice("2026-09", "b")])
    assert months == PeriodChoice("2026-09", "September 2026, the latest month with records in any district")
    mixed = city_period([PeriodChoice("2026-09", "a"), PeriodChoice("all", "b")])
    assert mixed.period == "all" and "one-off" in mixed.reason


def corpus_of(rows: list[FactRow]) -> Corpus:
    return Corpus(taxonomy=TaxonomyState(themes=dict(THEMES)), spans=[], annotations={}, rows=rows, scores=None)


class RecordingSummarizer:
    """Stands in for the Synthesizer: builds each sheet from the corpus and records what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str | None, str | None]] = []

    def summarize(self, *, district: str | None = None, period: str | None = None, include_city: bool = True,
                  corpus: Corpus | None = None) -> list[Summary]:
        assert corpus is not None and period is not None and not include_city
        self.asked.append((district, period))
        from synth.synthesis.narrative import write_narrative
        from synth.synthesis.summary import build_summary

        sheets = corpus.sheets(period, district=district, include_city=False)
        return [build_summary(s, write_narrative(s, corpus.index, None), fp="x", annotator="t") for s in sheets]


def test_every_district_is_summarised_for_its_own_period_and_says_why() -> None:
    rows = monthly("D1", ["2026-06", "2026-07", "2026-08", "2026-09"])
    rows += burst("Polis town", dt.date(2024, 9, 20), 13, 30)
    corpus = corpus_of(rows)
    synth = RecordingSummarizer()
    summaries = summarize_scopes(synth, corpus)
    assert synth.asked == [("D1", "2026-09"), ("Polis town", "all"), (CITY_WIDE, "all")]
    assert [(s.district, s.counts.records) for s in summaries] == [("D1", 3), ("Polis town", 30),
                                                                   (CITY_WIDE, 42)]
    assert all(s.counts.records > 0 for s in summaries)  # no "0 records" for a district that is not the latest
    assert "one-off consultation" in (summaries[1].period_basis or "")
    asked = summarize_scopes(RecordingSummarizer(), corpus, district="D1", period="2026-08")
    assert [(s.period, s.period_basis, s.counts.records) for s in asked] == [("2026-08", None, 3)]
    three_months = default_period(monthly("D1", ["2026-07", "2026-08", "2026-09"]), "D1")
    assert three_months.period == "all"  # Jul 10 to Sep 10 is within two months: one exercise


def test_the_city_wide_view_alone() -> None:
    rows = monthly("D1", ["2026-05", "2026-09"]) + monthly("D2", ["2026-04", "2026-09"])
    corpus = corpus_of(rows)
    [city] = summarize_scopes(RecordingSummarizer(), corpus, district=CITY_WIDE)
    assert (city.district, city.period, city.counts.records) == (CITY_WIDE, "2026-09", 6)
    assert city.leading_theme_by_district == {"D1": "t_light", "D2": "t_light"}
    assert corpus.sheets("2026-09", district=CITY_WIDE)[0].records == 6  # not a district named "City-wide"
