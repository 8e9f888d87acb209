"""Row validation: raw strings from a reader -> typed fields, or a RowError naming the field.

Validation happens before redaction and never stores anything; the text it returns is still the original
and lives only in memory until the redactor has seen it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from synth.errors import RowError
from synth.models import DEFAULT_CHANNEL, Channel, RecordKind, Sentiment, content_id, normalize_text
from synth.readers import RawRow

_KIND_ALIASES = {"note": "meeting_note", "meeting": "meeting_note", "notes": "meeting_note",
                 "survey": "survey_response", "web_form": "comment", "form": "comment"}
_US_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_EPOCH_RE = re.compile(r"^\d{10}(\d{3})?$")


@dataclass
class ValidRow:
    """A row whose fields are typed and whose id is fixed; `text` is still the ORIGINAL (unredacted) text."""

    id: str
    file: str
    row: int
    text: str
    fields: dict[str, Any]  # every Record field except id, text, source_*, redactions


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def parse_date(value: Any) -> dt.date:
    """ISO date or datetime, US m/d/yyyy, or Unix epoch seconds/milliseconds."""
    s = str(value).strip()
    if _EPOCH_RE.match(s):
        seconds = int(s) / (1000 if len(s) == 13 else 1)
        return dt.datetime.fromtimestamp(seconds, dt.UTC).date()
    if m := _US_DATE_RE.match(s):
        return dt.date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).date()


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
        if "date" in values:
            try:
                out["date"] = parse_date(values["date"])
            except (ValueError, OverflowError, OSError):
                raise fail(f"cannot read date {str(values['date'])[:40]!r}; use YYYY-MM-DD") from None
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
        if "id" in values:
            source_id = id_prefix + str(values["id"]).strip()
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}", source_id):
                raise fail(f"id {source_id[:40]!r} must be letters, digits, '.', '_', ':' or '-' (max 128)")
            record_id = source_id
        else:
            record_id = content_id(kind.value, out.get("district"), out.get("date"), out.get("meeting_id"), text)
    except ValueError as e:
        raise fail(str(e)) from None
    return ValidRow(id=record_id, file=raw.file, row=raw.row, text=text, fields=out)
