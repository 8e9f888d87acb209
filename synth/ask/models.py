"""Data contracts of `synth ask`: the structured query a question is parsed into, and the answer.

The query is what both parsers (rules, LLM) produce and what the router and query engine consume; the
answer is what the CLI prints, the API returns and the question eval scores.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from synth.synthesis.facts import FactRow

Intent = Literal["count", "share", "ranking", "trend", "compare", "open", "out_of_scope"]
Measure = Literal["records", "meetings"]
GroupBy = Literal["district", "month"]
Status = Literal["answered", "insufficient_evidence", "out_of_scope"]
SentimentFilter = Literal["positive", "negative", "neutral"]

FIGURE_INTENTS: frozenset[str] = frozenset({"count", "share", "ranking", "trend", "compare"})


class StructuredQuery(BaseModel):
    """What a question asks, in terms the query engine and the retriever understand.

    `period` is "YYYY-MM" or "YYYY-MM..YYYY-MM" (None: all the data). `themes` are theme ids of the current
    taxonomy; `topic` is the question's subject in the resident's words (for retrieval, and to say what
    could not be matched). `decline_reason` is set when the question must not be answered (an individual,
    something outside the feedback).
    """

    intent: Intent
    measure: Measure = "records"
    themes: list[str] = Field(default_factory=list)
    topic: str | None = None
    districts: list[str] = Field(default_factory=list)
    unknown_districts: list[str] = Field(default_factory=list, description="named districts not in the store")
    period: str | None = None
    period_text: str | None = Field(None, description="how the question said the period, e.g. 'since September'")
    kinds: list[str] = Field(default_factory=list)
    group_by: GroupBy | None = None
    sentiment: SentimentFilter | None = None
    top_n: int = Field(5, ge=1, le=20)
    rank: Literal["themes", "districts"] = Field("themes", description="what a ranking orders: 'which district "
                                                 "has the most comments?' ranks districts")
    decline_reason: str | None = None


class Citation(BaseModel):
    record_id: str
    snippet: str  # quoted from the record's (redacted) text, never altered
    district: str | None = None
    date: dt.date | None = None

    @classmethod
    def quoting(cls, row: FactRow, snippet: str) -> Citation:
        """`snippet` of the record behind `row`, with the record's district and date."""
        return cls(record_id=row.record_id, snippet=snippet, district=row.district, date=row.date)


class Figure(BaseModel):
    """One number an answer uses, computed by code. `name` says what it counts, e.g.
    "meetings raising Street lighting in District 3, 2026-09..2026-11"."""

    name: str
    value: int | float
    display: str  # how the answer writes it: "42", "42%"
    measure: Literal["records", "meetings", "share", "records_in_scope"]
    theme: str | None = None
    district: str | None = None  # None: every district in scope
    period: str | None = None
    month: str | None = None


class Coverage(BaseModel):
    records: int
    meeting_notes: int
    meetings: int
    other_records: int
    districts: list[str]
    period: str | None
    text: str  # "based on 212 records (96 meeting notes from 18 meetings, 116 comments) in District 4, ..."


class Answer(BaseModel):
    question: str
    text: str
    status: Status
    citations: list[Citation] = Field(default_factory=list)
    figures: list[Figure] = Field(default_factory=list)
    coverage: Coverage | None = None
    query: StructuredQuery | None = None
    route: Literal["figures", "retrieval", "declined"] = "declined"
    parser: Literal["rules", "llm"] = "rules"
    phrased_by: Literal["code", "llm"] = "code"
    conversation_id: str | None = None
    llm_tokens: int = 0  # prompt + completion tokens spent on this answer (0 offline)
