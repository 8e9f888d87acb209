"""Periods in plain language, resolved against the latest month of the data (never the wall clock):
"since September", "in October", "Sep-Nov", "between August and October", "last month", "last 3 months",
"this year", "2026-10". The result is the key of a `synth.period.Period` ("YYYY-MM" or "YYYY-MM..YYYY-MM").

"last month", "this month" and "latest month" all mean the latest month that has records: feedback is
reported on the month just closed, and the coverage line of every answer names the months used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from synth.period import MONTH_NAMES, Period, month_index

_MONTHS = tuple(name[:3].lower() for name in MONTH_NAMES)
_MONTH = (r"(?P<{g}>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?(?:\s+(?P<{g}y>\d{{4}}))?")
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
_RANGE = re.compile(r"\b(?:between\s+|from\s+)?" + _MONTH.format(g="a") + r"\s*(?:-|–|to|through|thru|until|and)\s*"
                    + _MONTH.format(g="b") + r"\b", re.IGNORECASE)
_SINCE = re.compile(r"\b(?P<op>since|from|after|starting(?: in)?|before|until|till|up to)\s+"
                    + _MONTH.format(g="a") + r"\b", re.IGNORECASE)
_SINGLE = re.compile(r"\b(?P<prep>in|during|for|of|on|over)?\s*" + _MONTH.format(g="a") + r"\b", re.IGNORECASE)
_ISO_RANGE = re.compile(r"\b(?:between\s+|from\s+)?(\d{4}-(?:0[1-9]|1[0-2]))\s*(?:\.\.|-|–|to|through|thru|until|and)"
                        r"\s*(\d{4}-(?:0[1-9]|1[0-2]))\b", re.IGNORECASE)
_ISO = re.compile(r"\b(\d{4}-(?:0[1-9]|1[0-2]))\b")
_LAST_N = re.compile(r"\b(?:last|past|previous|recent)\s+(?P<n>\d{1,2}|" + "|".join(_NUMBER_WORDS)
                     + r")\s+months?\b", re.IGNORECASE)
_LATEST = re.compile(r"\b(?:last|this|latest|most recent|current|past)\s+month\b", re.IGNORECASE)
_PREVIOUS = re.compile(r"\b(?:previous|prior)\s+month\b|\bmonth before\b", re.IGNORECASE)
_QUARTER = re.compile(r"\b(?:last|past|this)\s+quarter\b", re.IGNORECASE)
_THIS_YEAR = re.compile(r"\b(?:this year|so far this year|year to date|ytd)\b", re.IGNORECASE)
_LAST_YEAR = re.compile(r"\blast year\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(?:in|during)\s+(20\d\d)\b", re.IGNORECASE)
_NAME_NEXT = re.compile(r"\s+[A-Z][a-z]")  # a capitalised word next: the month word is part of a name


@dataclass(frozen=True)
class PeriodMatch:
    period: str
    text: str  # the words that said it
    span: tuple[int, int]


def _month_of(token: str, year: str | None, latest: int) -> int:
    """A month named in a question: with its year, else its latest occurrence not after the latest month."""
    m = _MONTHS.index(token.lower()[:3])
    if year:
        return int(year) * 12 + m
    candidate = (latest // 12) * 12 + m
    return candidate if candidate <= latest else candidate - 12


def _name(lo: int, hi: int) -> str:
    return Period.months_from(lo, hi).key


def _is_month_word(match: re.Match[str], question: str) -> bool:
    """'may' is a month only when written 'May' or next to a year or a period preposition ("since may");
    an abbreviation ('Mar', 'Oct') only next to a year or a preposition, and not inside a name ('the Mar Vista
    park', 'in Mar Vista')."""
    token = match.group("a")
    dated = bool(match.group("ay"))
    context = dated or bool(match.groupdict().get("prep") or match.groupdict().get("op"))
    if token.lower() == "may":
        return token == "May" or context
    if len(token) > 4 or token.lower() in ("june", "july"):
        return True
    in_name = not dated and token[0].isupper() and bool(_NAME_NEXT.match(question, match.end()))
    return context and not in_name


def parse_period(question: str, latest_month: str | None, first_month: str | None = None) -> PeriodMatch | None:
    """The period a question names, or None. `latest_month` anchors relative and year-less dates."""
    if latest_month is None:
        return None
    latest = month_index(latest_month)
    first = month_index(first_month) if first_month else latest - 11
    if m := _ISO_RANGE.search(question):
        lo, hi = sorted((month_index(m[1]), month_index(m[2])))
        return PeriodMatch(_name(lo, hi), m[0], m.span())
    if m := _RANGE.search(question):
        hi = _month_of(m["b"], m["by"], latest)
        lo = _month_of(m["a"], m["ay"] or (str(hi // 12) if m["by"] else None), hi)
        if lo > hi and not m["ay"]:  # "between November and February 2027": the November before
            lo -= 12
        lo, hi = sorted((lo, hi))
        return PeriodMatch(_name(lo, hi), m[0], m.span())
    if m := _LAST_N.search(question):
        n = int(m["n"]) if m["n"].isdigit() else _NUMBER_WORDS[m["n"].lower()]
        return PeriodMatch(_name(latest - max(n, 1) + 1, latest), m[0], m.span())
    if m := _QUARTER.search(question):
        return PeriodMatch(_name(latest - 2, latest), m[0], m.span())
    if m := _PREVIOUS.search(question):
        return PeriodMatch(_name(latest - 1, latest - 1), m[0], m.span())
    if m := _LATEST.search(question):
        return PeriodMatch(_name(latest, latest), m[0], m.span())
    if m := _THIS_YEAR.search(question):
        return PeriodMatch(_name((latest // 12) * 12, latest), m[0], m.span())
    if m := _LAST_YEAR.search(question):
        year = latest // 12 - 1
        return PeriodMatch(_name(year * 12, year * 12 + 11), m[0], m.span())
    if (m := _SINCE.search(question)) and _is_month_word(m, question):
        month = _month_of(m["a"], m["ay"], latest)
        op = m["op"].lower()
        if op in ("before", "until", "till", "up to"):
            hi = month - 1 if op == "before" else month
            return PeriodMatch(_name(min(first, hi), hi), m[0], m.span())
        lo = month + 1 if op == "after" else month
        return PeriodMatch(_name(lo, max(lo, latest)), m[0], m.span())
    if m := _ISO.search(question):
        n = month_index(m[1])
        return PeriodMatch(_name(n, n), m[0], m.span())
    for m in _SINGLE.finditer(question):
        if _is_month_word(m, question):
            month = _month_of(m["a"], m["ay"], latest)
            return PeriodMatch(_name(month, month), m[0].strip(), m.span())
    if m := _YEAR.search(question):
        year = int(m[1])
        return PeriodMatch(_name(year * 12, year * 12 + 11), m[0], m.span())
    return None
