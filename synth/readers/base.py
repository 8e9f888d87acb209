"""What every reader shares: the raw row, the options, notices, and reading a file's bytes as text within limits."""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synth.columns import ColumnProfile
from synth.errors import InputError

DEFAULT_MAX_FILE_BYTES = 100_000_000
DEFAULT_MAX_JSON_DEPTH = 32


@dataclass
class RawRow:
    file: str
    row: int  # 1-based data row (CSV/xlsx: first row after the header; JSONL: line; JSON: element; note: 1)
    values: dict[str, Any]  # field name -> raw value
    # Lenient rows (meeting notes): a bad value in an optional field is left out with a warning instead of
    # rejecting the row; `fallbacks` gives the value to use instead, when there is one.
    lenient: bool = False
    fallbacks: dict[str, Any] = field(default_factory=dict)


@dataclass
class Notice:
    """A warning for the terminal (a column dropped, a field left out). Never stored: it may name a column."""

    file: str
    row: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}" if self.row is None else f"{self.file}, row {self.row}: {self.message}"


@dataclass
class ReadOptions:
    mapping: Mapping[str, str] = field(default_factory=dict)
    ignore: tuple[str, ...] = ()
    profile: ColumnProfile | None = None
    ignore_unknown: bool = False  # drop every unknown column (with a notice) instead of failing the file
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_json_depth: int = DEFAULT_MAX_JSON_DEPTH
    notices: list[Notice] = field(default_factory=list)  # readers append; the caller prints them


def _size(n: int) -> str:
    return f"{n / 1_000_000:,.1f} MB" if n >= 1_000_000 else f"{n:,} bytes"


def check_size(file: str, size: int, limit: int, what: str = "file is") -> None:
    if size > limit:
        raise InputError(file, f"{what} {_size(size)}; the limit is {_size(limit)} (SYNTH_MAX_FILE_BYTES). Split "
                               "it into smaller files or raise the limit. No row of this file was ingested.")


def read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        check_size(str(path), path.stat().st_size, max_bytes)
        return path.read_bytes()
    except OSError as e:
        raise InputError(str(path), f"cannot read file: {e.strerror or e}") from e


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _guess_bomless_utf16(data: bytes) -> str | None:
    """UTF-16 without a byte-order mark: ASCII-heavy text has a zero byte in every other position."""
    sample = data[:4096]
    half = len(sample) // 2
    if half < 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd >= 0.4 * half and even <= 0.05 * half:
        return "utf-16-le"
    if even >= 0.4 * half and odd <= 0.05 * half:
        return "utf-16-be"
    return None


def decode(file: str, data: bytes) -> str:
    """Text as UTF-8 (BOM allowed), UTF-16 or UTF-32 with a byte-order mark, or UTF-16 without one; otherwise an
    InputError that says how to fix it. Never quotes the file's content."""
    encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), None)
    if encoding is None and b"\x00" in data[:4096]:
        encoding = _guess_bomless_utf16(data)
        if encoding is None:
            raise InputError(file, "binary data (zero bytes), not text, or UTF-16 without a byte-order mark. Export "
                                   "it as UTF-8 CSV, JSON or .xlsx. No row of this file was ingested.")
    if encoding is not None and encoding != "utf-8-sig":
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as e:
            raise InputError(file, f"not valid {encoding.upper()} text (bad bytes at offset {e.start}). Re-save it "
                                   "as UTF-8. No row of this file was ingested.") from e
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            line = data[: e.start].count(b"\n") + 1
            raise InputError(
                file,
                f"not UTF-8 text (byte 0x{data[e.start]:02x} on line {line}). Re-save it as UTF-8, e.g. "
                f"`iconv -f cp1252 -t utf-8 IN > OUT`. No row of this file was ingested.",
            ) from e
    if not text.strip():
        raise InputError(file, "file is empty")
    return text


def read_text(path: Path, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> str:
    """Read a whole file as text within the size limit, or raise an InputError that says how to fix it."""
    data = read_bytes(path, max_bytes)
    if not data.strip():
        raise InputError(str(path), "file is empty")
    return decode(str(path), data)
