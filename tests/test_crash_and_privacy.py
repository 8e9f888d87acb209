"""The two promises a coordinator cannot check by eye, tested on the real stack (presidio, MiniLM, SQLite,
Chroma): personal data never reaches the store, and a killed ingest, rerun, ends with exact counts."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from samplecity import generate_city
from synth.services import Services
from synth.settings import Settings
from tests.signals import interruptible

pytestmark = pytest.mark.slow


def _count(db: Path, sql: str) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
            return int(con.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0


def _ingest_cmd(city: Path) -> list[str]:
    return [sys.executable, "-m", "synth.cli", "ingest", str(city / "notes"), str(city / "comments")]


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("city")
    truth = generate_city(out, records=1200, seed=11, pii_records=50)
    return out, truth


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_killed_ingest_then_rerun_ends_with_exact_counts(tmp_path: Path, city, sig: signal.Signals) -> None:  # type: ignore[no-untyped-def]
    city_dir, truth = city
    data = tmp_path / "data"
    env = {**os.environ, "SYNTH_DATA_DIR": str(data), "SYNTH_INGEST_BATCH_SIZE": "40"}
    db = data / "synth.db"
    proc = subprocess.Popen(_ingest_cmd(city_dir), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=interruptible)
    deadline = time.monotonic() + 120
    while _count(db, "select count(*) from records where indexed = 1") < 80:
        assert proc.poll() is None, f"ingest ended before it could be interrupted: {proc.communicate()}"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=120)
    stored = _count(db, "select count(*) from records")
    # Interrupted mid-run: the index queue holds two batches, so storing cannot run far ahead of indexing.
    assert 0 < stored < truth.records_total
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and "rerun the same command to finish" in stderr

    rerun = subprocess.run(_ingest_cmd(city_dir), env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    m = re.search(r"read (\d+), accepted (\d+), rejected (\d+), duplicates (\d+)", rerun.stdout)
    assert m, rerun.stdout
    read, accepted, rejected, duplicates = map(int, m.groups())
    assert (read, rejected) == (truth.records_total, 0)
    assert duplicates == stored and accepted == truth.records_total - stored

    svc = Services(Settings(data_dir=data, _env_file=None))
    try:
        assert svc.records.count_records() == truth.records_total
        assert svc.records.unindexed_record_ids() == []
        assert svc.index.count() == svc.records.count_chunks()
        assert {h.record_id for h in svc.index.get()} == set(truth.records)
    finally:
        svc.close()


def test_planted_personal_data_never_reaches_the_store(tmp_path: Path, city) -> None:  # type: ignore[no-untyped-def]
    city_dir, truth = city
    planted = {rid: r.pii for rid, r in truth.records.items() if r.pii}
    assert len(planted) == 50
    data = tmp_path / "data"
    svc = Services(Settings(data_dir=data, embedder="hashing", _env_file=None))
    try:
        report = svc.ingestor.ingest([city_dir / "notes", city_dir / "comments"])
        assert report.accepted == truth.records_total
        for rid in planted:
            assert svc.records.get_record(rid).redaction_total > 0, rid
    finally:
        svc.close()
    # Every byte the store wrote: SQLite (and its WAL), Chroma's files.
    blobs = [p.read_bytes() for p in data.rglob("*") if p.is_file()]
    secrets = {s for values in planted.values() for s in values} | set(truth.note_takers)
    leaks = sorted(s for s in secrets if any(s.encode() in b for b in blobs))
    assert leaks == []
