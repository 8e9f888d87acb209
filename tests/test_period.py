"""Period: parsing, errors, months, the previous period, all records (dated or not) and labels."""

from __future__ import annotations

import datetime as dt

import pytest

from synth.period import Period, PeriodError, month_index, month_key, month_of


@pytest.mark.parametrize(("text", "key", "months"), [
    ("2026-11", "2026-11", ["2026-11"]),
    ("2026-09..2026-11", "2026-09..2026-11", ["2026-09", "2026-10", "2026-11"]),
    ("2025-12..2026-01", "2025-12..2026-01", ["2025-12", "2026-01"]),
    ("2026-11..2026-11", "2026-11", ["2026-11"]),  # a range of one month is that month
    (" 2026-11 ", "2026-11", ["2026-11"]),
])
def test_parse_months_and_ranges(text: str, key: str, months: list[str]) -> None:
    period = Period.parse(text)
    assert period.key == str(period) == key
    assert period.months() == months and len(period) == len(months)
    assert Period.parse(period.key) == period  # the key reads back


def test_a_year_parses_and_has_its_twelve_months() -> None:
    year = Period.parse("2026")
    assert year.key == "2026" and year.label == "2026" and year == Period.year(2026)
    assert year.months() == [f"2026-{m:02d}" for m in range(1, 13)]
    assert (year.start, year.end) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert year.previous() == Period.parse("2025")
    assert year.contains(dt.date(2026, 7, 4)) and not year.contains(dt.date(2027, 1, 1))
    assert Period.parse("2026-01..2026-12").key == "2026-01..2026-12"  # a range stays a range


@pytest.mark.parametrize("bad", ["2026-13", "2026-00", "2026-9", "2026-09..2026-08", "2026-09..", "..2026-09",
                                 "Sept", "", "26", "2026-09-01", "2026-09...2026-10", "alls"])
def test_bad_periods_are_refused_naming_the_value(bad: str) -> None:
    with pytest.raises(PeriodError) as raised:
        Period.parse(bad)
    assert repr(bad) in str(raised.value)
    assert isinstance(raised.value, ValueError)  # callers that catch ValueError keep working


def test_a_period_cannot_end_before_it_starts() -> None:
    with pytest.raises(PeriodError, match="ends before it starts"):
        Period(month_index("2026-10"), month_index("2026-09"))
    assert Period.months_from(month_index("2026-10"), month_index("2026-09")).key == "2026-09..2026-10"


def test_previous_has_the_same_length_and_ends_the_month_before() -> None:
    assert Period.parse("2026-01").previous().key == "2025-12"
    assert Period.parse("2026-04..2026-06").previous().key == "2026-01..2026-03"
    assert Period.parse("2026-02..2026-04").previous().key == "2025-11..2026-01"
    p = Period.parse("2026-09..2026-11")
    assert len(p.previous()) == len(p) and p.previous().last == p.first - 1  # type: ignore[operator]


def test_contains_by_first_and_last_day() -> None:
    p = Period.parse("2028-02")
    assert (p.start, p.end) == (dt.date(2028, 2, 1), dt.date(2028, 2, 29))  # a leap year
    assert p.contains(dt.date(2028, 2, 1)) and p.contains(dt.date(2028, 2, 29))
    assert not p.contains(dt.date(2028, 1, 31)) and not p.contains(dt.date(2028, 3, 1))
    assert not p.contains(None)  # an undated record is in no month


def test_all_covers_every_record_dated_or_not() -> None:
    assert Period.parse("all") is Period.ALL and Period.parse("ALL") is Period.ALL
    assert Period.ALL.key == "all" and Period.ALL.is_all and Period.ALL.label == "all dates"
    assert Period.ALL.contains(None) and Period.ALL.contains(dt.date(1999, 1, 1))
    for no_answer in (Period.ALL.months, Period.ALL.previous, Period.ALL.bounds):
        with pytest.raises(PeriodError, match="every record"):
            no_answer()
    with pytest.raises(PeriodError):
        _ = Period.ALL.start


@pytest.mark.parametrize(("key", "label"), [
    ("2026-11", "November 2026"),
    ("2026-09..2026-11", "September–November 2026"),
    ("2025-11..2026-01", "November 2025–January 2026"),
    ("2026", "2026"),
    ("all", "all dates"),
])
def test_labels_for_readers(key: str, label: str) -> None:
    assert Period.parse(key).label == label


def test_months_by_index_and_by_day() -> None:
    assert month_index("2026-09") == 2026 * 12 + 8 and month_key(2026 * 12 + 8) == "2026-09"
    assert month_key(month_index("2025-12") + 1) == "2026-01"
    assert month_of(dt.date(2026, 9, 30)) == "2026-09"
    assert Period.month("2026-09") == Period.month(month_index("2026-09")) == Period.parse("2026-09")
