"""`synth db upgrade|current`, `synth backup DEST` and `synth restore SRC`: the store's schema version, and
copies of the system of record (see synth/schema.py and synth/backup.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import OperationalError

from synth.cli_common import err, out, progress_bar, services
from synth.errors import SynthError
from synth.settings import Settings

db_app = typer.Typer(help="The store's schema version (migrations).", no_args_is_help=True)


@contextmanager
def _settings() -> Iterator[Settings]:
    try:
        settings = Settings()
    except ValueError as e:  # pydantic-settings validation
        err.print(f"[red]error:[/] bad settings: {e}")
        raise typer.Exit(1) from None
    try:
        yield settings
    except SynthError as e:
        err.print(f"[red]error:[/] {e}")
        raise typer.Exit(1) from None
    except OperationalError as e:  # the database server cannot be reached, or refused the credentials
        err.print(f"[red]error:[/] cannot open the store: {str(e.orig).strip().splitlines()[0]}", highlight=False)
        raise typer.Exit(1) from None


def _describe(revision: str | None, head: str) -> str:
    if revision == head:
        return f"{revision} (up to date)"
    if revision is None:
        return f"none (an empty store, or one made before migrations; `synth db upgrade` brings it to {head})"
    return f"{revision} (this synth is at {head}: run `synth db upgrade`)"


@db_app.command("current")
def db_current() -> None:
    """The store's schema revision, without changing anything."""
    from synth import schema
    from synth.db_engine import make_engine  # the bare engine: opening a RecordStore would upgrade the store

    with _settings() as settings:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.resolved_database_url)
        try:
            out.print(_describe(schema.current(engine), schema.head()), highlight=False)
        finally:
            engine.dispose()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations the store lacks (opening the store does this too; this says what it did)."""
    from synth import schema
    from synth.db_engine import make_engine

    with _settings() as settings:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.resolved_database_url)
        try:
            before = schema.current(engine)
            schema.upgrade(engine)
            after = schema.current(engine)
        finally:
            engine.dispose()
    if before == after:
        out.print(f"already at {after}", highlight=False)
    else:
        out.print(f"upgraded {before or 'a store without a version'} -> {after}", highlight=False)


def backup_command(
    dest: Annotated[Path, typer.Argument(help="the backup file to write (a SQLite file)")],
    force: Annotated[bool, typer.Option("--force", help="overwrite DEST if it exists")] = False,
) -> None:
    """Copy the store (SQLite) into DEST, consistently even while ingests or the API write. PostgreSQL: pg_dump."""
    from synth.backup import backup

    with _settings() as settings:
        report = backup(settings.resolved_database_url, dest, overwrite=force)
    out.print(f"backed up {report.records} records to {report.path} (schema {report.revision})", highlight=False)
    err.print("the vector index is not in the backup: `synth reindex` rebuilds it after a restore")


def restore_command(
    src: Annotated[Path, typer.Argument(help="a file written by `synth backup`")],
    force: Annotated[bool, typer.Option("--force", help="replace a store that holds records")] = False,
    reindex: Annotated[bool, typer.Option(help="rebuild the vector index from the restored records")] = True,
) -> None:
    """Replace the store (SQLite) with a backup, upgrade it to this version and rebuild the vector index. Stop
    the API and ingests first. PostgreSQL: pg_restore."""
    from synth.backup import restore

    with _settings() as settings:
        report = restore(settings.resolved_database_url, src, overwrite=force)
    out.print(f"restored {report.records} records from {src} (schema {report.revision})", highlight=False)
    with services() as svc:  # opening the store upgrades a backup made by an older synth
        if not reindex:
            svc.records.mark_all_unindexed()  # the next ingest indexes them; `synth reindex` rebuilds at once
            err.print("the vector index still holds the replaced store's entries: run `synth reindex`")
            return
        with progress_bar() as bar:
            task = bar.add_task("index", total=None)
            n = svc.reindex(lambda stage, done, total: bar.update(task, completed=done, total=total))
    out.print(f"reindexed {n} records")
