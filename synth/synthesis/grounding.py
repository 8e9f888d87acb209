"""Grounding checks: a narrative may say only what its fact sheet and the records it cites support.

Pure functions, no I/O. `check_narrative` returns a list of issues (empty = grounded). The rules:

1. **Empty** (`empty`): a narrative without sentences, or a sentence without text.
2. **Numbers** (`unknown_number`): every number a sentence states must be one the fact sheet holds, as
   `display.display_forms` displays it (`display.sheet_numbers` lists them in canonical form, formatted by
   synth/readout.py, as the narrative and the summary table show them):
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
   word besides the district's name, dates of the period and the frame words of `claims._FRAME_WORDS` ("This
   summary covers District 2 for November 2026." may go uncited; "District 2 has no problems." may not).
   Each cited id must be in the record index (`unknown_citation`); its record must belong to the sheet's
   district (any district for the "City-wide" sheet, no district for the "No district" sheet)
   (`foreign_citation`); and when the sentence names themes, each cited record must raise at least one of
   them (`foreign_citation`).
4. **Naming a theme**: a sentence names a theme of the sheet (`themes` or `highlights`) when it contains,
   as whole words, the theme's label, one of the subjects a label lists ("Traffic & speeding": "traffic",
   "speeding"), or one of its keywords (ThemeFacts carries none: callers pass the taxonomy's
   `Theme.keywords` as `theme_keywords`). Case-insensitive, "&" read as "and", any punctuation or spaces
   between words, an optional plural "s"/"es" on the last word. The sheet's district names are read first
   and name no theme ("Bowling Green" does not name a theme keyed "green").

Not checked: the direction of a change ("rose" vs "fell"), rankings ("the most raised"), vague quantifiers
("many", "most"), and the period of a cited record (the record index carries no dates).

How a sentence is read (numbers, dates, theme names): synth/synthesis/claims.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, Field

from synth.synthesis.claims import Reading, SheetReader, StatedNumber, ThemeKeywords
from synth.synthesis.facts import CITY_WIDE, NO_DISTRICT
from synth.synthesis.models import FactSheet

__all__ = ["Citation", "GroundingIssue", "Narrative", "NarrativeSentence", "RecordIndex", "ThemeKeywords",
           "check_narrative", "cited_themes"]

RecordIndex = Mapping[str, tuple[str | None, set[str]]]  # record id -> (district, theme ids it raises)


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
    ctx = SheetReader.build(sheet, theme_keywords)
    issues: list[GroundingIssue] = []
    for i, sentence in enumerate(narrative.sentences):
        issues += _check_sentence(i, sentence, ctx, record_index)
    return issues


def _check_sentence(
    i: int, sentence: NarrativeSentence, ctx: SheetReader, record_index: RecordIndex
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


def _number_issues(i: int, reading: Reading, ctx: SheetReader) -> list[GroundingIssue]:
    issues = [GroundingIssue(kind="unknown_number", sentence=i, detail=d) for d in reading.invalid]
    allowed = ctx.allowed_numbers(reading.themes)
    for n in reading.numbers:
        if n.canonical not in allowed:
            issues.append(GroundingIssue(kind="unknown_number", sentence=i, detail=_number_detail(n, reading, ctx)))
    return issues


_MAX_LISTED = 40


def _number_detail(n: StatedNumber, reading: Reading, ctx: SheetReader) -> str:
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


def _is_frame(reading: Reading) -> bool:
    """A sentence that only frames the summary: no number, no theme, nothing but frame words."""
    return not (reading.states_numbers or reading.themes or reading.claim_words)


def _missing_detail(i: int, reading: Reading) -> str:
    if i == 0 and not (reading.states_numbers or reading.themes):
        said = ", ".join(f"'{w}'" for w in dict.fromkeys(reading.claim_words))
        return (
            'the first sentence may go uncited only when it just frames the summary ("This summary covers '
            f'District 2 for November 2026."); this one says more ({said}): cite the records it rests on'
        )
    return "the sentence states facts but cites no record; cite the record ids of the quotes it rests on"


def _citation_issue(
    i: int, record_id: str, themes: set[str], ctx: SheetReader, record_index: RecordIndex
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


def cited_themes(
    sentence: NarrativeSentence,
    sheet: FactSheet,
    record_index: RecordIndex,
    *,
    theme_keywords: ThemeKeywords | None = None,
) -> list[Citation]:
    """The sentence's citations, each with the first theme it names that the record raises (or None)."""
    named = SheetReader.build(sheet, theme_keywords).named_themes(sentence.text)
    order = [t.id for t in [*sheet.themes, *sheet.highlights] if t.id in named]
    citations = []
    for record_id in dict.fromkeys(sentence.citations):
        raised = record_index.get(record_id, (None, set()))[1]
        citations.append(Citation(record_id=record_id, theme_id=next((t for t in order if t in raised), None)))
    return citations
