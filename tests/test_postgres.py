"""PostgreSQL as the system of record, on a real server started for the session (tests/postgres.py): the record
store, an ingest through Services, exact summaries, forgetting a record, and two `synth ingest` processes
writing into one PostgreSQL store (with one Chroma server) at the same time."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest
from sqlalchemy.engine import make_url

from samplecity import generate_city
from synth.db import IngestRunRow, RecordStore
from synth.forget import Forgetter
from synth.models import Chunk, Record, Rejection
from synth.redact import RegexRedactor
from synth.services import Services
from synth.settings import Settings
from synth.synthesis.annotate import OfflineAnnotator
from synth.synthesis.models import SentimentScore
from synth.synthesis.pipeline import Synthesizer
from synth.synthesis.store import StoredSpan, SynthesisStore
from vectorstore.embeddings import HashingEmbedder

from .test_synthesis import CONFIG, PLAN, KeywordSentiment, make_records
from .test_writers import LINE

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_services(tmp_path: Path, postgres_url: str) -> Iterator[Services]:
    settings = Settings(data_dir=tmp_path / "data", database_url=postgres_url, embedder="hashing",
                        redactor="regex", ingest_batch_size=16, _env_file=None)
    svc = Services(settings, _embedder=HashingEmbedder(), _redactor=RegexRedactor())
    yield svc
    svc.close()


def _record(rid: str, text: str, district: str = "District 1") -> Record:
    return Record.model_validate({"id": rid, "text": text, "district": district, "date": "2026-10-01",
                                  "kind": "comment", "channel": "web_form", "source_file": "a.csv",
                                  "source_row": 2, "text_hash": f"h{rid}"})


def test_the_record_store_on_postgresql(postgres_url: str) -> None:
    store = RecordStore(postgres_url)
    assert store.engine.dialect.name == "postgresql"
    run = store.start_run(["a.csv"])
    a, b = _record("r1", "Lights out on Elm."), _record("r2", "Speeding on Oak.", "District 2")
    chunk = Chunk(id="r1#0", record_id="r1", index=0, text=a.text, tokens=5)
    taken = store.add_batch([a, b], [chunk], [Rejection(file="a.csv", row=4, field="text", reason="empty")], run)
    assert taken == {} and store.count_records() == 2 and store.count_chunks() == 1
    assert store.add_batch([a], [], [], run) == {"r1": a.text_hash}  # already stored: handed back, not stored
    assert store.existing_ids(["r1", "r3"]) == {"r1"} and store.unindexed_record_ids() == ["r1", "r2"]
    store.mark_indexed(["r1"])
    assert store.unindexed_record_ids() == ["r2"]
    assert [(d.district, d.records) for d in store.district_stats()] == [("District 1", 1), ("District 2", 1)]
    assert store.rejections(run)[0].reason == "empty"
    store.set_meta("embedder", "hashing")
    store.set_meta("embedder", "minilm")
    assert store.get_meta("embedder") == "minilm"
    store.finish_run(run, "done", {"accepted": 2}, 0.1)
    got = store.get_record("r2")
    assert got is not None and got.text == "Speeding on Oak." and got.date is not None
    store.close()


def test_ingest_summaries_and_forgetting_on_postgresql(pg_services: Services, write: Any) -> None:
    rows = make_records(PLAN)
    out = io.StringIO()
    csv.DictWriter(out, ["id", "text", "district", "date"]).writeheader()
    csv.DictWriter(out, ["id", "text", "district", "date"]).writerows(rows)
    table = out.getvalue()
    report = pg_services.ingestor.ingest([write("city.csv", table)])
    assert report.accepted == len(rows) == 89 and report.rejected == 0
    assert pg_services.records.count_records() == 89 and pg_services.records.unindexed_record_ids() == []
    assert pg_services.index.count() == pg_services.records.count_chunks()

    synth = Synthesizer(pg_services.records, OfflineAnnotator(HashingEmbedder(), KeywordSentiment()), config=CONFIG)
    synth.refresh()
    summaries = {s.district: s for s in synth.summarize(period="2026-11")}
    assert summaries["District A"].counts.records == sum(PLAN[("District A", "2026-11")].values())
    assert sorted(t.mentions for t in summaries["City-wide"].themes) == [11, 18, 27]

    [gone] = Forgetter(pg_services.records, pg_services.index).delete(["c0"])
    assert gone.found and pg_services.records.get_record("c0") is None
    assert pg_services.records.count_records() == 88
    again = pg_services.ingestor.ingest([write("again.csv", table)])  # re-importing does not bring it back
    assert again.accepted == 0 and pg_services.records.count_records() == 88
    assert "c0" not in {q.record_id for s in synth.summarize(period="2026-10") for t in s.themes for q in t.quotes}


def test_two_processes_ingest_into_one_postgresql_store_at_once(tmp_path: Path, postgres_url: str,
                                                                chroma_server: str) -> None:
    city_dir, truth = tmp_path / "city", generate_city(tmp_path / "city", records=160, seed=7, pii_records=4)
    env = {**os.environ, "SYNTH_EMBEDDER": "hashing", "SYNTH_REDACTOR": "regex", "SYNTH_INGEST_BATCH_SIZE": "20",
           "SYNTH_DATA_DIR": str(tmp_path / "data"), "SYNTH_DATABASE_URL": postgres_url,
           "SYNTH_CHROMA_URL": chroma_server, "SYNTH_COLLECTION": f"pg_{tmp_path.name[-8:]}",
           "PYTHONPATH": str(Path(__file__).parents[1])}
    procs = [subprocess.Popen([sys.executable, "-m", "synth.cli", "ingest", str(city_dir / a), str(city_dir / b)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for a, b in (("notes", "comments"), ("comments", "notes"))]
    lines = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        m = LINE.search(out)
        assert m, out
        lines.append(tuple(map(int, m.groups())))
    assert all(read == truth.records_total and rejected == 0 for read, _, rejected, _ in lines)
    assert sum(line[1] for line in lines) == truth.records_total  # each record stored by one process
    assert sum(line[3] for line in lines) == truth.records_total  # and a duplicate for the other

    settings = Settings(data_dir=tmp_path / "data", database_url=postgres_url, chroma_url=chroma_server,
                        collection=env["SYNTH_COLLECTION"], embedder="hashing", redactor="regex", _env_file=None)
    svc = Services(settings, _embedder=HashingEmbedder(), _redactor=RegexRedactor())
    try:
        assert {r.id for r in svc.records.iter_records()} == set(truth.records)
        assert svc.records.unindexed_record_ids() == []
        assert svc.index.count() == svc.records.count_chunks()
        assert not (tmp_path / "data" / "synth.db").exists()  # nothing went to a SQLite file on the side
    finally:
        svc.close()


def test_a_summary_document_round_trips_through_postgresql_json(pg_services: Services, write: Any) -> None:
    """JSON columns (summaries, top concerns, redaction counts) come back as they went in."""
    note = {"id": "n1", "text": "Residents asked about lights. Call 555-123-4567.", "district": "District 1",
            "date": "2026-10-01", "top_concerns": ["Street lighting", "Speeding"]}
    assert pg_services.ingestor.ingest([write("n.jsonl", json.dumps(note) + "\n")]).accepted == 1
    rec = pg_services.records.get_record("n1")
    assert rec is not None and rec.top_concerns == ["Street lighting", "Speeding"]
    assert "555-123-4567" not in rec.text and sum(rec.redactions.values()) >= 1


def test_times_are_stored_in_utc_whatever_the_servers_time_zone(postgres_url: str) -> None:
    name = make_url(postgres_url).database
    with psycopg.connect(postgres_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {name} SET timezone TO 'America/New_York'")
    store = RecordStore(postgres_url)
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    run = store.start_run(["a.csv"])
    with store.session() as s:
        row = s.get(IngestRunRow, run)
        assert row is not None
        started = row.started_at
    store.close()
    assert abs((started.replace(tzinfo=None) - before).total_seconds()) < 60  # not 5 hours off


def test_the_store_survives_the_server_dropping_its_connections(postgres_url: str) -> None:
    """A database restart or fail-over closes every pooled connection: the next request reconnects."""
    store = RecordStore(postgres_url)
    assert store.count_records() == 0  # a pooled connection now exists
    with psycopg.connect(postgres_url.replace("+psycopg", ""), autocommit=True) as conn:
        dropped = conn.execute("SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity "
                               "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchone()
    assert dropped is not None and dropped[0] >= 1
    assert store.count_records() == 0
    store.close()


def test_processes_writing_the_same_rows_at_once_wait_for_each_other(postgres_url: str) -> None:
    """Two API workers annotating the same new records, or storing the same setting, at the same moment: a
    read-then-write in one must not interleave with the other's (it failed on a duplicate key before write
    transactions took PostgreSQL's advisory write lock, as they take SQLite's write lock)."""
    store = RecordStore(postgres_url)
    recs = [_record(f"r{i}", f"Lights out on street {i}.") for i in range(200)]
    store.add_batch(recs, [], [], store.start_run(["a.csv"]))
    spans = [StoredSpan(r.id, j, r.text, np.zeros(8), SentimentScore(label="neutral", score=0.0))
             for r in recs for j in range(3)]
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def annotate_and_configure(worker: int) -> None:
        other = RecordStore(postgres_url)
        try:
            start.wait()
            SynthesisStore(other).replace_spans([r.id for r in recs], spans, "annotator-1")
            other.set_meta("embedder", f"e{worker}")
        except BaseException as e:  # reported below
            errors.append(e)
        finally:
            other.close()

    threads = [threading.Thread(target=annotate_and_configure, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert len(SynthesisStore(store).load_spans()) == 600 and store.get_meta("embedder") in {"e0", "e1", "e2", "e3"}
    store.close()
