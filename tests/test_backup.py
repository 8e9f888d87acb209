"""Backup and restore: a SQLite store copied while it is written to is a consistent snapshot; restoring it brings
back the records and their annotations (not recomputed), upgrades a backup made by an older synth, and rebuilds
the vector index. PostgreSQL stores are backed up with pg_dump and restored with pg_restore, as the README says.
Also `synth db current|upgrade`."""

from __future__ import annotations

import csv
import sqlite3
import subprocess
import threading
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from synth import schema
from synth.cli import app
from synth.db import RecordStore
from synth.models import Chunk, Record

from .test_migrations import _old_store
from .test_synthesis import make_records

runner = CliRunner()


def _csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["id", "text", "district", "date"])
        w.writeheader()
        w.writerows(rows)
    return path


def _spans(db: Path) -> set[tuple[str, str, str]]:
    with sqlite3.connect(db) as conn:
        return set(conn.execute("SELECT id, annotator, sentiment_label FROM spans"))


def _invoke(*args: str) -> str:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res.stdout


@pytest.mark.sqlite_only
def test_backup_and_restore_bring_back_records_and_annotations(cli_env: Path, tmp_path: Path) -> None:
    rows = make_records({("District A", "2026-11"): {"lighting": 6, "speeding": 4}})
    _invoke("ingest", str(_csv(tmp_path / "a.csv", rows)))
    annotations = _invoke("annotations", "export")
    records = _invoke("records", "export")
    spans = _spans(cli_env / "synth.db")
    assert spans and len(records.splitlines()) == 11

    out = _invoke("backup", str(tmp_path / "b" / "synth-backup.db"))
    assert f"backed up 10 records to {tmp_path / 'b' / 'synth-backup.db'} (schema {schema.head()})" in out
    assert not list((tmp_path / "b").glob("*.partial")) and not list((tmp_path / "b").glob("*-wal"))
    assert runner.invoke(app, ["backup", str(tmp_path / "b" / "synth-backup.db")]).exit_code == 1  # no clobbering

    # Later changes that the restore must undo: more records, one deleted.
    _invoke("ingest", str(_csv(tmp_path / "more.csv", make_records({("District B", "2026-11"): {"park": 3}}, 50))))
    _invoke("records", "delete", "c1")
    assert _invoke("records", "export") != records

    refused = runner.invoke(app, ["restore", str(tmp_path / "b" / "synth-backup.db")])
    assert refused.exit_code == 1 and "--force" in refused.stderr
    out = _invoke("restore", str(tmp_path / "b" / "synth-backup.db"), "--force")
    assert "restored 10 records" in out and "reindexed 10 records" in out
    assert _invoke("records", "export") == records
    assert _spans(cli_env / "synth.db") == spans  # the stored annotations, as they were
    assert _invoke("annotations", "export") == annotations
    store = RecordStore(f"sqlite:///{cli_env / 'synth.db'}")
    assert store.unindexed_record_ids() == [] and store.forgotten_ids(["c1"]) == set()  # the deletion came after
    store.close()


def test_a_backup_taken_while_a_writer_writes_is_a_consistent_snapshot(tmp_path: Path) -> None:
    from synth.backup import backup

    url = f"sqlite:///{tmp_path / 'synth.db'}"
    store = RecordStore(url)
    run = store.start_run(["w"])
    stop = threading.Event()

    def write() -> None:
        n = 0
        while not stop.is_set():
            recs = [Record.model_validate({"id": f"w{n}-{i}", "text": f"note {n} {i}", "kind": "comment",
                                           "channel": "web_form", "source_file": "w", "source_row": i})
                    for i in range(20)]
            store.add_batch(recs, [Chunk(id=f"{r.id}#0", record_id=r.id, index=0, text=r.text, tokens=3)
                                   for r in recs], [], run)
            n += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        counts = []
        for i in range(3):
            report = backup(url, tmp_path / f"b{i}.db")
            with sqlite3.connect(tmp_path / f"b{i}.db") as conn:
                assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                n_records = conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]
                n_chunks = conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
            assert n_records == n_chunks == report.records and n_records % 20 == 0  # whole batches only
            counts.append(n_records)
    finally:
        stop.set()
        writer.join(30)
        store.close()
    assert counts[-1] > 0


@pytest.mark.sqlite_only
def test_restoring_a_backup_made_before_migrations_upgrades_it(cli_env: Path, tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    _old_store(f"sqlite:///{old}")
    out = _invoke("restore", str(old), "--no-reindex")
    assert "restored 1 records" in out and "(schema None)" in out
    assert _invoke("db", "current").startswith(f"{schema.head()} (up to date)")  # opening it upgraded it
    store = RecordStore(f"sqlite:///{cli_env / 'synth.db'}")
    assert store.get_record("r1") is not None and store.unindexed_record_ids() == ["r1"]
    store.close()
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not a database" * 100)
    res = runner.invoke(app, ["restore", str(bad), "--force"])
    assert res.exit_code == 1 and "not a readable SQLite backup" in res.stderr


@pytest.mark.sqlite_only
def test_db_current_and_upgrade_on_an_old_store(cli_env: Path) -> None:
    cli_env.mkdir(parents=True)
    _old_store(f"sqlite:///{cli_env / 'synth.db'}")
    assert _invoke("db", "current").startswith("none (an empty store, or one made before migrations")
    assert _invoke("db", "upgrade").strip() == f"upgraded a store without a version -> {schema.head()}"
    assert _invoke("db", "upgrade").strip() == f"already at {schema.head()}"


def test_postgresql_is_backed_up_with_pg_dump_and_restored_with_pg_restore(
        postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNTH_DATABASE_URL", postgres_url)
    monkeypatch.setenv("SYNTH_DATA_DIR", str(tmp_path / "data"))
    res = runner.invoke(app, ["backup", str(tmp_path / "x.db")])
    assert res.exit_code == 1 and "pg_dump -Fc" in res.stderr  # says what to use instead

    store = RecordStore(postgres_url)
    store.add_batch([Record.model_validate({"id": "p1", "text": "Lights out on Elm.", "kind": "comment",
                                            "channel": "web_form", "source_file": "a", "source_row": 1})],
                    [], [], store.start_run(["a"]))
    store.close()
    from .postgres import fresh_database, server_bin

    tools = server_bin()
    assert tools is not None
    url = make_url(postgres_url)
    conn = ["-h", str(url.host), "-p", str(url.port), "-U", str(url.username)]
    dump = tmp_path / "synth.dump"
    subprocess.run([str(tools / "pg_dump"), "-Fc", "-f", str(dump), *conn,
                    str(url.database)], check=True, capture_output=True, timeout=120)
    with fresh_database(postgres_url.rsplit("/", 1)[0] + "/postgres") as target:
        subprocess.run([str(tools / "pg_restore"), "--clean", "--if-exists",
                        "-d", str(make_url(target).database), *conn, str(dump)],
                       check=True, capture_output=True, timeout=120)
        restored = RecordStore(target)
        rec = restored.get_record("p1")
        assert rec is not None and rec.text == "Lights out on Elm."
        assert schema.current(restored.engine) == schema.head()
        restored.close()


def test_db_commands_say_when_the_database_cannot_be_reached(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNTH_DATABASE_URL", "postgresql+psycopg://synth@127.0.0.1:1/synth")  # nothing listens
    for command in (["db", "current"], ["db", "upgrade"]):
        res = runner.invoke(app, command)
        assert res.exit_code == 1 and "cannot open the store: connection failed" in res.stderr, res.output
