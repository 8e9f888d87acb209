"""One `Period`: which records a figure, a summary or an answer is about.

    Period.parse("2026-11")            one month
    Period.parse("2026-09..2026-11")   an inclusive range of months
    Period.parse("2026")               a whole year (a year-only source's date)
    Period.parse("all") == Period.ALL  every record, dated or not

`key` is the machine form that JSON carries and `parse` reads back ("2026-11", "2026-09..2026-11", "2026",
"all"); `label` is what a reader sees ("November 2026", "September–November 2026", "2026", "all dates").
A range of one month is that month ("2026-11..2026-11" is "2026-11"). Months are counted by index
(year * 12 + month - 1) so that they order and subtract; `month_index` and `month_key` convert.

The previous period has the same number of months and ends the month before the period starts: previous of
"2026-01" is "2025-12", of "2026-04..2026-06" it is "2026-01..2026-03", of "2026" it is "2025". "all" has
no months and no previous period.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import ClassVar

from synth.dates import span_end

MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
ALL_KEY = "all"
_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
_YEAR = re.compile(r"\d{4}")


class PeriodError(ValueError):
    """A period that cannot be read, or an operation "all records" has no answer for."""


def month_index(month: str) -> int:
    """ "2026-09" -> 2026 * 12 + 8: an index that orders and subtracts."""
    m = _MONTH.fullmatch(month.strip()) if isinstance(month, str) else None
    if not m:
        raise PeriodError(f"not a month (YYYY-MM): {month!r}")
    return int(m[1]) * 12 + int(m[2]) - 1


def month_key(index: int) -> str:
    """The month of an index: ``month_key(month_index("2026-09")) == "2026-09"``."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_of(day: dt.date) -> str:
    """ "2026-09" for any day of September 2026."""
    return f"{day.year:04d}-{day.month:02d}"


def month_label(index: int, *, year: bool = True) -> str:
    """ "November 2026" (or "November" without the year)."""
    name = MONTH_NAMES[index % 12]
    return f"{name} {index // 12}" if year else name


@dataclass(frozen=True)
class Period:
    """First and last month (indices, inclusive), or neither for every record. `whole_year` marks a period
    read as a year ("2026"): same months as "2026-01..2026-12", keyed and labelled as the year."""

    first: int | None = None
    last: int | None = None
    whole_year: bool = False

    ALL: ClassVar[Period]

    def __post_init__(self) -> None:
        if (self.first is None) != (self.last is None):
            raise PeriodError("a period has both a first and a last month, or neither (all records)")
        if self.first is not None and self.last is not None and self.last < self.first:
            raise PeriodError(f"period ends before it starts: {month_key(self.first)}..{month_key(self.last)}")
        if self.whole_year and (self.first is None or self.first % 12 or self.last != self.first + 11):
            raise PeriodError("a whole-year period runs from January to December of one year")

    # -- making one -------------------------------------------------------------------------------------
    @classmethod
    def parse(cls, text: str) -> Period:
        """ "2026-11", "2026-09..2026-11", "2026" or "all"; anything else raises PeriodError naming it."""
        if not isinstance(text, str):
            raise PeriodError(f"not a period: {text!r}")
        value = text.strip()
        if value.lower() == ALL_KEY:
            return cls.ALL
        if _YEAR.fullmatch(value):
            return cls.year(int(value))
        first, sep, last = value.partition("..")
        try:
            lo, hi = month_index(first), month_index(last if sep else first)
        except PeriodError:
            raise PeriodError(f"not a period (YYYY-MM, YYYY-MM..YYYY-MM, YYYY or all): {text!r}") from None
        if hi < lo:
            raise PeriodError(f"period ends before it starts: {text!r}")
        return cls(lo, hi)

    @classmethod
    def month(cls, month: str | int) -> Period:
        """One month, by key ("2026-11") or index."""
        index = month if isinstance(month, int) else month_index(month)
        return cls(index, index)

    @classmethod
    def months_from(cls, first: int, last: int) -> Period:
        """The months from index `first` to `last`, inclusive, in either order."""
        lo, hi = sorted((first, last))
        return cls(lo, hi)

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(year * 12, year * 12 + 11, whole_year=True)

    # -- what it is -------------------------------------------------------------------------------------
    @property
    def is_all(self) -> bool:
        return self.first is None

    @property
    def key(self) -> str:
        """The machine form: "2026-11", "2026-09..2026-11", "2026" or "all"."""
        lo, hi = self.first, self.last
        if lo is None or hi is None:
            return ALL_KEY
        if self.whole_year:
            return str(lo // 12)
        return month_key(lo) if lo == hi else f"{month_key(lo)}..{month_key(hi)}"

    @property
    def label(self) -> str:
        """What a reader sees: "November 2026", "September–November 2026", "November 2025–January 2026",
        "2026", "all dates"."""
        lo, hi = self.first, self.last
        if lo is None or hi is None:
            return "all dates"
        if self.whole_year:
            return str(lo // 12)
        if lo == hi:
            return month_label(lo)
        return f"{month_label(lo, year=lo // 12 != hi // 12)}–{month_label(hi)}"

    def __str__(self) -> str:
        return self.key

    def bounds(self) -> tuple[int, int]:
        """(first, last) month index, inclusive; "all" has none."""
        if self.first is None or self.last is None:
            raise PeriodError("'all' covers every record, dated or not: it has no months, dates or previous period")
        return self.first, self.last

    @property
    def start(self) -> dt.date:
        """First day of the first month."""
        lo, _ = self.bounds()
        return dt.date(lo // 12, lo % 12 + 1, 1)

    @property
    def end(self) -> dt.date:
        """Last day of the last month."""
        _, hi = self.bounds()
        return dt.date((hi + 1) // 12, (hi + 1) % 12 + 1, 1) - dt.timedelta(days=1)

    def __len__(self) -> int:
        lo, hi = self.bounds()
        return hi - lo + 1

    def months(self) -> list[str]:
        """Its months, oldest first: ["2026-09", "2026-10", "2026-11"]."""
        lo, hi = self.bounds()
        return [month_key(i) for i in range(lo, hi + 1)]

    def previous(self) -> Period:
        """The period of the same length that ends the month before this one starts."""
        lo, hi = self.bounds()
        return Period(2 * lo - hi - 1, lo - 1, whole_year=self.whole_year)

    def contains(self, day: dt.date | None, precision: str = "day") -> bool:
        """Whether a record dated `day` (None: undated) is in the period. "all" holds every record. A record
        whose source gave only a month or a year (`precision`, see synth/dates.py) is in the period only when
        its whole month or year is: "2026" holds a year-only 2026 record, "2026-01" does not."""
        if self.is_all:
            return True
        if day is None:
            return False
        last = day if precision == "day" else span_end(day, precision)
        return self.start <= day and last <= self.end


Period.ALL = Period()
