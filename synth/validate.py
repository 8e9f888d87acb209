"""Row validation: raw strings from a reader -> typed fields, or a RowError naming the field.

Validation happens before redaction and never stores anything; the text it returns is still the original
and lives only in memory until the redactor has seen it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from synth.dates import Ambiguous, DateError, DateOrder, parse_date, read_date
from synth.errors import RowError
from synth.models import (
    DEFAULT_CHANNEL,
    MAX_ID_CHARS,
    Channel,
    RecordKind,
    Sentiment,
    content_id,
    normalize_text,
    text_hash,
    valid_id,
)
from synth.readers import RawRow

__all__ = ["ValidRow", "parse_date", "pseudonymize", "validate_row"]

_KIND_ALIASES = {"note": "meeting_note", "meeting": "meeting_note", "notes": "meeting_note",
                 "survey": "survey_response", "web_form": "comment", "form": "comment"}


@dataclass
class ValidRow:
    """A row whose fields are typed and whose id is fixed; `text` is still the ORIGINAL (unredacted) text."""

    id: str
    file: str
    row: int
    text: str
    fields: dict[str, Any]  # every Record field except id, text, source_*, redactions
    text_hash: str = ""  # salted digest of the original text: the same id with another text is a conflict
    source_id: bool = False  # the id is the source's own (else a content id, fixed once the date is)
    ambiguous: Ambiguous | None = None  # a date that reads day-first and month-first: settled per file
    date_order: DateOrder | None = None  # the order this row's date revealed, a vote for its file's majority

    def settle(self, date: dt.date) -> None:
        """Fix an ambiguous date (and, for a row without a source id, the content id that depends on it)."""
        self.fields["date"], self.fields["date_precision"], self.ambiguous = date, "day", None
        if not self.source_id:
            self.id = _content_id(self.fields, self.text)


def _content_id(fields: Mapping[str, Any], text: str) -> str:
    return content_id(fields["kind"].value, fields.get("district"), fields.get("date"), fields.get("meeting_id"),
                      text)


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _enum(field: str, value: Any, enum: type[StrEnum], aliases: Mapping[str, str] | None = None) -> Any:
    key = str(value).strip().lower().replace(" ", "_").replace("-", "_")
    key = (aliases or {}).get(key, key)
    try:
        return enum(key)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise ValueError(f"unknown {field}; use one of: {allowed}") from None


def pseudonymize(name: str, salt: str) -> str:
    """A stable pseudonym for a note-taker: the same person maps to the same id, the name is not kept."""
    digest = hashlib.sha256((salt + "\x1f" + normalize_text(name).casefold()).encode()).hexdigest()
    return "nt_" + digest[:10]


def validate_row(
    raw: RawRow,
    *,
    max_chars: int,
    salt: str,
    defaults: Mapping[str, Any] | None = None,
    id_prefix: str = "",
    today: dt.date | None = None,
) -> ValidRow:
    values = {**(defaults or {}), **{k: v for k, v in raw.values.items() if not _blank(v)}}
    field = "text"

    def fail(reason: str) -> RowError:
        return RowError(raw.file, raw.row, field, reason)

    text = values.get("text")
    if not isinstance(text, str) or not text.strip():
        raise fail("text is missing or empty")
    if len(text) > max_chars:
        raise fail(f"text is {len(text):,} characters; the limit is {max_chars:,} (SYNTH_MAX_TEXT_CHARS). "
                   "Split it into separate records.")
    out: dict[str, Any] = {}
    try:
        field = "kind"
        kind = _enum("kind", values.get("kind", "comment"), RecordKind, _KIND_ALIASES)
        out["kind"] = kind
        field = "channel"
        out["channel"] = _enum("channel", values["channel"], Channel) if "channel" in values else DEFAULT_CHANNEL[kind]
        for field in ("district", "location", "meeting_id", "language"):
            if field in values:
                out[field] = str(values[field]).strip()
        field = "date"
        ambiguous: Ambiguous | None = None
        order: DateOrder | None = None
        if "date" in values:
            try:
                got = read_date(values["date"], today)
            except DateError as e:
                raise fail(str(e)) from None
            if isinstance(got, Ambiguous):
                ambiguous = got
            else:
                out["date"], out["date_precision"], order = got.date, got.precision, got.order
        field = "attendee_count"
        if "attendee_count" in values:
            n = values["attendee_count"]
            if isinstance(n, bool) or not str(n).strip().isdigit():
                raise fail("attendee count must be a whole number of people")
            out["attendee_count"] = int(str(n).strip())
        field = "note_taker"
        if "note_taker" in values:
            out["note_taker"] = pseudonymize(str(values["note_taker"]), salt)
        field = "top_concerns"
        if "top_concerns" in values:
            tc = values["top_concerns"]
            items = tc if isinstance(tc, list) else str(tc).split(";")
            out["top_concerns"] = [str(c).strip() for c in items if str(c).strip()]
        field = "overall_sentiment"
        if "overall_sentiment" in values:
            out["overall_sentiment"] = _enum("overall sentiment", values["overall_sentiment"], Sentiment)
        field = "id"
        has_id = "id" in values
        if has_id:
            # Any printable text is an id, kept verbatim (surrounding spaces trimmed): distinct ids are
            # distinct records even when their texts are the same.
            record_id = id_prefix + str(values["id"]).strip()
            if not valid_id(record_id):
                raise fail(f"id must be 1-{MAX_ID_CHARS} printable characters, prefix included "
                           "(no tabs or line breaks)")
            # an id naming a person or holding an e-mail is kept only as a salted hash
            from synth.redact.labels import pseudonymize_source_id  # the census lists load with the redactor

            record_id = pseudonymize_source_id(record_id, salt)
        else:
            record_id = "" if ambiguous else _content_id(out, text)
    except ValueError as e:
        raise fail(str(e)) from None
    return ValidRow(id=record_id, file=raw.file, row=raw.row, text=text, fields=out,
                    text_hash=text_hash(text, salt), source_id=has_id, ambiguous=ambiguous, date_order=order)
