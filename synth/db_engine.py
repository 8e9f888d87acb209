"""Opening the SQL store so that several processes can write to it at once (CLI ingests side by side, a CLI
ingest beside the API).

- **Write transactions take the write lock first.** On SQLite a plain `BEGIN` reads before it writes and can
  fail with "database is locked" when another process commits in between; `write_engine()` gives connections
  whose transactions start with `BEGIN IMMEDIATE` (they wait up to `BUSY_SECONDS` for the lock instead).
  PostgreSQL needs nothing here.
- **The schema is created in one guarded step** (`create_tables`; the store's own tables are made and upgraded
  by the migrations in `synth/schema.py`, under the same lock): the check for each table and its
  `CREATE TABLE` happen in one write transaction (SQLite: under `BEGIN IMMEDIATE`; PostgreSQL: under a
  transaction-scoped advisory lock), so two processes opening a fresh store do not both try to create it. A
  remaining "already exists" (another program creating the same table) is retried, and then seen as present.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import MetaData, Table, create_engine, event, inspect
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

BUSY_SECONDS = 60  # how long a SQLite writer waits for another process's transaction to end
SCHEMA_LOCK = 0x5379_6E74  # PostgreSQL advisory lock key for schema changes ("Synt")
WRITE_LOCK = 0x5379_6E77  # PostgreSQL advisory lock key held by write transactions, as SQLite's write lock
_RACE_WORDS = ("already exists", "duplicate column")


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
            cur.execute("PRAGMA journal_mode=WAL")
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


def create_tables(engine: Engine, metadata: MetaData, tables: Sequence[Table] | None = None,
                  columns: Sequence[tuple[str, str, str]] = ()) -> None:
    """Create the missing tables (and `columns`: (table, column, SQL type and default) added to tables made by
    an earlier version), in one transaction that holds the write lock, retried on a lost race."""
    names = [t.name for t in tables] if tables is not None else list(metadata.tables)
    existing = set(inspect(engine).get_table_names())
    if set(names) <= existing and not _missing_columns(engine, columns):
        return  # the common case: nothing to do, no lock taken
    for attempt in range(6):
        try:
            with write_engine(engine).begin() as conn:
                if engine.dialect.name == "postgresql":
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})")
                metadata.create_all(conn, tables=tables)
                for table, column, sql in _missing_columns(conn, columns):
                    conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} {sql}")
            return
        except DBAPIError as e:
            if attempt == 5 or not any(w in str(e.orig).lower() for w in _RACE_WORDS):
                raise
            time.sleep(0.05 * (attempt + 1))


def _missing_columns(bind: Engine | Connection,
                     columns: Sequence[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    if not columns:
        return []
    insp = inspect(bind)
    tables = set(insp.get_table_names())
    have = {t: {c["name"] for c in insp.get_columns(t)} for t in {t for t, _, _ in columns} if t in tables}
    return [(t, c, sql) for t, c, sql in columns if t in have and c not in have[t]]
