"""Readers: turn an input file into raw rows (field -> value) or rejections, one at a time.

Formats, chosen by extension:
  .csv           header row; columns mapped by synth.columns                                   (tables.py)
  .xlsx          the first worksheet of an Excel workbook, read like a CSV                     (tables.py)
  .jsonl         one JSON object per line                                                      (jsonfmt.py)
  .json          an array of objects, or {"records": [...]}                                    (jsonfmt.py)
  .md / .txt     one meeting note: a header block of `Key: value` lines, a blank line, then free prose (notes.py)

Text files may be UTF-8 (with or without a BOM), or UTF-16/UTF-32 with a BOM, or UTF-16 without one (base.py).

A problem with the whole file (unreadable, empty, not text, over SYNTH_MAX_FILE_BYTES, unknown columns) raises
InputError and nothing of that file is used. A problem with one row (malformed or too deeply nested JSON, a
value of the wrong type, a stray quote) yields a Rejection and the reader carries on with the next row.
Messages name the file, row and field and never quote the input's values; where a column's name from the input
would help, it goes in the `detail` that only the terminal shows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

from synth.errors import InputError
from synth.models import Rejection
from synth.readers.base import Notice, RawRow, ReadOptions, read_text
from synth.readers.jsonfmt import read_json, read_jsonl
from synth.readers.notes import read_note
from synth.readers.tables import read_csv, read_xlsx

SUPPORTED_SUFFIXES = (".csv", ".xlsx", ".jsonl", ".json", ".md", ".markdown", ".txt")

__all__ = ["SUPPORTED_SUFFIXES", "Notice", "RawRow", "ReadOptions", "read_file", "read_text"]


def read_file(path: Path, options: ReadOptions | None = None) -> Iterator[RawRow | Rejection]:
    """The rows of one file, or rejections. Every row, rejection and error names the file by a label with any
    personal data in its name replaced ("notes_[PERSON].md"), because the name is stored with each record."""
    from synth.redact.labels import redact_label

    label = redact_label(str(path))
    if label == str(path):
        return _read_file(path, options)
    return _relabelled(_read_file(path, options), str(path), label)


def _relabelled(items: Iterator[RawRow | Rejection], raw: str, label: str) -> Iterator[RawRow | Rejection]:
    try:
        for item in items:
            if isinstance(item, RawRow):
                yield dataclasses.replace(item, file=label)
            else:
                yield item.model_copy(update={"file": label}) if item.file == raw else item
    except InputError as e:
        raise InputError(label, e.reason.replace(raw, label), e.detail) from None


def _read_file(path: Path, options: ReadOptions | None = None) -> Iterator[RawRow | Rejection]:
    options = options or ReadOptions()
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputError(str(path), f"unsupported file type '{suffix}'; use one of {', '.join(SUPPORTED_SUFFIXES)}")
    if suffix == ".xlsx":
        return read_xlsx(path, options)
    text = read_text(path, options.max_file_bytes)
    if suffix == ".csv":
        return read_csv(str(path), text, options)
    if suffix == ".jsonl":
        return read_jsonl(str(path), text, options)
    if suffix == ".json":
        return read_json(str(path), text, options)
    return iter([read_note(str(path), text)])
