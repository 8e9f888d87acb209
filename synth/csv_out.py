"""The one way synth writes CSV: every text cell a spreadsheet would execute is made inert.

A cell that starts with `=`, `+`, `-`, `@`, a tab, a carriage return or a line feed is a formula (or the start
of one) to Excel, LibreOffice and Google Sheets, so `=HYPERLINK("http://…","D1")` in a district or a comment
would be live in the exported file. Such a cell is written with a leading single quote (OWASP's advice for CSV
injection): the spreadsheet shows the text, the quote marks it as text, and nothing runs.

Numbers stay numbers: an int or float cell, and a text cell that is exactly a decimal number (`-3`, `12.5`,
`-0.4210`, `1e-3`), are written as they are. Anything else that starts with a formula character is text and is
neutralised, so `-5 pts` is written `'-5 pts` (a spreadsheet would otherwise try to compute it).
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from synth.errors import SynthError

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise(value: Any) -> Any:
    """The cell as written: None as empty, numbers as they are, formula-like text with a leading quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


class SafeWriter:
    """`csv.writer` whose every row goes through `neutralise`."""

    def __init__(self, handle: IO[str], **fmt: Any) -> None:
        self._writer = csv.writer(handle, **fmt)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([neutralise(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def write_dicts(handle: IO[str], columns: Sequence[str], rows: Iterable[dict[str, Any]], **fmt: Any) -> None:
    """A header, then each dict's values in `columns` order (missing keys are empty)."""
    w = SafeWriter(handle, **fmt)
    w.writerow(columns)
    w.writerows([row.get(c) for c in columns] for row in rows)


@contextmanager
def output(path: Path | None) -> Iterator[IO[str]]:
    """A text handle for a machine format: the file (UTF-8, csv-safe newlines) or stdout."""
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    try:
        handle = path.open("w", encoding="utf-8", newline="")
    except OSError as e:
        raise SynthError(f"cannot write {path}: {e.strerror or e}") from e
    with handle:
        yield handle
