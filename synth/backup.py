"""Backing up and restoring the system of record (`synth backup DEST`, `synth restore SRC`).

- **SQLite**: SQLite's online backup copies the store page by page into a new file, as one consistent
  snapshot even while an ingest or the API writes (WAL: the copy reads, the writers go on). Restoring copies a
  backup back the same way, then opens the store, which upgrades a backup made by an older synth.
- **PostgreSQL**: the database server's own tools do this (`pg_dump -Fc`, `pg_restore`); see the README's
  "Operations" section. `backup` and `restore` say so rather than half-doing it.
- **The vector index is not backed up**: it is derived from the records, and `synth reindex` rebuilds it.

A backup holds the (redacted) records and everything derived from them: keep it as protected as the store.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from synth.errors import ConfigError, StoreError

POSTGRES_HINT = ("the store is PostgreSQL: back it up with `pg_dump -Fc -f synth.dump DBNAME` and restore with "
                 "`pg_restore --clean --if-exists -d DBNAME synth.dump` (see README, Operations)")


@dataclass(frozen=True)
class BackupReport:
    path: Path
    records: int
    revision: str | None  # the schema revision the copy is at


def sqlite_path(database_url: str) -> Path:
    """The file of a SQLite store, or a ConfigError naming what to do for another database."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        raise ConfigError(POSTGRES_HINT)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise ConfigError(f"backup and restore handle SQLite files; {url.get_backend_name()} stores are "
                          "backed up with their server's tools")
    return Path(url.database)


def _summary(conn: sqlite3.Connection) -> tuple[int, str | None]:
    """(records, schema revision) of a SQLite store, or a StoreError if it is not a synth store."""
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "records" not in tables:
        raise StoreError("not a synth store (it has no records table)")
    records = int(conn.execute("SELECT COUNT(*) FROM records").fetchone()[0])
    revision = None
    if "alembic_version" in tables:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    return records, revision


def _copy(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    source.backup(target)  # all pages in one step: a snapshot of one moment


def backup(database_url: str, dest: Path, *, overwrite: bool = False) -> BackupReport:
    """Copy the store into `dest` (a new file, written beside it and renamed when complete)."""
    src_path = sqlite_path(database_url)
    if not src_path.exists():
        raise StoreError(f"no store at {src_path}")
    if dest.exists() and not overwrite:
        raise StoreError(f"{dest} exists; choose a new file or pass --force")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(src_path, timeout=60)
    target = sqlite3.connect(partial)
    try:
        _copy(source, target)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        records, revision = _summary(target)
    finally:
        source.close()
        target.close()
    os.replace(partial, dest)
    return BackupReport(dest, records, revision)


def restore(database_url: str, src: Path, *, overwrite: bool = False) -> BackupReport:
    """Replace the store's contents with the backup `src` (checked first). A store that holds records is only
    replaced with `overwrite`. The caller opens the store afterwards (which upgrades an older backup) and
    rebuilds the vector index."""
    store_path = sqlite_path(database_url)
    if not src.is_file():
        raise StoreError(f"no backup at {src}")
    backup_conn = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    try:
        if (check := backup_conn.execute("PRAGMA integrity_check").fetchone()[0]) != "ok":
            raise StoreError(f"{src} is damaged: {check}")
        records, revision = _summary(backup_conn)
        store_path.parent.mkdir(parents=True, exist_ok=True)
        store = sqlite3.connect(store_path, timeout=60)
        try:
            if not overwrite and store_has_records(store):
                raise StoreError(f"the store at {store_path} holds records; pass --force to replace them")
            _copy(backup_conn, store)
        finally:
            store.close()
    except sqlite3.DatabaseError as e:
        raise StoreError(f"{src} is not a readable SQLite backup: {e}") from None
    finally:
        backup_conn.close()
    return BackupReport(store_path, records, revision)


def store_has_records(conn: sqlite3.Connection) -> bool:
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return "records" in tables and conn.execute("SELECT 1 FROM records LIMIT 1").fetchone() is not None
