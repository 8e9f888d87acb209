"""JSON Lines and JSON: one object per line, or an array of objects (also {"records": [...]}).

Nesting is bounded (SYNTH_MAX_JSON_DEPTH) before anything is parsed, so a pathological line or element is
rejected on its own and cannot crash the run; values of the wrong JSON type are rejected with the type that was
expected, never with the value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from synth.columns import resolve_columns
from synth.errors import InputError
from synth.models import Rejection
from synth.readers.base import Notice, RawRow, ReadOptions

# A JSON string (escapes included); what is left once strings are removed is structure and scalars.
_STRING_RE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET_RE = re.compile(r"[^\[\]{}]+")
# Strings or the punctuation that delimits array elements.
_TOKEN_RE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},]')


def _too_deep(text: str, limit: int) -> bool:
    depth = 0
    for ch in _NOT_BRACKET_RE.sub("", _STRING_RE.sub('""', text)):
        depth = depth + 1 if ch in "[{" else depth - 1
        if depth > limit:
            return True
    return False


def _deep_reason(limit: int) -> str:
    return f"nested deeper than {limit} levels (SYNTH_MAX_JSON_DEPTH); a record is a flat object"


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "null" if value is None else "a string"


def _type_problem(field: str, value: Any) -> str | None:
    """What is wrong with the JSON type of a field's value, or None. Strings everywhere; numbers where a number
    is natural (ids, dates as epoch, counts, district numbers); a list of strings for top_concerns."""
    if value is None or isinstance(value, str):
        return None
    if field == "top_concerns" and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return None
    numeric_ok = field in ("id", "date", "attendee_count", "district", "meeting_id", "location")
    if numeric_ok and isinstance(value, int | float) and not isinstance(value, bool):
        return None
    expected = "a string" + (" or a number" if numeric_ok else "")
    if field == "top_concerns":
        expected = "a string or an array of strings"
    got = "an array holding something other than strings" if isinstance(value, list) and field == "top_concerns" \
        else _json_type(value)
    return f"{field} must be {expected}, got {got}"


def _map_object(file: str, row: int, obj: Any, options: ReadOptions, unknown: set[str]) -> RawRow | Rejection:
    if not isinstance(obj, dict):
        return Rejection(file=file, row=row, field=None, reason=f"expected a JSON object, got {_json_type(obj)}")
    try:
        cols = resolve_columns(file, obj.keys(), mapping=options.mapping, ignore=options.ignore,
                               profile=options.profile, ignore_unknown=options.ignore_unknown, noun="key")
    except InputError as e:  # per-object keys: an unknown key rejects this object only
        reason = e.reason.replace(" No row of this file was ingested.", "")
        return Rejection(file=file, row=row, field=None, reason=reason, detail=e.detail or None)
    unknown.update(cols.unknown)
    values = {cols.fields[k]: v for k, v in obj.items() if k in cols.fields}
    for name, value in values.items():
        if problem := _type_problem(name, value):
            return Rejection(file=file, row=row, field=name, reason=problem)
    return RawRow(file, row, values)


def _notice_unknown(file: str, unknown: set[str], options: ReadOptions) -> None:
    if unknown:
        options.notices.append(Notice(file, None, "dropped unknown key(s) (--ignore-unknown): "
                                                  + ", ".join(repr(u[:80]) for u in sorted(unknown))))


def read_jsonl(file: str, text: str, options: ReadOptions) -> Iterator[RawRow | Rejection]:
    unknown: set[str] = set()
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        yield _one_record(file, line_no, line, options, unknown, column=True)
    _notice_unknown(file, unknown, options)


def _one_record(file: str, row: int, part: str, options: ReadOptions, unknown: set[str], *,
                column: bool) -> RawRow | Rejection:
    """One JSON record (a JSONL line, or one element of a deep array) parsed on its own: too deep or malformed,
    it is rejected alone. `column`: the position in the part means something to the reader (a JSONL line)."""
    limit = options.max_json_depth
    if _too_deep(part, limit):
        return Rejection(file=file, row=row, field=None, reason=_deep_reason(limit))
    try:
        obj = json.loads(part)
    except json.JSONDecodeError as e:
        where = f" at column {e.colno}" if column else ""
        return Rejection(file=file, row=row, field=None, reason=f"malformed JSON: {e.msg}{where}")
    except RecursionError:
        return Rejection(file=file, row=row, field=None, reason=_deep_reason(limit))
    return _map_object(file, row, obj, options, unknown)


def read_json(file: str, text: str, options: ReadOptions) -> Iterator[RawRow | Rejection]:
    limit = options.max_json_depth
    if _too_deep(text, limit + 1):  # the array around the records is one level
        yield from _read_deep_array(file, text, options)
        return
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(file, f"malformed JSON: {e.msg} at line {e.lineno}, column {e.colno}. "
                               "No row of this file was ingested.") from e
    items = doc.get("records") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise InputError(file, "expected a JSON array of records or an object with a 'records' array")
    unknown: set[str] = set()
    for i, obj in enumerate(items, start=1):
        yield _map_object(file, i, obj, options, unknown)
    _notice_unknown(file, unknown, options)


def _read_deep_array(file: str, text: str, options: ReadOptions) -> Iterator[RawRow | Rejection]:
    """A top-level array with some element nested too deeply: split it into elements by its own commas and
    parse each on its own, so the deep element is rejected and the others are kept."""
    limit = options.max_json_depth
    if not text.lstrip().startswith("["):
        raise InputError(file, f"{_deep_reason(limit)}. No row of this file was ingested.")
    depth, start, spans = 0, -1, []
    for m in _TOKEN_RE.finditer(text):
        tok = m.group()
        if tok in "[{":
            depth += 1
            if depth == 1:
                start = m.end()
        elif tok in "]}":
            depth -= 1
            if depth == 0:
                spans.append((start, m.start()))
                break
        elif tok == "," and depth == 1:
            spans.append((start, m.start()))
            start = m.end()
    if depth != 0 or not spans:
        raise InputError(file, "malformed JSON: the top-level array is never closed. No row of this file was "
                               "ingested.")
    unknown: set[str] = set()
    for i, (a, b) in enumerate(spans, start=1):
        part = text[a:b]
        if not part.strip() and len(spans) == 1:
            break  # []
        yield _one_record(file, i, part, options, unknown, column=False)
    _notice_unknown(file, unknown, options)
