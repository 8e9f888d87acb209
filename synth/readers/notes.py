"""Meeting notes (.md, .txt): a header block of `Key: value` lines (optionally fenced by `---`), a blank line,
then free prose. The header keys are in README.md's Input formats.

- A key that is not known but close to a known key (`Distrcit:`) is a typo: the note is rejected naming it,
  because silently reading the line as prose would lose the district.
- A note is never lost to a bad value in an optional field (`Attendees: 6.`): common forms are read leniently,
  anything else is left out with a warning (the row is marked lenient; ingest drops the field).
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from synth.columns import ALIASES, normalize_header
from synth.models import Rejection
from synth.readers.base import RawRow

_HEADER_RE = re.compile(r"^\s*([A-Za-z][A-Za-z _\-]{0,40}?)\s*:\s*(.*?)\s*$")
# A note's own text is its body, so header keys never map to "text" ("Notes: ..." is prose).
NOTE_HEADERS = {k: v for k, v in ALIASES.items() if v != "text"} | {"taken_by": "note_taker", "officer": "note_taker"}
# The documented keys, as written in a note; typos are matched against these.
DOCUMENTED_KEYS = ("District", "Date", "Meeting", "Note-taker", "Attendees", "Location", "Top concerns",
                   "Overall sentiment", "Kind", "Language", "Id")
_TYPO_TARGETS = {normalize_header(k): k for k in DOCUMENTED_KEYS}
_COUNT_RE = re.compile(r"^(?:about|approx\.?|approximately|around|roughly|ca?\.|~)?\s*(\d{1,5})\s*\.?\s*"
                       r"(?:people|persons|residents|attendees|neighbou?rs)?\s*\.?$", re.IGNORECASE)


def _typo_of(key: str) -> str | None:
    """The documented key `key` looks like a misspelling of, if any."""
    close = difflib.get_close_matches(key, list(_TYPO_TARGETS), n=1, cutoff=0.8)
    return _TYPO_TARGETS[close[0]] if close else None


def _lenient(field: str, value: str) -> str:
    if field == "attendee_count" and (m := _COUNT_RE.match(value.strip())):
        return m.group(1)  # "6.", "about 12", "7 residents"
    return value


def read_note(file: str, text: str) -> RawRow | Rejection:
    """Split a note into header fields and body. The header is the leading run of `Key: value` lines with
    known keys (optionally fenced by `---` lines); the body is everything after it."""
    lines = text.splitlines()
    i = 0
    fenced = bool(lines) and lines[0].strip() == "---"
    if fenced:
        i = 1
    values: dict[str, Any] = {}
    while i < len(lines):
        line = lines[i]
        if not line.strip() or (fenced and line.strip() == "---"):
            i += 1
            break
        m = _HEADER_RE.match(line)
        if not m and not fenced:
            break  # prose starts (no blank line after the header)
        key = normalize_header(m.group(1)) if m else ""
        if key not in NOTE_HEADERS:
            if m and (known := _typo_of(key)):
                return Rejection(file=file, row=1, field=m.group(1).strip(),
                                 reason=f"unknown header key on line {i + 1}; did you mean '{known}:'? Known keys: "
                                        + ", ".join(DOCUMENTED_KEYS))
            if values or fenced:  # inside a header block: an unknown key is a typo worth reporting
                return Rejection(file=file, row=1, field=None,
                                 reason=f"line {i + 1} of the header block is not a known `Key: value` line; "
                                        f"known keys: {', '.join(DOCUMENTED_KEYS)}. End the header with a blank "
                                        "line before the prose")
            break  # no header at all: the whole file is prose
        assert m is not None  # a known key came from a match
        values[NOTE_HEADERS[key]] = _lenient(NOTE_HEADERS[key], m.group(2))
        i += 1
    body = "\n".join(lines[i:]).strip()
    values["text"] = body
    values.setdefault("kind", "meeting_note")
    return RawRow(file, 1, values, lenient=True, fallbacks={"kind": "meeting_note"})
