"""Opening the SQL store so that several processes can write to it at once (CLI ingests side by side, a CLI
ingest beside the API).

- **Write transactions take the write lock first.** On SQLite a plain `BEGIN` reads before it writes and can
  fail with "database is locked" when another process commits in between; `write_engine()` gives connections
  whose transactions start with `BEGIN IMMEDIATE` (they wait up to `BUSY_SECONDS` for the lock instead).
  PostgreSQL needs nothing here.
- **The schema** is made and upgraded by the migrations (`synth/schema.py`) in one write transaction under
  the same lock (SQLite `BEGIN IMMEDIATE`; PostgreSQL the `SCHEMA_LOCK` advisory lock), so two processes
  opening a fresh store do not both try to create it.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine

BUSY_SECONDS = 60  # how long a SQLite writer waits for another process's transaction to end
SCHEMA_LOCK = 0x5379_6E74  # PostgreSQL advisory lock key for schema changes ("Synt")
WRITE_LOCK = 0x5379_6E77  # PostgreSQL advisory lock key held by write transactions, as SQLite's write lock


def make_engine(url: str) -> Engine:
    sqlite = url.startswith("sqlite")
    connect_args: dict[str, Any] = {"timeout": BUSY_SECONDS} if sqlite else {}
    if url.startswith("postgresql+psycopg"):
        # Times are stored as UTC without a zone (as on SQLite), whatever the server's or database's time zone.
        connect_args["options"] = "-c timezone=UTC"
    # pool_pre_ping: a pooled connection the server dropped (a restart, a fail-over, an idle timeout) is replaced
    # before use instead of failing the next request.
    engine = create_engine(url, future=True, connect_args=connect_args, pool_pre_ping=not sqlite)
    if not sqlite:
        @event.listens_for(engine, "begin")
        def _begin_write(conn: Connection) -> None:
            if conn.get_execution_options().get("synth_write"):  # see write_engine
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")

    if sqlite:
        # WAL lets readers (the API) work while an ingest writes; foreign keys are off by default in SQLite.
        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            _use_wal(cur)
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            if conn.get_execution_options().get("synth_write"):
                conn.exec_driver_sql("BEGIN IMMEDIATE")  # the driver sees the open transaction and adds none

    return engine


def write_engine(engine: Engine) -> Engine:
    """The same engine (same pool) whose transactions take the write lock when they begin: SQLite's, or on
    PostgreSQL a transaction-scoped advisory lock, so that write transactions run one at a time there too (a
    read-then-write such as replacing a record's spans or an upsert cannot interleave with another process's
    and fail on a duplicate key)."""
    return engine.execution_options(synth_write=True)


def _use_wal(cur: Any) -> None:
    """Switch the file to WAL once (the mode is kept in the file). The switch needs the file to itself and
    SQLite does not wait for it (no busy handler): processes opening a fresh store at once got "database is
    locked", so it is retried for up to BUSY_SECONDS."""
    import sqlite3

    deadline = time.monotonic() + BUSY_SECONDS
    while True:
        try:
            if str(cur.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
