"""Column mapping: how the headers of an export map onto synth's record fields.

Exports come from many tools (web forms, survey platforms, Polis, spreadsheets kept by officers). Known
aliases map automatically; anything else is an error naming the column and the flags that fix it, because
silently dropping a column (or reading the wrong one as the text) is how feedback gets lost.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from synth.errors import InputError

FIELDS = (
    "id", "kind", "text", "district", "location", "date", "meeting_id", "note_taker", "attendee_count",
    "channel", "language", "top_concerns", "overall_sentiment",
)

# Normalised header -> field. Headers are compared lower-cased with runs of space, '-' and '_' as one '_'.
ALIASES: dict[str, str] = {
    **{f: f for f in FIELDS},
    "record_id": "id", "comment_id": "id", "response_id": "id", "uid": "id",
    "type": "kind", "record_type": "kind",
    "comment_body": "text", "comment": "text", "comments": "text", "body": "text", "message": "text",
    "feedback": "text", "response": "text", "note": "text", "notes": "text", "content": "text",
    "ward": "district", "precinct": "district", "police_district": "district", "beat": "district",
    "place": "location", "neighborhood": "location", "neighbourhood": "location",
    "created": "date", "created_at": "date", "submitted": "date", "submitted_at": "date",
    "meeting_date": "date", "timestamp": "date",
    "meeting": "meeting_id", "meeting_ref": "meeting_id",
    "notetaker": "note_taker", "host": "note_taker", "facilitator": "note_taker", "recorder": "note_taker",
    "attendees": "attendee_count", "attendance": "attendee_count",
    "source": "channel", "lang": "language",
    "concerns": "top_concerns", "top_concern": "top_concerns",
    "sentiment": "overall_sentiment",
}

_SEP_RE = re.compile(r"[\s\-_]+")


def normalize_header(name: str) -> str:
    return _SEP_RE.sub("_", name.strip().lower()).strip("_")


@dataclass(frozen=True)
class ColumnProfile:
    """A named mapping for a known export format."""

    mapping: Mapping[str, str] = field(default_factory=dict)  # source header -> field
    ignore: frozenset[str] = frozenset()  # source headers to drop on purpose
    defaults: Mapping[str, str] = field(default_factory=dict)  # field values when the source has none
    id_prefix: str = ""


PROFILES: dict[str, ColumnProfile] = {
    # Polis exports: votes and author ids are not feedback text; "datetime" is a locale string, the
    # epoch-millisecond "timestamp" is exact. Statement ids repeat across conversations, hence a prefix.
    "polis": ColumnProfile(
        mapping={"comment-body": "text", "comment-id": "id", "timestamp": "date"},
        ignore=frozenset({"datetime", "author-id", "agrees", "disagrees", "moderated"}),
        defaults={"kind": "comment", "channel": "polis"},
        id_prefix="polis-{stem}-",
    ),
}


@dataclass(frozen=True)
class ColumnMap:
    """The resolved header -> field mapping for one file."""

    fields: dict[str, str]  # source header -> field
    ignored: tuple[str, ...]


def resolve_columns(
    file: str,
    headers: Iterable[str],
    *,
    mapping: Mapping[str, str] | None = None,
    ignore: Iterable[str] = (),
    profile: ColumnProfile | None = None,
) -> ColumnMap:
    """Map a file's headers to fields, or raise InputError naming every column that cannot be placed."""
    explicit = {normalize_header(k): v for k, v in {**(profile.mapping if profile else {}), **(mapping or {})}.items()}
    for target in explicit.values():
        if target and target not in FIELDS:
            raise InputError(file, f"--map target '{target}' is not a field; fields are: {', '.join(FIELDS)}")
    dropped = {normalize_header(c) for c in ignore} | {normalize_header(c) for c in (profile.ignore if profile else ())}

    fields: dict[str, str] = {}
    ignored: list[str] = []
    unknown: list[str] = []
    for header in headers:
        key = normalize_header(header)
        if key in dropped or explicit.get(key) == "":
            ignored.append(header)
        elif key in explicit:
            fields[header] = explicit[key]
        elif key in ALIASES:
            fields[header] = ALIASES[key]
        elif key == "":
            unknown.append("(empty header)")
        else:
            unknown.append(header)
    if unknown:
        cols = ", ".join(repr(u) for u in unknown)
        raise InputError(
            file,
            f"unknown column(s) {cols}. Map each to a field with --map COLUMN=FIELD "
            f"(fields: {', '.join(FIELDS)}), drop it with --ignore COLUMN, or use a profile (--profile "
            f"{'|'.join(PROFILES)}). No row of this file was ingested.",
        )
    targets = list(fields.values())
    dupes = sorted({t for t in targets if targets.count(t) > 1})
    if dupes:
        cols = "; ".join(f"{t} <- " + ", ".join(h for h, f in fields.items() if f == t) for t in dupes)
        raise InputError(file, f"several columns map to the same field ({cols}); --ignore all but one")
    if "text" not in targets:
        raise InputError(
            file, "no text column (looked for 'text', 'comment', 'comment-body', 'body', 'message', "
            "'feedback', ...). Name it with --map COLUMN=text. No row of this file was ingested.")
    return ColumnMap(fields=fields, ignored=tuple(ignored))
