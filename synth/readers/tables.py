"""Tables: CSV text and Excel workbooks (.xlsx). The header row names the columns (synth.columns maps them);
rows are numbered as data records, 1 = the first row after the header."""

from __future__ import annotations

import csv
import datetime as dt
import sys
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from synth.columns import ColumnMap, resolve_columns
from synth.errors import InputError
from synth.models import Rejection
from synth.readers.base import Notice, RawRow, ReadOptions, check_size

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # an oversized field is rejected by length, not by csv


def _columns(file: str, headers: Sequence[str], options: ReadOptions) -> ColumnMap:
    cols = resolve_columns(file, headers, mapping=options.mapping, ignore=options.ignore, profile=options.profile,
                           ignore_unknown=options.ignore_unknown)
    if cols.unknown:
        options.notices.append(Notice(file, None, "dropped unknown column(s) (--ignore-unknown): "
                                                  + ", ".join(repr(u[:80]) for u in cols.unknown)))
    return cols


# -- CSV -------------------------------------------------------------------------------------------------------
def read_csv(file: str, text: str, options: ReadOptions) -> Iterator[RawRow | Rejection]:
    lines = text.splitlines(keepends=True)
    header_reader = csv.reader(lines[:1])
    headers = next(header_reader, [])
    if not any(h.strip() for h in headers):
        raise InputError(file, "no header row; the first line must name the columns (e.g. id,text,district,date)")
    cols = _columns(file, headers, options)
    yield from _csv_rows(file, lines, 1, headers, cols)


def _row(file: str, row_no: int, headers: Sequence[str], values: Sequence[str], cols: ColumnMap) -> RawRow | Rejection:
    pairs = dict(zip(headers, values, strict=False))  # cells past the header are empty (checked by the caller)
    for header, (bad, reason) in cols.reject_rows.items():
        if pairs.get(header, "").strip() in bad:
            return Rejection(file=file, row=row_no, field=None, reason=reason)
    return RawRow(file, row_no, {cols.fields[h]: v for h, v in pairs.items() if h in cols.fields})


def _csv_rows(
    file: str, lines: list[str], start: int, headers: list[str], cols: ColumnMap
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
                yield _row(file, row_no, headers, values, cols)
            else:
                return
        except csv.Error as e:
            row_no += 1
            yield Rejection(file=file, row=row_no, field=None,
                            reason=f"unreadable CSV on line {record_start + 1} ({e}); check its quotes")
            pos = record_start + 1


# -- Excel workbooks -------------------------------------------------------------------------------------------
def _cell(value: Any) -> str:
    """A cell as the text a CSV export would hold: dates as ISO, whole numbers without '.0'."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(path: Path, options: ReadOptions) -> Iterator[RawRow | Rejection]:
    """The first worksheet of a workbook (survey tools export one sheet). Checks the file eagerly: its size,
    the size it unpacks to (a small .xlsx can unpack to gigabytes), and that it is a workbook at all."""
    import openpyxl  # only when a workbook is read
    from openpyxl.utils.exceptions import InvalidFileException

    file = str(path)
    try:
        check_size(file, path.stat().st_size, options.max_file_bytes)
        with zipfile.ZipFile(path) as z:
            check_size(file, sum(i.file_size for i in z.infolist()), options.max_file_bytes, "workbook unpacks to")
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except OSError as e:
        raise InputError(file, f"cannot read file: {e.strerror or e}") from e
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, SyntaxError) as e:  # XML errors too
        raise InputError(file, "not a readable Excel workbook (.xlsx); re-save it from the spreadsheet program "
                               "as .xlsx or export CSV. No row of this file was ingested.") from e
    return _xlsx_rows(file, wb, options)


def _xlsx_rows(file: str, wb: Any, options: ReadOptions) -> Iterator[RawRow | Rejection]:
    try:
        if not wb.worksheets:
            raise InputError(file, "the workbook has no worksheet")
        if len(wb.worksheets) > 1:
            options.notices.append(Notice(file, None, f"read the first of {len(wb.worksheets)} worksheets only"))
        sheet = wb.worksheets[0]
        sheet.reset_dimensions()  # some tools write a wrong used range; read every row that is there
        rows = sheet.iter_rows(values_only=True)
        header_cells = next(rows, None)
        headers = [_cell(c).strip() for c in header_cells or ()]
        while headers and not headers[-1]:
            headers.pop()  # trailing empty cells of the header row
        if not any(headers):
            raise InputError(file, "no header row; the first row must name the columns (e.g. id, text, district)")
        cols = _columns(file, headers, options)
        for row_no, cells in enumerate(rows, start=1):
            values = [_cell(c) for c in cells]
            if not any(v.strip() for v in values):
                continue  # empty row
            if any(v.strip() for v in values[len(headers):]):
                yield Rejection(file=file, row=row_no, field=None,
                                reason=f"row has values beyond the header's {len(headers)} columns")
                continue
            values += [""] * (len(headers) - len(values))
            yield _row(file, row_no, headers, values, cols)
    except (zipfile.BadZipFile, KeyError, ValueError, EOFError, SyntaxError) as e:
        raise InputError(file, "the workbook is damaged part-way through; rows before the damage were read. "
                               "Re-save it from the spreadsheet program.") from e
    finally:
        wb.close()
