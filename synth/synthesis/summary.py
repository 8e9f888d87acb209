"""The summary document: what `synth summarize --format json` prints and the API serves.

Schema `synth.summary/1` (versioned; a breaking change bumps the number):

    district, period, previous_period
    period_basis: which period and why, when the period was chosen by default ("all records: ... is a
                  one-off consultation (...)", "November 2026, the latest month with records for D2")
    counts: {records, meetings, residents_reached, by_kind}
    themes: [{id, label, mentions, share, sentiment, net_sentiment, change, status, dominated_by,
              tone, change_words, quotes: [{record_id, text}]}]
        sentiment: records raising the theme by their sentiment on it (adds up to mentions)
        tone: "praise" (most of its records positive) or "worry"
        change_words: "up 9 points, within normal variation" / "..., a significant rise" (None: no previous)
    highlights: [theme ids residents praise]  (tone "praise")
    worries: [theme ids of the other themes]  (tone "worry")
    sentiment: {positive, neutral, negative}          record-level distribution
    leading_theme_by_district: {district: theme id}   city-wide summaries only
    narrative: text with [record ids] after each sentence
    sentences: [{text, citations}]
    citations: [record ids]
    provenance: {source, prompt, prompt_version, model, input_tokens, output_tokens, attempts,
                 input_fingerprint, annotator, generated_at}
    grounding_issues: [...]   problems of the model's last draft when the fallback was used
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, Field

from synth.synthesis.display import change_phrase
from synth.synthesis.grounding import GroundingIssue, NarrativeSentence
from synth.synthesis.models import FactSheet, Quote, SentimentLabel, ThemeChange, Tone
from synth.synthesis.narrative import NarrativeResult

SCHEMA = "synth.summary/1"


class Counts(BaseModel):
    records: int
    meetings: int
    residents_reached: int
    by_kind: dict[str, int]


class ThemeSummary(BaseModel):
    id: str
    label: str
    mentions: int
    share: float
    sentiment: dict[SentimentLabel, int]
    net_sentiment: float
    change: ThemeChange | None
    status: str
    dominated_by: str | None
    quotes: list[Quote]
    tone: Tone = "worry"
    change_words: str | None = None


class Provenance(BaseModel):
    source: Literal["llm", "fallback"]
    prompt: str
    prompt_version: int
    model: str | None
    input_tokens: int
    output_tokens: int
    attempts: int
    input_fingerprint: str
    annotator: str
    generated_at: dt.datetime


class Summary(BaseModel):
    schema_: str = Field(SCHEMA, alias="schema")
    district: str
    period: str
    previous_period: str | None
    period_basis: str | None = None
    counts: Counts
    themes: list[ThemeSummary]
    highlights: list[str]
    worries: list[str] = Field(default_factory=list)
    sentiment: dict[SentimentLabel, int]
    leading_theme_by_district: dict[str, str] = Field(default_factory=dict)
    narrative: str
    sentences: list[NarrativeSentence]
    citations: list[str]
    provenance: Provenance
    grounding_issues: list[GroundingIssue] = Field(default_factory=list)

    model_config = {"populate_by_name": True}


def fingerprint(sheet: FactSheet, *, prompt: str, model: str | None, annotator: str) -> str:
    """What a summary depends on: the facts (which include every quoted record), the prompt and the model."""
    payload = json.dumps({"sheet": sheet.model_dump(mode="json"), "prompt": prompt, "model": model,
                          "annotator": annotator}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def build_summary(sheet: FactSheet, narrative: NarrativeResult, *, fp: str, annotator: str) -> Summary:
    return Summary(
        district=sheet.district, period=sheet.period, previous_period=sheet.previous_period,
        counts=Counts(records=sheet.records, meetings=sheet.meetings, residents_reached=sheet.residents_reached,
                      by_kind=sheet.records_by_kind),
        themes=[ThemeSummary(id=t.id, label=t.label, mentions=t.mentions, share=t.share, sentiment=t.sentiment,
                             net_sentiment=t.net_sentiment, change=t.change, status=t.status,
                             dominated_by=t.dominated_by, quotes=t.quotes, tone=t.tone,
                             change_words=change_phrase(t.mentions, sheet.records, t.change))
                for t in sheet.themes],
        highlights=[t.id for t in sheet.highlights], worries=[t.id for t in sheet.themes if t.tone == "worry"],
        sentiment=sheet.sentiment,
        leading_theme_by_district=sheet.leading_theme_by_district,
        narrative=narrative.text, sentences=narrative.sentences, citations=narrative.citations,
        provenance=Provenance(source=narrative.source, prompt=narrative.prompt,
                              prompt_version=narrative.prompt_version, model=narrative.model,
                              input_tokens=narrative.input_tokens, output_tokens=narrative.output_tokens,
                              attempts=narrative.attempts, input_fingerprint=fp, annotator=annotator,
                              generated_at=dt.datetime.now(dt.UTC)),
        grounding_issues=narrative.issues,
    )


def as_json(s: Summary) -> dict[str, Any]:
    return s.model_dump(mode="json", by_alias=True)


def with_period_basis(s: Summary, basis: str | None) -> Summary:
    """The summary with `period_basis` set (it says why a default period was chosen; not part of the stored
    summary's fingerprint, which depends on the facts alone)."""
    return s.model_copy(update={"period_basis": basis})


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the summary document, as published in docs/summary.schema.json."""
    schema = Summary.model_json_schema(by_alias=True, mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA, **schema}


if __name__ == "__main__":  # python -m synth.synthesis.summary > docs/summary.schema.json
    print(json.dumps(json_schema(), indent=1, sort_keys=True))
