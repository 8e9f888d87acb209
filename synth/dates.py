"""A source's date, read as the source meant it.

Accepted forms: ISO dates and datetimes (`2021-09-30`, `2021-09-30T14:05:00Z`); numeric day-first or
month-first dates with `/`, `-` or `.`, a four- or two-digit year and an optional time (`30/09/2021`,
`9/30/21 14:05`); dates with a month name, in English, full or abbreviated, any letter case, with an optional
weekday and time (`30 Sep 2021`, `30-Sep-21`, `Thu, 30th of September 2021`, `Sep 30, 2021`); Unix epoch
seconds or milliseconds; and, when that is all a source has, a bare year (`2021`), year-month (`2021-09`) or
month and year (`September 2021`, `Sep-2021`: a four-digit year only, since `Sep 21` may be a day).

Two-digit years: `21` is the year ending in 21 nearest to the current year, the earlier one on a tie (in 2026:
`21` -> 2021, `99` -> 1999, `76` -> 1976, `30` -> 2030, which is in the future and so rejected, not read as
1930).

Day-first or month-first: a row whose numbers can only be read one way (`31/05/2022`, `5/31/2022`) decides
itself. A row that reads both ways (`01/02/2022`, `01/02/22`) is `Ambiguous` here; ingest settles it by the
file's majority of unambiguous rows, or by `--date-order dmy|mdy` (`SYNTH_DATE_ORDER`) when the file has none.
The year is always the last number, so a two-digit year never decides the order (`01/02/22` stays
ambiguous; `22/01/02` is 22 January 2002). A month name decides itself and is no vote for the file's majority.

Precision: a record keeps the precision its source gave, `day`, `month` or `year`. The stored date is the
first day of that span (`2021-09` -> 2021-09-01, `2021` -> 2021-01-01) and `date_precision` says how much of
it is real. A period holds a record only when it holds the record's whole span (`Period.contains`): `2021`
and `all` hold a year-only record, `2021-01` does not, so a year-only record is never counted as January.

Dates more than `FUTURE_TOLERANCE` after today are rejected: a clock or a typo, never feedback from the future.
Error messages describe the expected form and never repeat the value (a date column can hold anything).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal

Precision = Literal["day", "month", "year"]
DateOrder = Literal["dmy", "mdy"]
PRECISIONS: tuple[Precision, ...] = ("day", "month", "year")
FUTURE_TOLERANCE = dt.timedelta(days=2)
EXPECTED = ("expected YYYY-MM-DD, DD/MM/YYYY, MM/DD/YYYY (or YY), a datetime, 30 Sep 2021, Sep 30, 2021, "
            "September 2021, YYYY-MM or YYYY")

_TIME = r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp]\.?[Mm]\.?)?)?"
_NUMERIC = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})" + _TIME)
_MONTH_NAME = (r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
               r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
_DAY_OF_MONTH = r"(\d{1,2})(?:st|nd|rd|th)?"
_DAY_MONTH_YEAR = re.compile(_WEEKDAY + _DAY_OF_MONTH + r"(?:\s+(?:of\s+)?|-)" + _MONTH_NAME
                             + r"(?:,?\s+|-)(\d{4}|\d{2})" + _TIME, re.IGNORECASE)  # 30 Sep 2021, 30-Sep-21
_MONTH_DAY_YEAR = re.compile(_WEEKDAY + _MONTH_NAME + r"\s+" + _DAY_OF_MONTH + r",?\s+(\d{4}|\d{2})" + _TIME,
                             re.IGNORECASE)  # Sep 30, 2021
_MONTH_YEAR = re.compile(_MONTH_NAME + r"(?:,?\s+|-)(\d{4})", re.IGNORECASE)  # September 2021, Sep-2021
_EPOCH = re.compile(r"\d{10}(?:\d{3})?")
_YEAR = re.compile(r"\d{4}")
_YEAR_MONTH = re.compile(r"(\d{4})[-/](\d{1,2})")


class DateError(ValueError):
    """A date that cannot be read or is not allowed; the message never quotes the value."""


@dataclass(frozen=True)
class SourceDate:
    date: dt.date  # the first day of the span
    precision: Precision = "day"
    order: DateOrder | None = None  # the order a numeric date revealed (31/05 -> dmy), for the file's majority

    def span_end(self) -> dt.date:
        return span_end(self.date, self.precision)


@dataclass(frozen=True)
class Ambiguous:
    """A numeric date that reads both ways (`01/02/2022`)."""

    dmy: dt.date
    mdy: dt.date

    def read(self, order: DateOrder) -> dt.date:
        return self.dmy if order == "dmy" else self.mdy


def span_end(start: dt.date, precision: str) -> dt.date:
    """The last day of the span a date of `precision` starting at `start` covers."""
    if precision == "year":
        return dt.date(start.year, 12, 31)
    if precision == "month":
        nxt = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
        return nxt - dt.timedelta(days=1)
    return start


def check_not_future(date: dt.date, today: dt.date) -> dt.date:
    if date > today + FUTURE_TOLERANCE:
        raise DateError(f"date is in the future (more than {FUTURE_TOLERANCE.days} days after today)")
    return date


def _day(year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise DateError(f"not a calendar date ({EXPECTED})") from None


def _year(digits: str, today: dt.date) -> int:
    """A four-digit year as written; a two-digit one as the nearest year ending in those digits, the earlier
    on a tie (in 2026: 21 -> 2021, 76 -> 1976, 75 -> 2075)."""
    if len(digits) == 4:
        return int(digits)
    year = today.year - today.year % 100 + int(digits)
    return min((year - 100, year, year + 100), key=lambda y: (abs(y - today.year), y))


def _month(name: str) -> int:
    return _MONTHS.index(name[:3].lower()) + 1


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _named_month(s: str, today: dt.date) -> SourceDate | None:
    """A date written with a month name, or None if `s` is none."""
    if m := _DAY_MONTH_YEAR.fullmatch(s):
        day, month, year = int(m[1]), _month(m[2]), _year(m[3], today)
    elif m := _MONTH_DAY_YEAR.fullmatch(s):
        day, month, year = int(m[2]), _month(m[1]), _year(m[3], today)
    elif m := _MONTH_YEAR.fullmatch(s):
        return SourceDate(check_not_future(_day(int(m[2]), _month(m[1]), 1), today), "month")
    else:
        return None
    return SourceDate(check_not_future(_day(year, month, day), today))


def read_date(value: Any, today: dt.date | None = None) -> SourceDate | Ambiguous:
    """One source date. Raises DateError (without the value) for anything unreadable or in the future."""
    today = today or dt.datetime.now(dt.UTC).date()
    s = str(value).strip()
    if m := _NUMERIC.fullmatch(s):
        a, b, year = int(m[1]), int(m[3]), _year(m[4], today)
        if a > 12 and b > 12:
            raise DateError(f"not a date: neither number is a month ({EXPECTED})")
        if a > 12 or b > 12 or a == b:
            order: DateOrder | None = None if a == b else ("dmy" if a > 12 else "mdy")
            d, mo = (a, b) if a > 12 or a == b else (b, a)
            return SourceDate(check_not_future(_day(year, mo, d), today), "day", order)
        dmy, mdy = _day(year, b, a), _day(year, a, b)
        check_not_future(min(dmy, mdy), today)
        return Ambiguous(dmy, mdy)
    if _EPOCH.fullmatch(s):
        try:
            when = dt.datetime.fromtimestamp(int(s) / (1000 if len(s) == 13 else 1), dt.UTC).date()
        except (OverflowError, OSError, ValueError):
            raise DateError(f"not a date: epoch out of range ({EXPECTED})") from None
        return SourceDate(check_not_future(when, today))
    if _YEAR.fullmatch(s):
        return SourceDate(check_not_future(_day(int(s), 1, 1), today), "year")
    if m := _YEAR_MONTH.fullmatch(s):
        if not 1 <= int(m[2]) <= 12:
            raise DateError(f"not a date: month out of range ({EXPECTED})")
        return SourceDate(check_not_future(_day(int(m[1]), int(m[2]), 1), today), "month")
    if named := _named_month(s, today):
        return named
    try:
        day = dt.date.fromisoformat(s)
    except ValueError:
        try:
            day = dt.datetime.fromisoformat(s.replace("Z", "+00:00")).date()
        except ValueError:
            raise DateError(f"not a date ({EXPECTED})") from None
    return SourceDate(check_not_future(day, today))


def parse_date(value: Any) -> dt.date:
    """The first day of a source date that does not depend on the day/month order (US m/d/yyyy is read
    month-first when it reads both ways), for callers that need a single date from one value."""
    got = read_date(value)
    return got.mdy if isinstance(got, Ambiguous) else got.date
