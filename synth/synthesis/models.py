"""Data contracts of the synthesis layer: annotations (what each record says), the theme taxonomy, and the
fact sheet (numbers computed by code) that a narrative is written from and checked against.

Nothing here holds a LangChain or Chroma object; these models are what the store, the API, the CLI and
the evals exchange.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

SentimentLabel = Literal["positive", "neutral", "negative"]
Tone = Literal["praise", "worry"]  # praise: most of a theme's records are positive about it
OTHER_THEME = "other"  # concerns that match no theme; never reported as a theme of its own
# Concern indices from here on are themes only a standard form's "Top concerns" line names: their text is the
# note-taker's label, not resident words, so they are never quoted.
DECLARED_INDEX = 1000


class SentimentScore(BaseModel):
    label: SentimentLabel
    score: float = Field(ge=-1.0, le=1.0, description="-1 very negative ... +1 very positive")


class Concern(BaseModel):
    """One thing a record raises: a span of its (redacted) text, its theme and its sentiment."""

    index: int  # position within the record
    text: str
    theme_id: str  # a Theme.id, or OTHER_THEME
    sentiment: SentimentScore


class Annotation(BaseModel):
    """Everything synth derives from one record. Cached under (record hash, annotator key)."""

    record_id: str
    concerns: list[Concern]
    sentiment: SentimentScore  # the record as a whole
    annotator: str  # e.g. "offline:v1" or "llm:annotate_v1:gpt-4o-mini"
    # the record addresses a model ("ignore your instructions…"): never quoted; from that sentence on it
    # raises no concern (synthesis/injection.py)
    flagged: bool = False

    @property
    def themes(self) -> list[str]:
        """Distinct themes the record raises, in order of first mention (a record counts once per theme)."""
        seen: dict[str, None] = {}
        for c in self.concerns:
            if c.theme_id != OTHER_THEME:
                seen.setdefault(c.theme_id, None)
        return list(seen)


class Theme(BaseModel):
    """A city-wide theme. Ids are stable across runs: new discoveries are matched to existing themes."""

    id: str  # "t_" + short stable slug/hash; never reused for another meaning
    label: str  # short human name
    keywords: list[str] = Field(default_factory=list)  # distinctive terms, for labels and explanations
    description: str = ""
    pinned: bool = False  # a coordinator fixed it: discovery never renames, merges or drops it
    is_concern: bool = True  # False for meeting chatter ("we started late"): its spans count as OTHER
    source: Literal["discovered", "seeded", "edited"] = "discovered"
    examples: list[str] = Field(default_factory=list)  # seed phrases (YAML) or representative spans
    cues: list[str] = Field(default_factory=list)  # seeded: regexes for words that name the theme outright
    # former labels, and those of themes merged into it: a form's "Top concerns" word still finds the theme
    aliases: list[str] = Field(default_factory=list)


class Quote(BaseModel):
    record_id: str
    text: str


class ThemeChange(BaseModel):
    previous_mentions: int
    previous_share: float
    delta_share: float  # share now - share before (fractions, not points)
    p_value: float | None  # two-proportion test; None when a sample is below the minimum size
    significant: bool
    direction: Literal["up", "down", "flat"]


class ThemeFacts(BaseModel):
    id: str
    label: str
    mentions: int  # records in the district and period that raise the theme
    share: float  # mentions / records in the district and period
    sentiment: dict[SentimentLabel, int]  # records raising the theme, by their sentiment on it
    net_sentiment: float  # mean over those records of their concern score on the theme, -1..1
    change: ThemeChange | None  # None for the first period
    quotes: list[Quote]
    status: Literal["emerging", "fading", "steady", "new"] = "steady"
    tone: Tone = "worry"
    dominated_by: Literal["meeting", "note_taker"] | None = None  # one source supplies most mentions
    dominance_share: float | None = None


class FactSheet(BaseModel):
    """Every number a narrative may use, for one district (or the city) and one period."""

    schema_version: Literal["1"] = "1"
    district: str  # or "City-wide"
    period: str  # "2026-11", "2026-06..2026-11", "2026" or "all" (every record, dated or not)
    period_start: dt.date | None  # None for "all"
    period_end: dt.date | None
    previous_period: str | None
    records: int
    meetings: int
    residents_reached: int
    records_by_kind: dict[str, int]
    sentiment: dict[SentimentLabel, int]  # record-level sentiment distribution
    themes: list[ThemeFacts]  # sorted by mentions, descending
    highlights: list[ThemeFacts]  # themes residents praise (tone "praise"), for "what residents praise"
    leading_theme_by_district: dict[str, str] = Field(default_factory=dict)  # city-wide sheets only

    def allowed_record_ids(self) -> set[str]:
        return {q.record_id for t in self.themes for q in t.quotes}
