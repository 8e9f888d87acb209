"""One embedded Chroma directory, several processes (CLI ingests, the API).

Embedded Chroma keeps each collection's vector graph in the memory of the process that opened it and is not
safe across processes: a process that opened the index before another process added to it finds ids in the
shared metadata that its own graph lacks ("Error finding id"), and two writers could each save a graph that
misses the other's additions. synth therefore keeps, beside Chroma's files:

- `synth-index.lock`: writers (upsert, delete, drop) hold it exclusively, readers shared, one operation at a
  time, so nobody reads half of a write.
- `synth-generation`: a number every write bumps while it holds the lock. Before each operation a process
  compares it with the number it saw when it opened Chroma; if another process wrote since, it reopens its
  client (a fresh graph, loaded from what Chroma committed) first.

The SQL store stays the system of record; this only keeps each process's view of the derived index current.
A Chroma server (`SYNTH_CHROMA_URL`) owns its index itself and needs none of this. Where the platform has no
`fcntl` (Windows) the lock is skipped and the generation check (plus one retry after reopening) still applies.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = "synth-index.lock"
GENERATION_FILE = "synth-generation"


class SharedDirectory:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_file: IO[bytes] | None = None

    @contextmanager
    def locked(self, *, exclusive: bool) -> Iterator[None]:
        """Hold the directory's lock (callers in one process take turns: the lock is one open file)."""
        if fcntl is None:
            yield
            return
        if self._lock_file is None:
            self.path.mkdir(parents=True, exist_ok=True)
            self._lock_file = (self.path / LOCK_FILE).open("ab")
        fcntl.flock(self._lock_file, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)

    def generation(self) -> int:
        try:
            return int((self.path / GENERATION_FILE).read_text(encoding="ascii").strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def bump(self) -> int:
        """Count one more write (call while holding the lock exclusively); returns the new generation."""
        new = self.generation() + 1
        tmp = self.path / f"{GENERATION_FILE}.{os.getpid()}.tmp"
        tmp.write_text(str(new), encoding="ascii")
        os.replace(tmp, self.path / GENERATION_FILE)  # readers see the old number or the new, never half
        return new

    def close(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None


def embedded_directory(client: Any) -> Path | None:
    """The directory of an embedded persistent client; None for a Chroma server or an in-memory client."""
    try:
        settings = client.get_settings()
    except AttributeError:
        return None
    if getattr(settings, "is_persistent", False) and getattr(settings, "persist_directory", None) \
            and "FastAPI" not in str(getattr(settings, "chroma_api_impl", "")):
        return Path(settings.persist_directory)
    return None


def reopen_client(client: Any) -> Any:
    """A new embedded client on the same directory, with a graph loaded from disk. Chroma caches one system per
    directory in a process; that cached system is the stale one, so it is dropped from the cache (other clients
    in this process that still hold it keep it until they close)."""
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient

    settings = client.get_settings()
    client.close()
    SharedSystemClient._identifier_to_system.pop(settings.persist_directory, None)
    return chromadb.PersistentClient(path=settings.persist_directory, settings=settings)
