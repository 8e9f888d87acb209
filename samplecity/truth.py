"""The truth: exactly what was generated, recounted into the aggregates the evaluations check.

Sentiment rule: each concern has its own label; a record's overall sentiment is #positive - #negative concerns
(neutral and mixed count 0), ties neutral. Standard-form notes also carry the note-taker's own ``Overall
sentiment`` line (``form_sentiment``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from samplecity.plan import KIND_FILE, KIND_SHARES
from samplecity.stories import STORIES, Story, StoryPattern
from samplecity.vocabulary import (
    DISTRICT_NAMES,
    DISTRICTS,
    MIX,
    NEG,
    NEU,
    POS,
    RECORD_SENTIMENTS,
    SENTIMENT_ORDER,
    THEME_IDS,
    THEMES,
    Theme,
)
from synth.models import Channel, RecordKind, Sentiment

# Written into every truth.json: the format of the truth, kept as it was when the generator lived in synth.
GENERATOR = "synth.sample/1"

SENTIMENT_RULE = (
    "score = #positive concerns - #negative concerns (neutral and mixed count 0); "
    "score > 0 -> positive, score < 0 -> negative, score == 0 -> neutral. Standard-form notes' "
    "'Overall sentiment' header (form_sentiment) is 'mixed' when the note has a mixed concern or both a "
    "positive and a negative concern, otherwise the derived label."
)


class ThemeTruth(BaseModel):
    label: str
    description: str
    example_phrases: list[str]


class PlantedStory(BaseModel):
    id: str
    district: str
    theme: str
    pattern: StoryPattern
    months: list[str] = Field(description="months in which the story's change is in effect")
    description: str
    evidence: dict[str, dict[str, int | float]] = Field(
        description="exact per-month numbers from the generated records: mentions, share of the district's "
                    "records, positive and negative shares of the theme's concerns")


class RecordTruth(BaseModel):
    file: str
    row: int
    kind: RecordKind
    channel: Channel
    district: str
    date: dt.date
    month: str
    themes: list[str]
    concern_sentiments: dict[str, Sentiment]
    sentiment: Sentiment
    pii: list[str] = Field(default_factory=list)
    pii_types: list[str] = Field(default_factory=list, description="type of each pii string, same order")
    injection: bool = False
    injection_text: str | None = None
    meeting_id: str | None = None
    attendees: int | None = None
    standard_form: bool = False
    form_sentiment: Sentiment | None = None


class CityTruth(BaseModel):
    generator: str = GENERATOR
    seed: int
    records_total: int
    end_month: str
    months: list[str]
    districts: list[str]
    themes: dict[str, ThemeTruth]
    sentiment_rule: str = SENTIMENT_RULE
    planted: list[PlantedStory]
    counts_by_kind: dict[str, int]
    counts_by_file: dict[str, int]
    meetings_per_district: dict[str, int]
    attendees_per_district: dict[str, int]
    note_takers: list[str]
    pii_records: int
    injection_records: int
    mentions: dict[str, dict[str, dict[str, int]]] = Field(
        description="district -> month -> theme -> number of records raising the theme")
    mentions_total: dict[str, dict[str, int]]
    records_per_district_month: dict[str, dict[str, int]]
    record_sentiments: dict[str, dict[str, dict[str, int]]] = Field(
        description="district -> month -> overall sentiment -> number of records")
    theme_sentiments: dict[str, dict[str, dict[str, dict[str, int]]]] = Field(
        description="district -> month -> theme -> concern sentiment -> number of records")
    records: dict[str, RecordTruth]



def overall_sentiment(labels: list[Sentiment]) -> Sentiment:
    """The documented rule: #positive - #negative decides; neutral and mixed count 0; ties are neutral."""
    score = sum(1 for s in labels if s == POS) - sum(1 for s in labels if s == NEG)
    return POS if score > 0 else NEG if score < 0 else NEU


def form_sentiment(labels: list[Sentiment]) -> Sentiment:
    """What a note-taker writes on the standard form: 'mixed' when praise and complaint meet."""
    if MIX in labels or (POS in labels and NEG in labels):
        return MIX
    return overall_sentiment(labels)


def _dense(keys: list[str], inner: Any) -> dict[str, Any]:
    return {k: inner() for k in keys}


def summarise(seed: int, end_month: str, months: list[str], records: dict[str, RecordTruth]) -> CityTruth:
    """Every aggregate is a recount of `records`."""
    themes = list(THEME_IDS)
    labels = [s.value for s in SENTIMENT_ORDER]
    mentions = _dense(list(DISTRICT_NAMES), lambda: _dense(months, lambda: dict.fromkeys(themes, 0)))
    per_dm = _dense(list(DISTRICT_NAMES), lambda: dict.fromkeys(months, 0))
    rec_sent = _dense(list(DISTRICT_NAMES), lambda: _dense(months, lambda: dict.fromkeys(
        [s.value for s in RECORD_SENTIMENTS], 0)))
    theme_sent = _dense(list(DISTRICT_NAMES), lambda: _dense(months, lambda: _dense(
        themes, lambda: dict.fromkeys(labels, 0))))
    by_kind = {k.value: 0 for k, _ in KIND_SHARES}
    by_file: dict[str, int] = {"notes": 0, **{f: 0 for f in KIND_FILE.values()}}
    meetings = dict.fromkeys(DISTRICT_NAMES, 0)
    attendees = dict.fromkeys(DISTRICT_NAMES, 0)
    for r in records.values():
        per_dm[r.district][r.month] += 1
        rec_sent[r.district][r.month][r.sentiment.value] += 1
        by_kind[r.kind.value] += 1
        by_file["notes" if r.kind is RecordKind.meeting_note else r.file] += 1
        if r.kind is RecordKind.meeting_note:
            meetings[r.district] += 1
            attendees[r.district] += r.attendees or 0
        for theme in r.themes:
            mentions[r.district][r.month][theme] += 1
            theme_sent[r.district][r.month][theme][r.concern_sentiments[theme].value] += 1
    totals = {d: {t: sum(mentions[d][m][t] for m in months) for t in themes} for d in DISTRICT_NAMES}
    return CityTruth(
        seed=seed, records_total=len(records), end_month=end_month, months=months,
        districts=list(DISTRICT_NAMES),
        themes={t.id: theme_truth(t) for t in THEMES},
        planted=[_planted(s, months, mentions, per_dm, theme_sent) for s in STORIES],
        counts_by_kind=by_kind, counts_by_file=by_file, meetings_per_district=meetings,
        attendees_per_district=attendees, note_takers=[n for g in DISTRICTS for n in g.note_takers],
        pii_records=sum(1 for r in records.values() if r.pii),
        injection_records=sum(1 for r in records.values() if r.injection),
        mentions=mentions, mentions_total=totals, records_per_district_month=per_dm,
        record_sentiments=rec_sent, theme_sentiments=theme_sent, records=records)


def theme_truth(theme: Theme) -> ThemeTruth:
    slots = {"street": "Birch St", "cross": "Walnut St", "place": "the underpass", "park": "Linden Green",
             "center": "the rec center"}
    examples = [*theme.clauses[NEG][:3], theme.clauses[POS][0], theme.clauses[MIX][0]]
    return ThemeTruth(label=theme.label, description=theme.description,
                      example_phrases=[e.format(**slots) for e in examples])


def _planted(story: Story, months: list[str], mentions: dict, per_dm: dict, theme_sent: dict) -> PlantedStory:
    d, t = story.district, story.theme
    evidence: dict[str, dict[str, int | float]] = {
        "mentions": {}, "share_of_records": {}, "positive_share": {}, "negative_share": {}}
    for m in months:
        count = mentions[d][m][t]
        sent = theme_sent[d][m][t]
        evidence["mentions"][m] = count
        evidence["share_of_records"][m] = round(count / per_dm[d][m], 4) if per_dm[d][m] else 0.0
        evidence["positive_share"][m] = round(sent["positive"] / count, 4) if count else 0.0
        evidence["negative_share"][m] = round(sent["negative"] / count, 4) if count else 0.0
    return PlantedStory(id=story.id, district=d, theme=t, pattern=story.pattern,
                        months=[months[i] for i in story.late_months(len(months))], description=story.summary,
                        evidence=evidence)



def load_truth(path: Path) -> CityTruth:
    """Read a truth.json written by `generate_city`."""
    return CityTruth.model_validate_json(Path(path).read_text(encoding="utf-8"))
