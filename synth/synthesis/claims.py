"""What one sentence of a narrative states, read against its fact sheet: the numbers (in the canonical form
of synth/synthesis/display.py), the dates, the themes it names and the words that are not frame words.
The rules are those of synth/synthesis/grounding.py (rules 2 to 4); `check_narrative` applies them to what
`SheetReader.read` finds, and `read_claims` gives the same reading to the evaluations.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from synth.period import MONTH_NAMES, Period, PeriodError
from synth.synthesis.display import numbers_by_owner, sheet_themes
from synth.synthesis.models import FactSheet, ThemeFacts

ThemeKeywords = Mapping[str, Sequence[str]]  # theme id -> keywords (Theme.keywords of the taxonomy)


_MONTHS = {form: number for number, name in enumerate(MONTH_NAMES, start=1)
           for form in (name.lower(), name[:3].lower())} | {"sept": 9}  # month words and abbreviations
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_ISO_DATE = re.compile(r"(?<!\d)(?P<year>\d{4})-(?P<month>\d{2})(?:-(?P<day>\d{2}))?(?!\d)")
_MONTH_DAY = re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<year>\d{{4}})\b)?")
_DAY_MONTH = re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:,?\s+(?P<year>\d{{4}})\b)?")
_MONTH_YEAR = re.compile(rf"\b{_MONTH}\s+(?P<year>\d{{4}})\b")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1000, "dozen": 12}
_WORD = "|".join(sorted([*_UNITS, *_SCALES], key=len, reverse=True))
_WORD_RUN = re.compile(rf"\b(?:{_WORD})(?:[\s-]+(?:{_WORD}))*\b")
_DIGITS = re.compile(r"(?<!\d)\d+(?:,\d{3})*(?:\.\d+)?")
_HALF = re.compile(r"\bhalf\b")
_SUFFIX = re.compile(
    r"[\s-]*(?:(?P<points>percentage[\s-]+points?\b|points?\b|pts?\b|pp\b)|(?P<percent>%|percent\b|per\s*cent\b))"
)
_IDIOMS = re.compile(  # "one" that refers to a cited record or is an idiom, not a count
    r"\bno[\s-]one\b|\bone\s+(?:another|of)\b"
    r"|\bone\s+(?:resident|person|participant|attendee|commenter|neighbou?r|speaker|caller|respondent)\b"
)
_VAGUE = re.compile(r"\b(?:dozens|hundreds|thousands)\b")
_RATIO = re.compile(
    r"\b(?:twice|thrice|doubled?|doubling|tripled?|tripling|trebled|quadrupled|halved|halving"
    r"|(?:two|three|four|five|ten|\d+)[\s-]?fold)\b"
)
# Words an uncited opening may use besides the district's name and dates of the period (rule 3).
_FRAME_WORDS = frozenset({
    "a", "an", "the", "this", "these", "here", "is", "are", "was", "were", "will", "be",
    "summary", "summarizes", "summarises", "summarize", "report", "reports", "overview", "sums", "up", "covers",
    "cover", "covering", "describes", "presents", "brings", "together", "looks", "look", "at",
    "of", "for", "from", "in", "on", "during", "and", "to", "through", "by", "with", "about", "across", "within",
    "as", "feedback", "input", "comments", "comment", "records", "record", "notes", "meetings", "meeting",
    "engagement", "listening", "sessions", "community", "public", "resident", "residents", "residents'",
    "people", "police", "department", "city", "whole", "district", "area", "neighborhood", "neighbourhood",
    "without", "period", "month", "months", "what", "said", "shared", "heard", "told", "us", "we", "our",
    "gathered", "collected", "received", "following", "below", "all", "dates",
})  # fmt: skip
_WORDS = re.compile(r"[a-z]+(?:'[a-z]*)?")
_MIN_QUOTED_WORDS = 3  # shorter quoted spans ("52") could smuggle a number in
_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”")


def _normalize(text: str) -> str:
    return text.lower().replace("&", " and ").replace("’", "'")


def _phrase_pattern(phrase: str) -> re.Pattern[str] | None:
    """Whole words of `phrase`, any separators between them, optional plural on the last word."""
    words = re.findall(r"[a-z0-9]+", _normalize(phrase))
    if not words:
        return None
    body = r"[^a-z0-9]+".join(re.escape(w) for w in words)
    return re.compile(rf"(?<![a-z0-9]){body}(?:e?s)?(?![a-z0-9])")


def _label_phrases(label: str) -> list[str]:
    """The label and, for a label listing subjects ("Traffic & speeding"), each subject."""
    parts = re.split(r"\s*(?:&|\band\b|/|,|;|\+)\s*", label)
    return [label, *(p for p in parts if p.strip() and p.strip() != label.strip())]


def _squash(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9%']+", _normalize(text)))


@dataclass(frozen=True)
class StatedNumber:
    canonical: str  # "40", "42%", "12 points", or the text as written when it cannot be valid
    written: str


@dataclass
class Reading:
    """What one sentence states: the themes it names, its numbers, and numbers that can never be valid."""

    themes: set[str] = field(default_factory=set)
    numbers: list[StatedNumber] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)  # messages: dates outside the period, ratios, ...
    claim_words: list[str] = field(default_factory=list)  # words that are not frame words (rule 3)

    @property
    def states_numbers(self) -> bool:
        return bool(self.numbers or self.invalid)


@dataclass
class SheetReader:
    """Everything about one fact sheet the per-sentence checks need, built once per narrative."""

    sheet: FactSheet
    themes: dict[str, ThemeFacts]
    theme_patterns: dict[str, list[re.Pattern[str]]]
    name_patterns: list[re.Pattern[str]]  # district names
    sheet_level: set[str]
    per_theme: dict[str, set[str]]
    quotes: dict[str, list[str]]  # record id -> its quote texts in this sheet (squashed)
    years: set[int]
    months: set[tuple[int, int]]

    @classmethod
    def build(cls, sheet: FactSheet, theme_keywords: ThemeKeywords | None = None) -> SheetReader:
        themes = sheet_themes(sheet)
        keywords = theme_keywords or {}
        patterns = {
            tid: [p for p in map(_phrase_pattern, [*_label_phrases(t.label), *keywords.get(tid, ())]) if p]
            for tid, t in themes.items()
        }
        names = [p for p in map(_phrase_pattern, [sheet.district, *sheet.leading_theme_by_district]) if p]
        quotes: dict[str, list[str]] = {}
        for t in themes.values():
            for q in t.quotes:
                quotes.setdefault(q.record_id, []).append(_squash(q.text))
        months = _period_months(sheet.period) | _period_months(sheet.previous_period)
        sheet_level, per_theme = numbers_by_owner(sheet)
        return cls(
            sheet=sheet,
            themes=themes,
            theme_patterns=patterns,
            name_patterns=names,
            sheet_level=sheet_level,
            per_theme=per_theme,
            quotes=quotes,
            years={y for y, _ in months},
            months=months,
        )

    def allowed_numbers(self, theme_ids: set[str]) -> set[str]:
        scopes = theme_ids or set(self.per_theme)
        return self.sheet_level.union(*(self.per_theme[t] for t in scopes))

    def read(self, text: str, cited: Iterable[str]) -> Reading:
        reading = Reading(themes=self.named_themes(text))
        rest = _normalize(self._drop_resident_words(text, cited))
        for p in [*self.name_patterns, *(p for ps in self.theme_patterns.values() for p in ps)]:
            rest = p.sub(" ", rest)
        rest = self._drop_dates(rest, reading)
        reading.claim_words = [w for w in _WORDS.findall(rest) if w not in _FRAME_WORDS and w not in _MONTHS]
        rest = _drop_invalid(rest, reading)
        rest = _read_digits(rest, reading)
        _read_words(rest, reading)
        return reading

    def named_themes(self, text: str) -> set[str]:
        norm = _normalize(text)
        for p in self.name_patterns:  # "Bowling Green" names the district, not a theme keyed "green"
            norm = p.sub(" ", norm)
        return {tid for tid, ps in self.theme_patterns.items() if any(p.search(norm) for p in ps)}

    def _drop_resident_words(self, text: str, cited: Iterable[str]) -> str:
        """Blank out double-quoted spans of 3+ words found verbatim in a quote of a cited record."""
        sources = [f" {q} " for rid in cited for q in self.quotes.get(rid, [])]

        def blank(m: re.Match[str]) -> str:
            span = _squash(m.group(1) or m.group(2) or "")
            verbatim = len(span.split()) >= _MIN_QUOTED_WORDS and any(f" {span} " in q for q in sources)
            return " " if verbatim else m.group(0)

        return _QUOTED.sub(blank, text)

    def _drop_dates(self, text: str, reading: Reading) -> str:
        def check(m: re.Match[str]) -> str:
            if not self._date_ok(m):
                reading.invalid.append(f"the date '{m.group(0).strip()}' is outside {self._period_words()}")
            return " "

        for pattern in (_ISO_DATE, _MONTH_DAY, _DAY_MONTH, _MONTH_YEAR):
            text = pattern.sub(check, text)
        return _YEAR.sub(lambda m: " " if int(m.group(0)) in self.years else m.group(0), text)

    def _date_ok(self, m: re.Match[str]) -> bool:
        groups = m.groupdict()
        month_text = groups["month"]
        month = int(month_text) if month_text.isdigit() else _MONTHS[month_text]
        year = int(groups["year"]) if groups.get("year") else None
        if groups.get("day") is None:
            return year is not None and (year, month) in self.months
        day = int(groups["day"])
        start, end = self.sheet.period_start, self.sheet.period_end
        if start is None or end is None:  # "all": no dates to check a stated day against
            return False
        for y in [year] if year is not None else range(start.year, end.year + 1):
            try:
                if start <= dt.date(y, month, day) <= end:
                    return True
            except ValueError:  # no such day in that year
                continue
        return False

    def _period_words(self) -> str:
        previous = f" and the previous period ({self.sheet.previous_period})" if self.sheet.previous_period else ""
        return f"the period ({self.sheet.period}){previous}"


def _months_between(start: dt.date, end: dt.date) -> set[tuple[int, int]]:
    months = set()
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        months.add((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def _period_months(period: str | None) -> set[tuple[int, int]]:
    """Months of a period such as "2026-10" or "2026-06..2026-11" (empty if unreadable)."""
    try:
        span = Period.parse(period or "")
        return set() if span.is_all else _months_between(span.start, span.end)
    except PeriodError:
        return set()


def _drop_invalid(text: str, reading: Reading) -> str:
    for m in _RATIO.finditer(text):
        reading.invalid.append(f"'{m.group(0)}' is a ratio computed from the facts; state the given numbers")
    for m in _VAGUE.finditer(text):
        reading.invalid.append(f"'{m.group(0)}' is a vague amount; state the exact number the facts give")
    text = _RATIO.sub(" ", _VAGUE.sub(" ", text))
    return _IDIOMS.sub(" ", text)


def _with_suffix(text: str, end: int, value: int) -> tuple[str, int]:
    """Canonical form of `value` given what follows it ("%", "points", ...) and where the number ends."""
    m = _SUFFIX.match(text, end)
    if m is None:
        return str(value), end
    if m.group("points"):
        return f"{value} points", m.end()
    return f"{value}%", m.end()


def _read_digits(text: str, reading: Reading) -> str:
    out, last = [], 0
    for m in _DIGITS.finditer(text):
        if m.start() < last:
            continue
        raw = m.group(0).replace(",", "")
        if "." in raw:
            canonical, end = m.group(0), m.end()
        else:
            canonical, end = _with_suffix(text, m.end(), int(raw))
        reading.numbers.append(StatedNumber(canonical, text[m.start() : end].strip()))
        out.append(text[last : m.start()] + " ")
        last = end
    out.append(text[last:])
    return "".join(out)


def _word_value(words: list[str]) -> int:
    total = current = 0
    for w in words:
        if w in _UNITS:
            current += _UNITS[w]
        elif w == "thousand":
            total, current = total + max(current, 1) * 1000, 0
        else:  # hundred, dozen
            current = max(current, 1) * _SCALES[w]
    return total + current


def _read_words(text: str, reading: Reading) -> None:
    for m in _WORD_RUN.finditer(text):
        canonical, end = _with_suffix(text, m.end(), _word_value(re.split(r"[\s-]+", m.group(0))))
        reading.numbers.append(StatedNumber(canonical, text[m.start() : end].strip()))
    for m in _HALF.finditer(text):
        reading.numbers.append(StatedNumber("50%", m.group(0)))



@dataclass(frozen=True)
class SentenceClaims:
    """What one sentence claims against a fact sheet, read as `check_narrative` reads it."""

    numbers: tuple[str, ...]  # the numbers it states, canonical ("40", "42%", "12 points")
    invalid: tuple[str, ...]  # numbers that can never be valid: dates outside the period, ratios, vague amounts
    themes: frozenset[str]  # ids of the sheet's themes it names (rule 4)

    @property
    def stated(self) -> int:
        """Numbers stated, valid or not."""
        return len(self.numbers) + len(self.invalid)


def read_claims(
    sentence_text: str,
    sheet: FactSheet,
    theme_keywords: ThemeKeywords | None = None,
    cited: Iterable[str] = (),
) -> SentenceClaims:
    """The numbers a sentence states and the themes it names, by the module's rules (2 and 4); `cited` are the
    record ids it cites (a verbatim quote of theirs is a resident's words, not a claim)."""
    reading = SheetReader.build(sheet, theme_keywords).read(sentence_text, cited)
    return SentenceClaims(numbers=tuple(n.canonical for n in reading.numbers), invalid=tuple(reading.invalid),
                          themes=frozenset(reading.themes))
