"""Grounding checks: a narrative may say only what its fact sheet and the records it cites support.

Pure functions, no I/O. `check_narrative` returns a list of issues (empty = grounded). The rules:

1. **Empty** (`empty`): a narrative without sentences, or a sentence without text.
2. **Numbers** (`unknown_number`): every number a sentence states must be one the fact sheet holds, as
   `facts.display_forms` displays it (`sheet_numbers` lists them in canonical form):
   - counts ("40"; "1,234" reads as 1234): records, meetings, residents reached, themes raised, highlights,
     records by kind, record sentiment counts; per theme mentions, sentiment counts, previous mentions;
   - whole percentages ("42%", "42 percent", "42 per cent"): per theme share, previous share, dominance;
   - changes in percentage points, sign ignored ("12 points", "12 percentage points", "12-point", "12 pp"):
     per theme the difference of the displayed shares;
   - decimals: only a theme's net sentiment as displayed, sign ignored ("0.35").
   A count must match a count, a percent a percent, points points. Numbers written in words count too:
   zero..twenty, the tens, "hundred", "thousand", "dozen" (12) and "half" (50%); "no one", "one of",
   "one another" and "one resident" (person, participant, ...: a cited record) are not numbers. Vague
   amounts ("dozens", "hundreds") and ratios the model would have computed ("twice", "doubled", "halved",
   "threefold") are always rejected.
   When a sentence names themes (rule 4), its numbers must belong to those themes or to the sheet as a whole
   (records, meetings, residents reached, ...): a number of another theme is rejected. A sentence naming no
   theme may use any number of the sheet.
   Not numbers: dates within the period or the previous period ("2026", "November 2026", "2026-11",
   "November 30"; a year, month or day outside them is rejected), the sheet's district names ("District 2"),
   and theme labels and keywords ("911 response"). A double-quoted span of 3+ words found verbatim in a
   quote of a record the sentence cites is a resident's words, not a claim: its numbers are not checked.
3. **Citations** (`missing_citation`, `unknown_citation`, `foreign_citation`): every sentence cites at
   least one record id, except a first sentence that only frames the summary: no number, no theme, and no
   word besides the district's name, dates of the period and the frame words of `_FRAME_WORDS` ("This
   summary covers District 2 for November 2026." may go uncited; "District 2 has no problems." may not).
   Each cited id must be in the record index (`unknown_citation`); its record must belong to the sheet's
   district (any district for the "City-wide" sheet, no district for the "No district" sheet)
   (`foreign_citation`); and when the sentence names themes, each cited record must raise at least one of
   them (`foreign_citation`).
4. **Naming a theme**: a sentence names a theme of the sheet (`themes` or `highlights`) when it contains,
   as whole words, the theme's label, one of the subjects a label lists ("Traffic & speeding": "traffic",
   "speeding"), or one of its keywords (ThemeFacts carries none: callers pass the taxonomy's
   `Theme.keywords` as `theme_keywords`). Case-insensitive, "&" read as "and", any punctuation or spaces
   between words, an optional plural "s"/"es" on the last word.

Not checked: the direction of a change ("rose" vs "fell"), rankings ("the most raised"), vague quantifiers
("many", "most"), and the period of a cited record (the record index carries no dates).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field

from synth.synthesis.facts import CITY_WIDE, NO_DISTRICT, display_forms
from synth.synthesis.models import FactSheet, ThemeFacts

RecordIndex = Mapping[str, tuple[str | None, set[str]]]  # record id -> (district, theme ids it raises)
ThemeKeywords = Mapping[str, Sequence[str]]  # theme id -> keywords (Theme.keywords of the taxonomy)


class Citation(BaseModel):
    """A cited record and the theme of the sentence it supports (None when the sentence names no theme)."""

    record_id: str
    theme_id: str | None = None


class NarrativeSentence(BaseModel):
    text: str
    citations: list[str] = Field(default_factory=list)  # record ids


class Narrative(BaseModel):
    """What the LLM returns: sentences, each with the record ids it rests on."""

    sentences: list[NarrativeSentence]


IssueKind = Literal[
    "unknown_number", "missing_citation", "unknown_citation", "foreign_citation", "empty", "unparseable"
]


class GroundingIssue(BaseModel):
    """One broken rule. `sentence` is the index in `Narrative.sentences`, -1 for the narrative as a whole.

    `unparseable` is never produced by `check_narrative`: the narrative writer records with it a reply that
    is not a Narrative at all.
    """

    kind: IssueKind
    sentence: int
    detail: str


# --- display forms: facts.display_forms is the one source; here in the checks' canonical form ------------

_DATE_FORMS = {"period", "period_start", "period_end", "previous_period"}  # checked as dates, not numbers


def canonical_number(name: str, display: str) -> str | None:
    """The canonical form of display form `display` of number `name` (a `facts.display_forms` key):
    counts "40", percents "42%", changes "12 points" (unsigned), decimals unsigned ("+0.35" -> "0.35");
    None for the period's dates."""
    if name in _DATE_FORMS:
        return None
    if name.endswith("delta_points"):
        return f"{abs(int(display))} points"
    return display.lstrip("+-")


def theme_forms(forms: Mapping[str, str], theme_id: str) -> dict[str, str]:
    """One theme's display forms by short name: "mentions", "share", "delta_points", "sentiment.positive"."""
    prefix = f"themes.{theme_id}."
    return {k[len(prefix) :]: v for k, v in forms.items() if k.startswith(prefix)}


def _numbers_by_owner(sheet: FactSheet) -> tuple[set[str], dict[str, set[str]]]:
    """(numbers about the sheet as a whole, numbers about each theme), in canonical form."""
    forms = display_forms(sheet)
    per_theme: dict[str, set[str]] = {}
    claimed: set[str] = set()
    for tid in _sheet_themes(sheet):
        own = theme_forms(forms, tid)
        claimed |= {f"themes.{tid}.{k}" for k in own}
        per_theme[tid] = {c for k, v in own.items() if (c := canonical_number(k, v)) is not None}
    sheet_level = {c for k, v in forms.items() if k not in claimed and (c := canonical_number(k, v)) is not None}
    return sheet_level, per_theme


def sheet_numbers(sheet: FactSheet) -> set[str]:
    """Every number a narrative of this sheet may state, canonical: "40", "42%", "12 points", "0.35"."""
    sheet_level, per_theme = _numbers_by_owner(sheet)
    return sheet_level.union(*per_theme.values())


def _sheet_themes(sheet: FactSheet) -> dict[str, ThemeFacts]:
    themes: dict[str, ThemeFacts] = {}
    for theme in [*sheet.themes, *sheet.highlights]:
        themes.setdefault(theme.id, theme)
    return themes


# --- reading numbers, dates and theme names out of a sentence --------------------------------------------

_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
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
    "gathered", "collected", "received", "following", "below",
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
class _Number:
    canonical: str  # "40", "42%", "12 points", or the text as written when it cannot be valid
    written: str


@dataclass
class _Reading:
    """What one sentence states: the themes it names, its numbers, and numbers that can never be valid."""

    themes: set[str] = field(default_factory=set)
    numbers: list[_Number] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)  # messages: dates outside the period, ratios, ...
    claim_words: list[str] = field(default_factory=list)  # words that are not frame words (rule 3)

    @property
    def states_numbers(self) -> bool:
        return bool(self.numbers or self.invalid)


@dataclass
class _SheetContext:
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
    def build(cls, sheet: FactSheet, theme_keywords: ThemeKeywords | None = None) -> _SheetContext:
        themes = _sheet_themes(sheet)
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
        months = _months_between(sheet.period_start, sheet.period_end) | _period_months(sheet.previous_period)
        sheet_level, per_theme = _numbers_by_owner(sheet)
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

    def read(self, text: str, cited: Iterable[str]) -> _Reading:
        reading = _Reading(themes=self.named_themes(text))
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
        return {tid for tid, ps in self.theme_patterns.items() if any(p.search(norm) for p in ps)}

    def _drop_resident_words(self, text: str, cited: Iterable[str]) -> str:
        """Blank out double-quoted spans of 3+ words found verbatim in a quote of a cited record."""
        sources = [f" {q} " for rid in cited for q in self.quotes.get(rid, [])]

        def blank(m: re.Match[str]) -> str:
            span = _squash(m.group(1) or m.group(2) or "")
            verbatim = len(span.split()) >= _MIN_QUOTED_WORDS and any(f" {span} " in q for q in sources)
            return " " if verbatim else m.group(0)

        return _QUOTED.sub(blank, text)

    def _drop_dates(self, text: str, reading: _Reading) -> str:
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
    """Months of a period string such as "2026-10" or "2026-06..2026-11" (empty if unreadable)."""
    found = [(int(y), int(m)) for y, m in re.findall(r"(\d{4})-(\d{2})", period or "")]
    if not found or not all(1 <= m <= 12 for _, m in found):
        return set()
    return _months_between(dt.date(*min(found), 1), dt.date(*max(found), 1))


def _drop_invalid(text: str, reading: _Reading) -> str:
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


def _read_digits(text: str, reading: _Reading) -> str:
    out, last = [], 0
    for m in _DIGITS.finditer(text):
        if m.start() < last:
            continue
        raw = m.group(0).replace(",", "")
        if "." in raw:
            canonical, end = m.group(0), m.end()
        else:
            canonical, end = _with_suffix(text, m.end(), int(raw))
        reading.numbers.append(_Number(canonical, text[m.start() : end].strip()))
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


def _read_words(text: str, reading: _Reading) -> None:
    for m in _WORD_RUN.finditer(text):
        canonical, end = _with_suffix(text, m.end(), _word_value(re.split(r"[\s-]+", m.group(0))))
        reading.numbers.append(_Number(canonical, text[m.start() : end].strip()))
    for m in _HALF.finditer(text):
        reading.numbers.append(_Number("50%", m.group(0)))


# --- the checks -------------------------------------------------------------------------------------------


def check_narrative(
    narrative: Narrative,
    sheet: FactSheet,
    record_index: RecordIndex,
    *,
    theme_keywords: ThemeKeywords | None = None,
) -> list[GroundingIssue]:
    """Every rule of the module docstring broken by `narrative`, in sentence order; [] when grounded.

    `record_index` maps every record id of the store to (district, theme ids the record raises).
    `theme_keywords` (theme id -> keywords) widens what counts as naming a theme; labels always count.
    """
    if not narrative.sentences:
        return [GroundingIssue(kind="empty", sentence=-1, detail="the narrative has no sentences")]
    ctx = _SheetContext.build(sheet, theme_keywords)
    issues: list[GroundingIssue] = []
    for i, sentence in enumerate(narrative.sentences):
        issues += _check_sentence(i, sentence, ctx, record_index)
    return issues


def _check_sentence(
    i: int, sentence: NarrativeSentence, ctx: _SheetContext, record_index: RecordIndex
) -> list[GroundingIssue]:
    if not sentence.text.strip():
        return [GroundingIssue(kind="empty", sentence=i, detail="the sentence has no text")]
    reading = ctx.read(sentence.text, sentence.citations)
    issues = _number_issues(i, reading, ctx)
    if not sentence.citations:
        if not (i == 0 and _is_frame(reading)):
            issues.append(GroundingIssue(kind="missing_citation", sentence=i, detail=_missing_detail(i, reading)))
        return issues
    for record_id in dict.fromkeys(sentence.citations):
        issue = _citation_issue(i, record_id, reading.themes, ctx, record_index)
        if issue is not None:
            issues.append(issue)
    return issues


def _number_issues(i: int, reading: _Reading, ctx: _SheetContext) -> list[GroundingIssue]:
    issues = [GroundingIssue(kind="unknown_number", sentence=i, detail=d) for d in reading.invalid]
    allowed = ctx.allowed_numbers(reading.themes)
    for n in reading.numbers:
        if n.canonical not in allowed:
            issues.append(GroundingIssue(kind="unknown_number", sentence=i, detail=_number_detail(n, reading, ctx)))
    return issues


_MAX_LISTED = 40


def _number_detail(n: _Number, reading: _Reading, ctx: _SheetContext) -> str:
    where = "the fact sheet"
    if reading.themes:
        labels = ", ".join(sorted(ctx.themes[t].label for t in reading.themes))
        where = f"the facts of the themes this sentence names ({labels}) or of the whole sheet"
    allowed = sorted(ctx.allowed_numbers(reading.themes), key=_sort_key)
    shown = ", ".join(allowed[:_MAX_LISTED]) + (", ..." if len(allowed) > _MAX_LISTED else "")
    return f"'{n.written}' is not in {where}; use only these numbers, written as given: {shown}"


def _sort_key(canonical: str) -> tuple[int, int]:
    digits = re.match(r"\d+", canonical)
    kind = 2 if canonical.endswith("points") else 1 if canonical.endswith("%") else 0
    return kind, int(digits.group(0)) if digits else 0


def _is_frame(reading: _Reading) -> bool:
    """A sentence that only frames the summary: no number, no theme, nothing but frame words."""
    return not (reading.states_numbers or reading.themes or reading.claim_words)


def _missing_detail(i: int, reading: _Reading) -> str:
    if i == 0 and not (reading.states_numbers or reading.themes):
        said = ", ".join(f"'{w}'" for w in dict.fromkeys(reading.claim_words))
        return (
            'the first sentence may go uncited only when it just frames the summary ("This summary covers '
            f'District 2 for November 2026."); this one says more ({said}): cite the records it rests on'
        )
    return "the sentence states facts but cites no record; cite the record ids of the quotes it rests on"


def _citation_issue(
    i: int, record_id: str, themes: set[str], ctx: _SheetContext, record_index: RecordIndex
) -> GroundingIssue | None:
    if record_id not in record_index:
        return GroundingIssue(
            kind="unknown_citation", sentence=i,
            detail=f"'{record_id}' is not a known record id; cite only record ids given with the quotes",
        )  # fmt: skip
    district, raised = record_index[record_id]
    if not _in_district(district, ctx.sheet.district):
        return GroundingIssue(
            kind="foreign_citation", sentence=i,
            detail=f"record '{record_id}' is from {district or 'no district'}, not {ctx.sheet.district}",
        )  # fmt: skip
    if themes and not themes & set(raised):
        labels = ", ".join(sorted(ctx.themes[t].label for t in themes))
        return GroundingIssue(
            kind="foreign_citation", sentence=i,
            detail=f"record '{record_id}' does not raise the theme this sentence talks about ({labels}); "
            "cite quotes listed under that theme",
        )  # fmt: skip
    return None


def _in_district(record_district: str | None, sheet_district: str) -> bool:
    if sheet_district == CITY_WIDE:
        return True
    if sheet_district == NO_DISTRICT:
        return record_district is None
    return record_district == sheet_district


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
    reading = _SheetContext.build(sheet, theme_keywords).read(sentence_text, cited)
    return SentenceClaims(numbers=tuple(n.canonical for n in reading.numbers), invalid=tuple(reading.invalid),
                          themes=frozenset(reading.themes))


def cited_themes(
    sentence: NarrativeSentence,
    sheet: FactSheet,
    record_index: RecordIndex,
    *,
    theme_keywords: ThemeKeywords | None = None,
) -> list[Citation]:
    """The sentence's citations, each with the first theme it names that the record raises (or None)."""
    named = _SheetContext.build(sheet, theme_keywords).named_themes(sentence.text)
    order = [t.id for t in [*sheet.themes, *sheet.highlights] if t.id in named]
    citations = []
    for record_id in dict.fromkeys(sentence.citations):
        raised = record_index.get(record_id, (None, set()))[1]
        citations.append(Citation(record_id=record_id, theme_id=next((t for t in order if t in raised), None)))
    return citations
