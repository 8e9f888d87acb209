"""Domain models: what a piece of resident feedback is once synth has accepted it.

A `RawRecord` is one row as read from a file (strings, untrusted). `Record` is the validated, redacted
record that lands in the system of record and, chunked, in the vector index. Only redacted text ever
reaches a `Record`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from vectorstore.search import date_number


class RecordKind(StrEnum):
    meeting_note = "meeting_note"
    comment = "comment"
    survey_response = "survey_response"
    email = "email"


class Channel(StrEnum):
    meeting = "meeting"
    web_form = "web_form"
    survey = "survey"
    email = "email"
    polis = "polis"
    other = "other"


class Sentiment(StrEnum):
    positive = "positive"
    neutral = "neutral"
    negative = "negative"
    mixed = "mixed"


# Default channel for each kind when the source does not say.
DEFAULT_CHANNEL = {
    RecordKind.meeting_note: Channel.meeting,
    RecordKind.comment: Channel.web_form,
    RecordKind.survey_response: Channel.survey,
    RecordKind.email: Channel.email,
}

MAX_ID_CHARS = 128
_WS_RE = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """Unicode-normalise and collapse whitespace; used for content hashes and de-duplication."""
    return _WS_RE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def valid_id(value: str) -> bool:
    """A record id: the source's own id kept verbatim (any printable text, spaces included, no tabs or line
    breaks, 1-128 characters), or a content id ("r_<hash>") for a source without one."""
    return 0 < len(value) <= MAX_ID_CHARS and value.isprintable() and value == value.strip()


def text_hash(text: str, salt: str) -> str:
    """A salted digest of a record's original text (normalised): what a later row claiming the same id is
    compared with, so a conflict is found without keeping the original text."""
    return hashlib.sha256((salt + "\x1f" + normalize_text(text).casefold()).encode("utf-8")).hexdigest()[:32]


def content_id(kind: str, district: str | None, date: dt.date | None, meeting_id: str | None, text: str) -> str:
    """Stable id for a record whose source has none: a hash of what makes it the same record."""
    key = "\x1f".join([kind, district or "", date.isoformat() if date else "", meeting_id or "",
                       normalize_text(text).casefold()])
    return "r_" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


class RecordBase(BaseModel):
    """Fields shared by the stored record and the API's view of it."""

    model_config = ConfigDict(use_enum_values=False, str_strip_whitespace=True)

    kind: RecordKind
    district: str | None = Field(None, max_length=100)
    location: str | None = Field(None, max_length=500, description="free-text place, e.g. 'Elm St & 5th'")
    date: dt.date | None = None  # the first day of the span the source gave (see synth/dates.py)
    date_precision: Literal["day", "month", "year"] = Field(
        "day", description="how much of `date` the source gave: a year-only record is not January")
    meeting_id: str | None = Field(None, max_length=128)
    note_taker: str | None = Field(None, max_length=64, description="pseudonymous id nt_<hash>, never a name")
    attendee_count: int | None = Field(None, ge=0, le=10_000)
    channel: Channel
    language: str = Field("en", min_length=2, max_length=16)
    # The standard kitchen-table form, when the note-taker used it.
    top_concerns: list[str] = Field(default_factory=list)
    overall_sentiment: Sentiment | None = None


class Record(RecordBase):
    id: str
    text: str = Field(min_length=1, description="redacted text; the original is never stored")
    source_file: str
    source_row: int
    redactions: dict[str, int] = Field(default_factory=dict, description="entity type -> count removed")
    # `text_hash` of the original text; kept in the system of record only, never shown (excluded from dumps).
    text_hash: str | None = Field(None, exclude=True, max_length=64)

    @field_validator("id")
    @classmethod
    def _valid_id(cls, v: str) -> str:
        if not valid_id(v):
            raise ValueError(f"id must be 1-{MAX_ID_CHARS} printable characters (no tabs or line breaks)")
        return v

    @property
    def redaction_total(self) -> int:
        return sum(self.redactions.values())


class Chunk(BaseModel):
    """A token-bounded piece of a record's redacted text, as embedded in the vector index."""

    id: str  # f"{record_id}#{index}"
    record_id: str
    index: int
    text: str
    tokens: int

    def metadata(self, record: Record) -> dict[str, Any]:
        """Vector-index metadata: only what filters need, never personal data."""
        meta: dict[str, Any] = {
            "record_id": self.record_id,
            "chunk": self.index,
            "kind": record.kind.value,
            "channel": record.channel.value,
        }
        if record.district:
            meta["district"] = record.district
        if record.date:
            meta["date"] = date_number(record.date)
        if record.meeting_id:
            meta["meeting_id"] = record.meeting_id
        return meta


class Rejection(BaseModel):
    """A row that was not ingested, and why. Reported to the user and kept in the system of record."""

    file: str
    row: int | None
    field: str | None
    reason: str  # stored: says what was wrong and what was expected, never quotes the input
    detail: str | None = Field(None, exclude=True)  # for the terminal only (e.g. a column's name); never stored

    def __str__(self) -> str:
        where = self.file if self.row is None else f"{self.file}, row {self.row}"
        if self.field:
            where += f", field '{self.field}'"
        return f"{where}: {self.reason}"
