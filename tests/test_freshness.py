"""Fresh data on its own (synth/freshness.py, synth/synthesis/live.py): records ingested through the API or by
another process reach `/ask` and the summaries without a CLI step; a summary is regenerated only when its
facts changed; one process annotates at a time; an error never ends the background thread."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from synth import freshness
from synth.synthesis import pipeline
from synth.synthesis.live import summary_for
from synth.synthesis.store import RefreshLease
from tests.conftest import bearer
from tests.test_records import SEED
from tests.test_synthesis import make_records

PLAN = {("District 3", "2026-11"): {"lighting": 6, "speeding": 2},
        ("District 5", "2026-11"): {"speeding": 7, "park": 3}}
QUESTION = {"question": "How many comments mentioned street lighting in District 3?"}
WAIT_SECONDS = 60

pytestmark = pytest.mark.parametrize("store_backend", ["embedded"], indirect=True)  # the index is beside the point


@pytest.fixture
def seeded(services: Any, write: Any) -> Any:
    from synth.synthesis.taxonomy_file import load_seed_file

    services.settings.refresh_seconds = 0.5
    services.ingestor.ingest([write("city.jsonl", "\n".join(json.dumps(r) for r in make_records(PLAN)) + "\n")])
    services.synthesizer.refresh(seeds=load_seed_file(write("seed.yaml", SEED)))
    return services


def _wait_for(condition: Callable[[], bool], what: str) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < WAIT_SECONDS, f"{what} not seen within {WAIT_SECONDS} s"
        time.sleep(0.2)
    return time.monotonic() - started


def _lighting_in_3(client: TestClient) -> int:
    answer = client.post("/ask", json=QUESTION).json()
    return int(answer["figures"][0]["value"]) if answer["figures"] else 0


def _new_lighting(count: int, start: int) -> list[dict[str, Any]]:
    return make_records({("District 3", "2026-11"): {"lighting": count}}, start=start)


def _narratives(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts the narratives written, by district (a reused summary writes none)."""
    written: Counter[str] = Counter()
    real = pipeline.write_narrative

    def counting(sheet: Any, *args: Any, **kwargs: Any) -> Any:
        written[sheet.district] += 1
        return real(sheet, *args, **kwargs)

    monkeypatch.setattr(pipeline, "write_narrative", counting)
    return written


def test_records_posted_to_the_api_reach_ask_and_summaries_without_a_cli_step(seeded: Any) -> None:
    with TestClient(create_app(seeded), headers=bearer(seeded, "admin")) as client:
        before = _lighting_in_3(client)
        records_before = summary_for(seeded, "District 3", "2026-11").counts.records  # type: ignore[union-attr]
        assert before > 0
        assert client.post("/records", json={"records": _new_lighting(4, 500)}).json()["accepted"] == 4
        _wait_for(lambda: _lighting_in_3(client) == before + 4, "the posted records in /ask")
        summary = summary_for(seeded, "District 3", "2026-11")
        assert summary is not None and summary.counts.records == records_before + 4
        status = client.app.state.refresher.status()  # type: ignore[attr-defined]
        assert status.running and status.pending == 0 and status.last_refresh is not None


def test_an_ingest_by_another_process_is_noticed(seeded: Any, write: Any) -> None:
    from synth.redact import RegexRedactor
    from synth.services import Services
    from vectorstore.embeddings import HashingEmbedder

    with TestClient(create_app(seeded), headers=bearer(seeded, "admin")) as client:
        before = _lighting_in_3(client)
        other = Services(seeded.settings, _embedder=HashingEmbedder(), _redactor=RegexRedactor())  # e.g. the CLI
        try:
            path = write("more.jsonl", "\n".join(json.dumps(r) for r in _new_lighting(3, 700)) + "\n")
            assert other.ingestor.ingest([path]).accepted == 3
        finally:
            other.close()
        _wait_for(lambda: _lighting_in_3(client) == before + 3, "the other process's records in /ask")


def test_a_summary_is_regenerated_only_when_its_facts_change(seeded: Any, write: Any,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    written = _narratives(monkeypatch)
    cells = ("District 3", "District 5", None)
    first = [summary_for(seeded, d, "2026-11") for d in cells]
    assert written == Counter({"District 3": 1, "District 5": 1, "City-wide": 1})
    assert [summary_for(seeded, d, "2026-11") for d in cells] == first  # nothing changed: nothing written
    assert sum(written.values()) == 3

    seeded.ingestor.ingest([write("d3.jsonl", "\n".join(json.dumps(r) for r in _new_lighting(1, 900)) + "\n")])
    freshness.Refresher(seeded, interval=0).refresh_once()
    again = [summary_for(seeded, d, "2026-11") for d in cells]
    assert written == Counter({"District 3": 2, "District 5": 1, "City-wide": 2})
    assert again[1] == first[1]
    assert again[0].counts.records == first[0].counts.records + 1  # type: ignore[union-attr]


def test_one_process_annotates_at_a_time(seeded: Any) -> None:
    first, second = RefreshLease(seeded.records), RefreshLease(seeded.records)
    assert first.acquire() and first.acquire()  # renewing is taking it again
    assert not second.acquire()
    first.release()
    assert second.acquire()
    second.release()
    expired = RefreshLease(seeded.records, seconds=-1)
    assert expired.acquire() and second.acquire()  # an expired lease is taken over
    second.release()
    dead = RefreshLease(seeded.records)
    dead.holder = f"{dead.host}:{_dead_pid()}:x"
    assert dead.acquire() and second.acquire()  # so is one whose holder died on this host
    second.release()


def test_an_error_is_logged_and_retried_without_ending_the_thread(seeded: Any, monkeypatch: pytest.MonkeyPatch,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    calls = Counter[str]()
    real = freshness.Refresher.refresh_once

    def flaky(self: freshness.Refresher) -> bool:
        calls["tries"] += 1
        if calls["tries"] == 1:
            raise RuntimeError("database is locked")
        return real(self)

    monkeypatch.setattr(freshness.Refresher, "refresh_once", flaky)
    refresher = freshness.start(seeded, interval=0.05)
    try:
        refresher.notify()
        _wait_for(lambda: refresher.status().last_refresh is not None and refresher.status().last_error is None,
                  "a refresh after the failure")
        assert refresher.status().running and calls["tries"] >= 2
        assert "background refresh failed (attempt 1)" in caplog.text and "database is locked" in caplog.text
    finally:
        refresher.stop()
    assert not refresher.status().running


def _dead_pid() -> int:
    """The id of a process that has ended."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_a_record_deleted_through_the_api_leaves_answers_at_once(seeded: Any) -> None:
    with TestClient(create_app(seeded), headers=bearer(seeded, "admin")) as client:
        before = _lighting_in_3(client)
        cited = client.post("/ask", json={"question": "What did residents say about street lighting in "
                                                      "District 3?"}).json()["citations"]
        gone = cited[0]["record_id"]
        assert client.delete(f"/records/{gone}").status_code == 200
        assert _lighting_in_3(client) == before - 1  # no wait: a deletion changes the live corpus's key
        assert gone not in {r.record_id for r in seeded.live.corpus().rows}


def test_two_processes_refreshing_one_store_annotate_each_record_once(seeded: Any, write: Any) -> None:
    import threading

    from synth.redact import RegexRedactor
    from synth.services import Services
    from synth.synthesis.store import SpanRow
    from vectorstore.embeddings import HashingEmbedder

    other = Services(seeded.settings, _embedder=HashingEmbedder(), _redactor=RegexRedactor())
    seeded.ingestor.ingest([write("new.jsonl", "\n".join(json.dumps(r) for r in _new_lighting(40, 300)) + "\n")])
    refreshers = [freshness.Refresher(svc, interval=0) for svc in (seeded, other)]
    errors: list[BaseException] = []

    def run(refresher: freshness.Refresher) -> None:
        try:
            _wait_for(refresher.refresh_once, "the lease")  # the loser waits for the winner's lease to go
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(r,)) for r in refreshers]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(WAIT_SECONDS)
        assert not errors
        from sqlalchemy import func, select

        with seeded.records.session() as s:
            spans = s.execute(select(SpanRow.record_id, func.count()).group_by(SpanRow.record_id)).all()
        assert len(spans) == seeded.records.count_records()  # every record annotated ...
        assert {n for _, n in spans} == {1}  # ... once (these comments are one sentence each)
        assert [r.refresh_once() for r in refreshers] == [True, True]
        assert seeded.live.corpus().rows == other.live.corpus().rows  # both processes see one corpus
    finally:
        other.close()


def test_new_annotations_may_wait_for_the_refresher_but_a_deletion_never_does(seeded: Any, write: Any) -> None:
    from synth.forget import Forgetter

    live = seeded.live
    live.background = True  # as while a refresher runs
    before = live.corpus()
    seeded.ingestor.ingest([write("d3.jsonl", "\n".join(json.dumps(r) for r in _new_lighting(2, 800)) + "\n")])
    seeded.synthesizer.refresh()
    assert live.corpus() is before  # the refresher rebuilds it; questions meanwhile keep the previous one
    after = live.corpus(fresh=True)
    assert len(after.rows) == len(before.rows) + 2 and live.corpus() is after
    gone = after.rows[0].record_id
    Forgetter(seeded.records, seeded.index).delete([gone])
    assert gone not in {r.record_id for r in live.corpus().rows}  # rebuilt at once, refresher or not


def test_a_cli_refresh_waits_for_the_process_that_is_annotating(seeded: Any) -> None:
    import threading

    elsewhere = RefreshLease(seeded.records)  # e.g. an API process's refresher, mid-refresh
    assert elsewhere.acquire()
    cli = threading.Thread(target=seeded.synthesizer.refresh)
    cli.start()
    cli.join(1.5)
    assert cli.is_alive()  # waiting for the lease
    elsewhere.release()
    cli.join(WAIT_SECONDS)
    assert not cli.is_alive()
