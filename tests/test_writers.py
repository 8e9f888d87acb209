"""Several writers, one truth: `synth ingest` processes running at the same time (with each other and with the
API) into one data directory end with every record stored and indexed once, honest run statuses, and an API
process that answers from what another process added without a restart."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.main import create_app
from samplecity import generate_city
from synth.db import IngestRunRow, RecordStore
from synth.services import Services
from synth.settings import Settings
from tests.conftest import bearer
from vectorstore.store import SearchFilter

pytestmark = pytest.mark.slow

FAST = {"SYNTH_EMBEDDER": "hashing", "SYNTH_REDACTOR": "regex", "SYNTH_INGEST_BATCH_SIZE": "20"}
LINE = re.compile(r"read (\d+), accepted (\d+), rejected (\d+), duplicates (\d+)")


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    out = tmp_path_factory.mktemp("city")
    return out, generate_city(out, records=240, seed=5, pii_records=10)


def _env(data: Path) -> dict[str, str]:
    return {**os.environ, **FAST, "SYNTH_DATA_DIR": str(data), "PYTHONPATH": str(Path(__file__).parents[1])}


def _ingest(data: Path, *paths: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "synth.cli", "ingest", *map(str, paths)], env=_env(data),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(procs: list[subprocess.Popen[str]]) -> list[tuple[int, int, int, int]]:
    """Wait for each; every one must exit 0; (read, accepted, rejected, duplicates) of each."""
    lines = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        m = LINE.search(out)
        assert m, out
        lines.append(tuple(map(int, m.groups())))
    return lines  # type: ignore[return-value]


@pytest.fixture
def open_services() -> Iterator[Any]:
    opened: list[Services] = []

    def _open(data: Path) -> Services:
        svc = Services(Settings(data_dir=data, embedder="hashing", redactor="regex", _env_file=None))
        opened.append(svc)
        return svc

    yield _open
    for svc in opened:
        svc.close()


def _statuses(svc: Services) -> list[str]:
    with svc.records.session() as s:
        return list(s.scalars(select(IngestRunRow.status).order_by(IngestRunRow.id)))


def _assert_one_truth(svc: Services, truth: Any) -> None:
    """Every record once in SQL, every record indexed, the index holds exactly the stored chunks and answers a
    filtered query for any record (a stale graph would fail these with "Error finding id")."""
    assert svc.records.count_records() == truth.records_total
    assert {r.id for r in svc.records.iter_records()} == set(truth.records)
    assert svc.records.unindexed_record_ids() == []
    assert svc.index.count() == svc.records.count_chunks()
    assert {h.record_id for h in svc.index.get()} == set(truth.records)
    for rid in sorted(truth.records)[::17]:
        hits = svc.index.query("people said", k=2, where=SearchFilter(record_ids=[rid]))
        assert hits and hits[0].record_id == rid


def test_the_same_files_at_once_into_a_fresh_store(tmp_path: Path, city: tuple[Path, Any],
                                                   open_services: Any) -> None:
    city_dir, truth = city
    data = tmp_path / "data"  # does not exist yet: the three create the store (tables, index) at once
    procs = [_ingest(data, city_dir / "notes", city_dir / "comments"),
             _ingest(data, city_dir / "comments", city_dir / "notes"),
             _ingest(data, city_dir / "notes", city_dir / "comments")]
    lines = _finish(procs)
    assert all(read == truth.records_total and rejected == 0 for read, _, rejected, _ in lines)
    assert sum(accepted for _, accepted, _, _ in lines) == truth.records_total  # each record stored by one
    assert sum(dup for *_, dup in lines) == 2 * truth.records_total  # and a duplicate for the two others
    svc = open_services(data)
    assert _statuses(svc) == ["done", "done", "done"]
    _assert_one_truth(svc, truth)


def test_overlapping_files_at_once_into_an_existing_store(tmp_path: Path, city: tuple[Path, Any],
                                                          open_services: Any) -> None:
    city_dir, truth = city
    data = tmp_path / "data"
    assert _finish([_ingest(data, city_dir / "notes")])[0][3] == 0
    notes = _count_stored(data)
    lines = _finish([_ingest(data, city_dir / "comments"),
                     _ingest(data, city_dir / "notes", city_dir / "comments")])
    comments = truth.records_total - notes
    assert lines[0][0] == comments and lines[1][0] == truth.records_total
    assert lines[0][1] + lines[1][1] == comments  # the comments are stored once, by one or the other
    assert lines[0][3] + lines[1][3] == notes + comments  # the rest is reported as duplicates
    svc = open_services(data)
    assert _statuses(svc) == ["done", "done", "done"]
    _assert_one_truth(svc, truth)


def _count_stored(data: Path) -> int:
    store = RecordStore(f"sqlite:///{data / 'synth.db'}")
    try:
        return store.count_records()
    finally:
        store.close()


def test_a_running_api_answers_from_what_a_cli_ingest_added(tmp_path: Path, open_services: Any,
                                                            write: Any) -> None:
    """The API process opened the embedded index before the CLI process wrote to it: it must notice the new
    generation and reopen, not answer 500 ("Error finding id") until restarted."""
    first = write("first.jsonl", "".join(json.dumps({"id": f"a{i}", "text": f"The street lights on {s} are out.",
                                                     "district": "District 1", "date": "2026-10-01"}) + "\n"
                                         for i, s in enumerate(["Elm St", "Oak St", "Ash St", "Pine St"])))
    later = write("later.jsonl", "".join(json.dumps({"id": f"b{i}", "text": f"Cars speed past the school on {s}.",
                                                     "district": "District 7", "date": "2026-10-02"}) + "\n"
                                         for i, s in enumerate(["Main St", "Canal St", "Front St"])))
    seeds = write("taxonomy.yaml", "themes:\n  - id: lighting\n    label: Street lighting\n    examples:\n"
                                   "      - the street lights are out\n      - dark street lights on our block\n"
                                   "  - id: speeding\n    label: Speeding\n    examples:\n"
                                   "      - cars speed past the school\n      - drivers go too fast\n")
    data = tmp_path / "data"
    assert _finish([_ingest(data, first)]) == [(4, 4, 0, 0)]
    _annotate(data, seeds)
    svc = open_services(data)
    question = {"question": "What do residents say about speeding in District 7?"}
    with TestClient(create_app(svc), headers=bearer(svc)) as client:
        before = client.post("/ask", json={"question": "What do residents say about lights in District 1?"})
        assert before.status_code == 200, before.text
        assert {c["record_id"] for c in before.json()["citations"]} <= {"a0", "a1", "a2", "a3"}
        assert svc.index.count() == 4  # the index is open in this process

        assert _finish([_ingest(data, later)]) == [(3, 3, 0, 0)]  # another process writes to it
        _annotate(data, seeds)

        after = client.post("/ask", json=question)
        assert after.status_code == 200, after.text
        answer = after.json()
        assert answer["route"] == "retrieval", answer
        assert {c["record_id"] for c in answer["citations"]} & {"b0", "b1", "b2"}, answer
        hits = svc.index.query("speeding", k=10, where=SearchFilter(districts=["District 7"]))
        assert {h.record_id for h in hits} == {"b0", "b1", "b2"}
        assert sum(d["records"] for d in client.get("/districts").json()) == 7


def _annotate(data: Path, seeds: Path) -> None:
    """`synth themes seed`: the coordinator's taxonomy, and every stored record annotated with it."""
    done = subprocess.run([sys.executable, "-m", "synth.cli", "themes", "seed", str(seeds)], env=_env(data),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def test_cli_and_api_ingest_the_same_records_at_once(tmp_path: Path, city: tuple[Path, Any],
                                                     open_services: Any) -> None:
    city_dir, truth = city
    survey = city_dir / "comments" / "survey.jsonl"
    rows = [json.loads(line) for line in survey.read_text(encoding="utf-8").splitlines() if line.strip()]
    data = tmp_path / "data"
    svc = open_services(data)
    results: dict[str, Any] = {}
    with TestClient(create_app(svc), headers=bearer(svc)) as client:
        proc = _ingest(data, survey)
        api = threading.Thread(target=lambda: results.update(
            api=client.post("/records", json={"records": rows, "source": "survey"})))
        api.start()
        [cli] = _finish([proc])
        api.join(300)
    response = results["api"]
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["read"], body["rejected"], cli[0], cli[2]) == (len(rows), 0, len(rows), 0)
    assert body["accepted"] + cli[1] == len(rows) and body["duplicates"] + cli[3] == len(rows)
    assert svc.records.count_records() == len(rows)
    assert svc.records.unindexed_record_ids() == []
    assert {h.record_id for h in svc.index.get()} == {r["id"] for r in rows}
    assert _statuses(svc) == ["done", "done"]


def test_many_processes_open_a_fresh_store_at_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    code = ("import sys; from synth.db import RecordStore; from synth.synthesis.store import SynthesisStore; "
            "s = RecordStore(sys.argv[1]); SynthesisStore(s); print(s.count_records()); s.close()")
    url = f"sqlite:///{data / 'synth.db'}"
    procs = [subprocess.Popen([sys.executable, "-c", code, url], env=_env(data), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(6)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert out.strip() == "0"


def test_a_run_whose_process_died_is_recorded_as_interrupted(tmp_path: Path) -> None:
    store = RecordStore(f"sqlite:///{tmp_path / 'synth.db'}")
    try:
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        killed = store.start_run(["a.csv"])
        live = store.start_run(["b.csv"])  # this process: alive
        with store.write_session() as s:
            s.get(IngestRunRow, killed).pid = dead.pid  # type: ignore[union-attr]
        store.start_run(["c.csv"])
        with store.session() as s:
            status = {r.id: r.status for r in s.scalars(select(IngestRunRow))}
        assert status[killed] == "interrupted" and status[live] == "running"
    finally:
        store.close()


def test_a_run_whose_last_index_batch_fails_is_recorded_as_failed(tmp_path: Path, write: Any,
                                                                  open_services: Any) -> None:
    svc = open_services(tmp_path / "data")
    path = write("r.jsonl", json.dumps({"id": "x1", "text": "Potholes on Elm St.", "district": "District 2"}) + "\n")

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("index unavailable")

    svc.index.upsert = broken
    with pytest.raises(RuntimeError, match="index unavailable"):
        svc.ingestor.ingest([path])
    assert _statuses(svc) == ["failed"]
    assert svc.records.unindexed_record_ids() == ["x1"]  # kept; the next run indexes it


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_stopped_or_killed_run_is_recorded_as_interrupted(tmp_path: Path, sig: signal.Signals, write: Any,
                                                            open_services: Any) -> None:
    """The ingest blocks reading a pipe nobody closes; it is stopped (SIGTERM: recorded at once) or killed
    (SIGKILL: the next run finds its process gone and records it)."""
    pipe = tmp_path / "slow.jsonl"
    os.mkfifo(pipe)
    data = tmp_path / "data"
    proc = _ingest(data, pipe)
    with pipe.open("w") as feed:  # opening waits for the reader: the run has started
        feed.write(json.dumps({"id": "p1", "text": "Potholes on Elm St.", "district": "District 2"}) + "\n")
        feed.flush()
        deadline = time.monotonic() + 60
        while _run_statuses(data) != ["running"]:
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    if sig == signal.SIGTERM:
        assert proc.returncode == 130, err
        assert _run_statuses(data) == ["interrupted"]
    else:
        assert proc.returncode == -signal.SIGKILL
        assert _run_statuses(data) == ["running"]  # nobody could record it yet
        other = write("r.jsonl", json.dumps({"id": "x1", "text": "Speeding on Oak St.", "district": "District 3"}))
        assert _finish([_ingest(data, other)]) == [(1, 1, 0, 0)]
        assert _run_statuses(data) == ["interrupted", "done"]


def _run_statuses(data: Path) -> list[str]:
    try:
        with sqlite3.connect(f"file:{data / 'synth.db'}?mode=ro", uri=True, timeout=5) as con:
            return [s for (s,) in con.execute("select status from ingest_runs order by id")]
    except sqlite3.OperationalError:  # not created yet
        return []
