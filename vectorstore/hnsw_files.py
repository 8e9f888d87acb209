"""Zero the unused tail of embedded Chroma's HNSW files, so no leftover process memory reaches the disk.

Chroma's HNSW segment (`<segment uuid>/` under the Chroma directory) saves hnswlib's preallocated buffers
whole: `data_level0.bin` holds `max_elements` slots and `length.bin` one level count per slot, but only the
first `cur_element_count` slots were ever written. hnswlib allocates these buffers without zeroing them, so
the unused slots hold whatever the process's freed memory held: text from another store's upsert, or a file
read before redaction. That breaks "personal data never reaches the store", so after every write to the
index (while the directory's write lock is held) synth zeroes the bytes past the last used slot.

Readers never look past `cur_element_count`, and Chroma rewrites the files only while writing, so zeroing the
tail changes nothing Chroma reads. A header this module does not recognise is reported and left alone.
"""

from __future__ import annotations

import logging
import os
import struct
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

HEADER = "header.bin"
LEVEL0 = "data_level0.bin"
LEVELS = "length.bin"
LEVEL_COUNT_BYTES = 4  # one uint32 per slot in length.bin
# Chroma's hnswlib header: int32 persistence version, then size_t offsetLevel0, max_elements,
# cur_element_count, size_data_per_element (the rest is not needed here).
_HEADER_LAYOUT = struct.Struct("<i4Q")
_KNOWN_VERSIONS = (1,)
_CHUNK = 1 << 20


@dataclass(frozen=True)
class SegmentHeader:
    version: int
    max_elements: int
    used_elements: int
    bytes_per_element: int


def read_header(path: Path) -> SegmentHeader | None:
    raw = path.read_bytes()[:_HEADER_LAYOUT.size]
    if len(raw) < _HEADER_LAYOUT.size:
        return None
    version, _offset, max_elements, used, per_element = _HEADER_LAYOUT.unpack(raw)
    if version not in _KNOWN_VERSIONS or used > max_elements or per_element == 0:
        return None
    return SegmentHeader(version, max_elements, used, per_element)


def _zero_from(path: Path, start: int) -> int:
    """Overwrite path[start:] with zeros where it is not zero already; returns the bytes changed."""
    if not path.is_file():
        return 0
    changed = 0
    with path.open("r+b") as f:
        size = os.fstat(f.fileno()).st_size
        pos = start
        while pos < size:
            f.seek(pos)
            chunk = f.read(min(_CHUNK, size - pos))
            if chunk.count(0) != len(chunk):
                f.seek(pos)
                f.write(bytes(len(chunk)))
                changed += len(chunk)
            pos += len(chunk)
    return changed


class TailScrubber:
    """Zeroes the unused tails of every HNSW segment under one Chroma directory. It remembers each file's size
    and modification time after scrubbing, so a write that left a segment untouched costs one `stat`."""

    def __init__(self, chroma_dir: Path) -> None:
        self.chroma_dir = chroma_dir
        self._seen: dict[Path, tuple[int, int]] = {}

    def scrub(self) -> int:
        """Scrub the segments changed since the last call; returns the bytes zeroed."""
        changed = 0
        for header_path in self.chroma_dir.glob(f"*/{HEADER}"):
            segment = header_path.parent
            files = [segment / LEVEL0, segment / LEVELS]
            stamp = [_stamp(p) for p in files]
            if all(s is not None and self._seen.get(p) == s for p, s in zip(files, stamp, strict=True)):
                continue
            header = read_header(header_path)
            if header is None:
                log.warning("unrecognised HNSW header in %s: its unused tail is not scrubbed", segment)
                continue
            changed += _zero_from(segment / LEVEL0, header.used_elements * header.bytes_per_element)
            changed += _zero_from(segment / LEVELS, header.used_elements * LEVEL_COUNT_BYTES)
            for p in files:
                if (s := _stamp(p)) is not None:
                    self._seen[p] = s
        if changed:
            log.debug("zeroed %d unused HNSW bytes under %s", changed, self.chroma_dir)
        return changed


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_size, st.st_mtime_ns
