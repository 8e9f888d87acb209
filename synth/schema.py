"""The store's schema version: Alembic revisions in `synth/migrations/versions/`, applied whenever a store is
opened (`upgrade`, called by `synth.db.make_engine`) and by `synth db upgrade`, so a new synth keeps a
department's data, on SQLite or PostgreSQL.

- **One guarded step.** The revisions run in one write transaction that holds the schema lock (SQLite:
  `BEGIN IMMEDIATE`; PostgreSQL: a transaction-scoped advisory lock), and Alembic reads the store's version
  inside it: of two processes opening a fresh store at once, the second waits, then finds it at head. A store
  already at head takes no lock (one `SELECT`).
- **Stores from before migrations** (tables, no `alembic_version`) are brought to the baseline by the
  baseline revision itself, which creates only what is missing and keeps the rest with its data; later
  revisions then apply as to any store.
- **A new table needs a revision**: `tests/test_migrations.py` compares a migrated empty store with
  `all_metadata()` and fails on any difference.
"""

from __future__ import annotations

import importlib
import time
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from synth.db_engine import SCHEMA_LOCK, write_engine

MIGRATIONS = Path(__file__).parent / "migrations"
# Every module that defines tables on synth.db.Base (a new one is added here and gets a revision).
TABLE_MODULES = ("synth.db", "synth.synthesis.store", "synth.synthesis.llm_cache", "synth.ask.cache",
                 "synth.ask.conversation", "synth.users", "synth.audit", "synth.ingest_jobs", "synth.contacts",
                 "synth.actions", "synth.synthesis.review.corrections")
_RACE_WORDS = ("already exists", "duplicate column", "duplicate key")


def all_metadata() -> MetaData:
    """The metadata of every table synth defines (imports each module that defines some)."""
    for name in TABLE_MODULES:
        importlib.import_module(name)
    from synth.db import Base

    return Base.metadata


def _config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def head() -> str:
    """The newest revision this synth knows."""
    rev = ScriptDirectory.from_config(_config()).get_current_head()
    assert rev, "synth/migrations/versions holds no revision"
    return rev


def current(engine: Engine) -> str | None:
    """The store's revision (None: empty, or made before migrations)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, target: str = "head") -> None:
    """Apply the revisions the store lacks, in one transaction under the schema lock (retried if another
    program created the same table in between)."""
    if target == "head" and current(engine) == head():
        return
    for attempt in range(6):
        try:
            with write_engine(engine).begin() as conn:
                if engine.dialect.name == "postgresql":
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})")
                command.upgrade(_config(conn), target)
            return
        except DBAPIError as e:
            if attempt == 5 or not any(w in str(e.orig).lower() for w in _RACE_WORDS):
                raise
            time.sleep(0.05 * (attempt + 1))
