"""Readers: turn an input file into raw rows (field -> value) or rejections, one at a time.

Formats, chosen by extension:
  .csv           header row; columns mapped by synth.columns
  .jsonl         one JSON object per line
  .json          an array of objects, or {"records": [...]}
  .md / .txt     one meeting note: a header block of `Key: value` lines, a blank line, then free prose

A problem with the whole file (unreadable, empty, not UTF-8, unknown columns) raises InputError and nothing
of that file is used. A problem with one row yields a Rejection and the reader carries on with the next row.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synth.columns import ALIASES, ColumnProfile, normalize_header, resolve_columns
from synth.errors import InputError
from synth.models import Rejection

SUPPORTED_SUFFIXES = (".csv", ".jsonl", ".json", ".md", ".markdown", ".txt")

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # an oversized field is rejected by length, not by csv


@dataclass
class RawRow:
    file: str
    row: int  # 1-based data row (CSV: first row after the header; JSONL: line; JSON: element; note: 1)
    values: dict[str, Any]  # field name -> raw value


@dataclass
class ReadOptions:
    mapping: Mapping[str, str] = field(default_factory=dict)
    ignore: tuple[str, ...] = ()
    profile: ColumnProfile | None = None


def read_text(path: Path) -> str:
    """Read a whole file as UTF-8 (a BOM is allowed) or raise an InputError that says how to fix it."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(str(path), f"cannot read file: {e.strerror or e}") from e
    if not data.strip():
        raise InputError(str(path), "file is empty")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise InputError(
            str(path),
            f"not UTF-8 text (byte 0x{data[e.start]:02x} on line {line}). Re-save it as UTF-8, e.g. "
            f"`iconv -f cp1252 -t utf-8 IN > OUT`. No row of this file was ingested.",
        ) from e


def read_file(path: Path, options: ReadOptions | None = None) -> Iterator[RawRow | Rejection]:
    options = options or ReadOptions()
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputError(str(path), f"unsupported file type '{suffix}'; use one of {', '.join(SUPPORTED_SUFFIXES)}")
    text = read_text(path)
    if suffix == ".csv":
        return _read_csv(str(path), text, options)
    if suffix == ".jsonl":
        return _read_jsonl(str(path), text, options)
    if suffix == ".json":
        return _read_json(str(path), text, options)
    return iter([_read_note(str(path), text)])


# -- CSV -------------------------------------------------------------------------------------------------------
def _read_csv(file: str, text: str, options: ReadOptions) -> Iterator[RawRow | Rejection]:
    lines = text.splitlines(keepends=True)
    header_reader = csv.reader(lines[:1])
    headers = next(header_reader, [])
    if not any(h.strip() for h in headers):
        raise InputError(file, "no header row; the first line must name the columns (e.g. id,text,district,date)")
    cols = resolve_columns(file, headers, mapping=options.mapping, ignore=options.ignore, profile=options.profile)
    yield from _csv_rows(file, lines, 1, headers, cols.fields)


def _csv_rows(
    file: str, lines: list[str], start: int, headers: list[str], fields: dict[str, str]
) -> Iterator[RawRow | Rejection]:
    """Parse data lines from `start`, recovering from an unbalanced quote by rejecting the row it opens on
    and resuming at the next physical line, so one stray quote cannot swallow the rest of the file.
    Rows are numbered as data records (1 = first record after the header), like a spreadsheet's rows."""
    pos = start
    row_no = 0
    while pos < len(lines):
        reader = csv.reader(lines[pos:], strict=True)
        record_start = pos  # index into `lines` where the next record begins
        try:
            for values in reader:
                first_line, record_start = record_start, pos + reader.line_num
                if not values or (len(values) == 1 and not values[0].strip()):
                    continue  # blank line
                row_no += 1
                if len(values) != len(headers):
                    if record_start - first_line > 1:
                        # A quote opened on this line and closed lines later: the lines in between belong to
                        # no one. Reject this line only and resume parsing on the next one.
                        yield Rejection(file=file, row=row_no, field=None,
                                        reason=f"unbalanced quote on line {first_line + 1}: a quoted field is "
                                               "never closed")
                        pos = first_line + 1
                        break
                    yield Rejection(file=file, row=row_no, field=None,
                                    reason=f"row has {len(values)} fields, the header has {len(headers)}")
                    continue
                yield RawRow(file, row_no, {fields[h]: v for h, v in zip(headers, values, strict=True) if h in fields})
            else:
                return
        except csv.Error as e:
            row_no += 1
            yield Rejection(file=file, row=row_no, field=None,
                            reason=f"unreadable CSV on line {record_start + 1} ({e}); check its quotes")
            pos = record_start + 1


# -- JSON Lines / JSON -----------------------------------------------------------------------------------------
def _map_object(file: str, row: int, obj: Any, options: ReadOptions) -> RawRow | Rejection:
    if not isinstance(obj, dict):
        return Rejection(file=file, row=row, field=None, reason=f"expected a JSON object, got {type(obj).__name__}")
    try:
        cols = resolve_columns(file, obj.keys(), mapping=options.mapping, ignore=options.ignore,
                               profile=options.profile)
    except InputError as e:  # per-object keys: an unknown key rejects this object only
        reason = e.reason.replace(" No row of this file was ingested.", "")
        return Rejection(file=file, row=row, field=None, reason=reason)
    return RawRow(file, row, {cols.fields[k]: v for k, v in obj.items() if k in cols.fields})


def _read_jsonl(file: str, text: str, options: ReadOptions) -> Iterator[RawRow | Rejection]:
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            yield Rejection(file=file, row=line_no, field=None, reason=f"malformed JSON: {e.msg} at column {e.colno}")
            continue
        yield _map_object(file, line_no, obj, options)


def _read_json(file: str, text: str, options: ReadOptions) -> Iterator[RawRow | Rejection]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(file, f"malformed JSON: {e.msg} at line {e.lineno}, column {e.colno}. "
                               "No row of this file was ingested.") from e
    items = doc.get("records") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise InputError(file, "expected a JSON array of records or an object with a 'records' array")
    for i, obj in enumerate(items, start=1):
        yield _map_object(file, i, obj, options)


# -- Meeting notes (Markdown / text) ---------------------------------------------------------------------------
_HEADER_RE = re.compile(r"^\s*([A-Za-z][A-Za-z _\-]{0,40}?)\s*:\s*(.*?)\s*$")
# A note's own text is its body, so header keys never map to "text" ("Notes: ..." is prose).
_NOTE_HEADERS = {k: v for k, v in ALIASES.items() if v != "text"} | {"taken_by": "note_taker", "officer": "note_taker"}


def _read_note(file: str, text: str) -> RawRow | Rejection:
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
        if key not in _NOTE_HEADERS:
            if values or fenced:  # inside a header block: an unknown key is a typo worth reporting
                return Rejection(file=file, row=1, field=(m.group(1) if m else None),
                                 reason=f"unknown header line {line.strip()[:60]!r}; known keys: District, Date, "
                                        "Meeting, Note-taker, Attendees, Location, Top concerns, Overall "
                                        "sentiment, Kind, Language, Id")
            break  # no header at all: the whole file is prose
        assert m is not None  # a known key came from a match
        values[_NOTE_HEADERS[key]] = m.group(2)
        i += 1
    body = "\n".join(lines[i:]).strip()
    values["text"] = body
    values.setdefault("kind", "meeting_note")
    return RawRow(file, 1, values)
