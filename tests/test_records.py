"""`synth records`: exports keep the stored (redacted) record and are safe to open in a spreadsheet; a deletion
removes the record everywhere (SQL, Chroma embedded and server, spans, caches, summaries, answers) and a re-ingest
does not bring it back; the retention purge deletes by age and keeps undated records."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from synth.cli import app
from synth.csv_out import SafeWriter, neutralise
from synth.forget import Forgetter, months_before
from synth.synthesis.llm_cache import LLMAnnotationRow, record_hash
from synth.synthesis.store import SpanRow, SummaryRow
from synth.synthesis.taxonomy_file import load_seed_file
from tests.conftest import bearer
from tests.test_synthesis import PLAN, make_records
from vectorstore.store import SearchFilter

HYPERLINK = '=HYPERLINK("http://evil.example/x","D1")'
VICTIM = {"id": "victim", "district": "District A", "date": "2026-11-20",
          "text": "The street lights are dark on Quincewood Lane by the school, email me at jo@example.com."}
SEED = ("themes:\n  - id: lighting\n    label: Street lighting\n    examples:\n      - the street lights are dark\n"
        "  - id: speeding\n    label: Speeding\n    examples:\n      - cars speeding fast\n"
        "  - id: park\n    label: Parks\n    examples:\n      - clean new park thank you\n")


# -- CSV neutralisation ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("cell", "written"), [
    (HYPERLINK, "'" + HYPERLINK),
    ("+1+2", "'+1+2"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("-5 pts", "'-5 pts"),  # text that starts like a number is still text
    ("-", "'-"),
    ("-3", "-3"),  # a number written as text stays a number
    ("-0.4210", "-0.4210"),
    ("+12.5", "+12.5"),
    ("1e-3", "1e-3"),
    (-3, -3),
    (12.5, 12.5),
    (None, ""),
    ("District 1", "District 1"),
    ("[PERSON] said hi", "[PERSON] said hi"),
    (" =1", " =1"),  # not at the start: spreadsheets read it as text
])
def test_formula_like_text_is_made_inert_and_numbers_stay_numbers(cell: Any, written: Any) -> None:
    assert neutralise(cell) == written


def test_the_safe_writer_neutralises_every_cell_and_quotes_as_csv_does() -> None:
    buf = io.StringIO()
    SafeWriter(buf).writerow(["r1", HYPERLINK, "-0.5000", 'say "hi", then\nleave'])
    assert next(csv.reader(io.StringIO(buf.getvalue()))) == ["r1", "'" + HYPERLINK, "-0.5000",
                                                              'say "hi", then\nleave']


def test_months_before_clamps_to_the_shorter_month() -> None:
    assert months_before(dt.date(2026, 12, 7), 5) == dt.date(2026, 7, 7)
    assert months_before(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2026, 1, 15), 13) == dt.date(2024, 12, 15)


# -- the commands -----------------------------------------------------------------------------------------------
def test_export_delete_and_annotations_export_from_the_command_line(cli_env: Path, tmp_path: Path) -> None:
    rows = make_records({("District A", "2026-11"): {"lighting": 6, "speeding": 4}})
    rows += [{"id": "evil", "text": "-5 pts for the dark street lights, call jo@example.com", "district": HYPERLINK,
              "date": "2026-11-03"}]
    src = tmp_path / "in.csv"
    with src.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["id", "text", "district", "date"])
        w.writeheader()
        w.writerows(rows)
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(src)]).exit_code == 0

    res = runner.invoke(app, ["records", "export"])
    assert res.exit_code == 0 and "exported 11 records" in res.stderr
    exported = {r["id"]: r for r in csv.DictReader(io.StringIO(res.stdout))}  # stdout is only the document
    assert list(next(iter(exported.values())))[:5] == ["id", "kind", "text", "district", "location"]
    evil = exported["evil"]
    assert evil["district"] == "'" + HYPERLINK
    assert evil["text"] == "'-5 pts for the dark street lights, call [EMAIL]"  # placeholder kept
    assert evil["date"] == "2026-11-03" and evil["redactions"] == '{"EMAIL_ADDRESS":1}'
    assert evil["top_concerns"] == "[]" and evil["source_row"] == "11"

    res = runner.invoke(app, ["records", "export", "--format", "jsonl", "--out", str(tmp_path / "r.jsonl")])
    assert res.exit_code == 0 and res.stdout == ""
    lines = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {r["id"]: r for r in lines}["evil"]["district"] == HYPERLINK  # JSON is data, not a spreadsheet

    res = runner.invoke(app, ["annotations", "export"])
    assert res.exit_code == 0, res.output
    table = list(csv.reader(io.StringIO(res.stdout)))
    assert table[0] == ["record_id", "district", "date", "theme_id", "theme_label", "sentiment_label",
                        "sentiment_score"]
    assert {r[1] for r in table[1:] if r[0] == "evil"} == {"'" + HYPERLINK}
    assert all(float(r[6]) == float(r[6]) for r in table[1:])  # scores stay numbers, negative ones too

    res = runner.invoke(app, ["records", "delete", "evil", "c1", "nope", "--rebuild-index"])
    assert res.exit_code == 1 and "not found: nope" in res.stderr
    assert "rebuilt the vector index from 9 records" in res.stderr
    assert "deleted evil" in res.stdout and "deleted c1" in res.stdout
    res = runner.invoke(app, ["records", "delete", "evil"])
    assert res.exit_code == 0 and "already deleted" in res.stdout
    log = json.loads(runner.invoke(app, ["records", "deletions", "--json"]).stdout)
    assert [e["record_id"] for e in log] == ["c1", "evil"] and {e["reason"] for e in log} == {"request"}
    assert "street" not in json.dumps(log) and log[1]["removed"]["chunks"] == 1
    res = runner.invoke(app, ["ingest", str(src)])
    assert "accepted 0" in res.stdout and "skipped 2 deleted on request" in res.stdout
    ids = [r["id"] for r in csv.DictReader(io.StringIO(runner.invoke(app, ["records", "export"]).stdout))]
    assert len(ids) == 9 and "evil" not in ids and "c1" not in ids


def test_purge_needs_a_period_and_keeps_undated_records(cli_env: Path, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in [
        {"id": "old", "text": "Dark lights on Elm.", "district": "District A", "date": "2020-01-05"},
        {"id": "new", "text": "Dark lights on Oak.", "district": "District A", "date": dt.date.today().isoformat()},
        {"id": "undated", "text": "Dark lights on Ash.", "district": "District A"},
    ]) + "\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(src)]).exit_code == 0
    res = runner.invoke(app, ["records", "purge"])
    assert res.exit_code == 1 and "SYNTH_RETENTION_MONTHS" in res.stderr
    res = runner.invoke(app, ["records", "purge", "--older-than-months", "24", "--dry-run"])
    assert res.exit_code == 0 and "would delete 1 record " in res.stdout and "kept 1 undated record:" in res.stderr
    res = runner.invoke(app, ["records", "purge"], env={"SYNTH_RETENTION_MONTHS": "24"})
    assert res.exit_code == 0 and "deleted 1 record " in res.stdout
    ids = {r["id"] for r in csv.DictReader(io.StringIO(runner.invoke(app, ["records", "export"]).stdout))}
    assert ids == {"new", "undated"}
    log = json.loads(runner.invoke(app, ["records", "deletions", "--json"]).stdout)
    assert [(e["record_id"], e["reason"]) for e in log] == [("old", "retention")]
    # retention leaves no tombstone: an old export re-ingested is stored again (and purged by the next purge)
    assert "accepted 1" in runner.invoke(app, ["ingest", str(src)]).stdout
    # a request for a record retention already deleted keeps it out of later ingests too
    assert "deleted 1 record " in runner.invoke(app, ["records", "purge", "--older-than-months", "24"]).stdout
    res = runner.invoke(app, ["records", "delete", "old"])
    assert res.exit_code == 0 and "old was already deleted" in res.stdout
    assert "accepted 0" in (res := runner.invoke(app, ["ingest", str(src)])).stdout
    assert "skipped 1 deleted on request" in res.stdout


def test_a_year_only_record_expires_when_its_whole_year_is_older_than_the_cutoff(cli_env: Path, tmp_path: Path) -> None:
    src = tmp_path / "years.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in [
        {"id": "y2020", "text": "Dark lights on Elm.", "district": "District A", "date": "2020"},
        {"id": "m2020", "text": "Dark lights on Oak.", "district": "District A", "date": "2020-12"},
        {"id": "d2020", "text": "Dark lights on Ash.", "district": "District A", "date": "2020-12-30"},
    ]) + "\n", encoding="utf-8")
    runner = CliRunner()
    assert "accepted 3" in runner.invoke(app, ["ingest", str(src)]).stdout
    from synth.services import Services
    from synth.settings import Settings

    svc = Services(Settings())
    try:
        # cutoff 24 months before 2023-01-01 is 2021-01-01: all of 2020 lies before it
        ids, undated, cutoff = Forgetter(svc.records, svc.index).expired(24, today=dt.date(2023, 1, 1))
        assert cutoff == dt.date(2021, 1, 1) and sorted(ids) == ["d2020", "m2020", "y2020"] and undated == 0
        # cutoff 2020-12-15: the day and the month of December 2020 are not wholly older, nor is the year
        ids, _, cutoff = Forgetter(svc.records, svc.index).expired(24, today=dt.date(2022, 12, 15))
        assert cutoff == dt.date(2020, 12, 15) and ids == []
        # cutoff 2020-12-31: the day before it has expired; December 2020 and the year 2020 end on the cutoff
        ids, _, cutoff = Forgetter(svc.records, svc.index).expired(24, today=dt.date(2022, 12, 31))
        assert cutoff == dt.date(2020, 12, 31) and ids == ["d2020"]
    finally:
        svc.close()


# -- deletion everywhere, on the embedded store and the Chroma server --------------------------------------------
def test_a_deleted_record_is_gone_from_every_store_summary_and_answer(services: Any, write: Any) -> None:
    from synth.ask.service import Asker

    path = write("city.jsonl", "\n".join(json.dumps(r) for r in [*make_records(PLAN), VICTIM]) + "\n")
    assert services.ingestor.ingest([path]).accepted == 90
    synth = services.synthesizer
    synth.refresh(seeds=load_seed_file(write("seed.yaml", SEED)))
    before = {s.district: s for s in synth.summarize(period="2026-11")}
    assert before["District A"].counts.records == 35
    assert "victim" in {q.record_id for t in before["District A"].themes for q in t.quotes}
    question = "What did residents say about Quincewood Lane?"
    assert [c.record_id for c in Asker.from_services(services).ask(question).citations] == ["victim"]
    victim = services.records.get_record("victim")
    with services.records.session() as s:  # an LLM annotation cached for the victim's text
        s.add(LLMAnnotationRow(record_hash=record_hash(victim), prompt="p", model="m", taxonomy="t", annotation={}))
    from synth.synthesis.review.corrections import Corrections  # a coordinator's verdict on its sentence

    [span] = [sp for sp in synth.store.load_spans(["victim"])]
    Corrections(services.records).save(span, "coordinator", sentiment="negative")

    [result] = Forgetter(services.records, services.index).delete(["victim"])
    assert result.found
    assert result.removed == {"chunks": 1, "spans": 1, "llm_annotations": 1, "summaries": 2, "index_entries": 1,
                              "review_corrections": 1,
                              "learned_decisions": result.removed["learned_decisions"]}

    assert services.records.get_record("victim") is None
    assert services.index.get(SearchFilter(record_ids=["victim"])) == []
    assert "victim" not in {h.record_id for h in services.index.query("Quincewood Lane school", k=20)}
    with services.records.session() as s:
        for table, where in ((SpanRow, SpanRow.record_id == "victim"),
                             (LLMAnnotationRow, LLMAnnotationRow.record_hash == record_hash(victim)),
                             (SummaryRow, SummaryRow.district.in_(["District A", "City-wide"]))):
            assert s.scalar(select(func.count()).select_from(table).where(where)) == 0
        assert s.scalar(select(func.count()).select_from(SummaryRow)) == 1  # District B's is still valid
    after = {s.district: s for s in synth.summarize(period="2026-11")}
    assert after["District A"].counts.records == 34 and after["City-wide"].counts.records == 56
    assert after["District B"].provenance.generated_at == before["District B"].provenance.generated_at
    quoted = {q.record_id for s in after.values() for t in s.themes for q in t.quotes}
    assert "victim" not in quoted and "Quincewood" not in json.dumps([s.model_dump(mode="json")
                                                                      for s in after.values()])
    answer = Asker.from_services(services).ask(question)
    assert "victim" not in [c.record_id for c in answer.citations] and "Quincewood" not in answer.text

    report = services.ingestor.ingest([path])  # the resident asked to be forgotten: a re-ingest keeps it out
    assert (report.accepted, report.forgotten, report.duplicates) == (0, 1, 89)
    assert services.records.get_record("victim") is None
    assert services.index.get(SearchFilter(record_ids=["victim"])) == []
    assert Forgetter(services.records, services.index).delete(["victim"])[0].deleted_before is not None

    data = services.settings.data_dir

    def traces() -> list[str]:
        return sorted(f.relative_to(data).as_posix() for f in data.rglob("*")
                      if f.is_file() and b"Quincewood" in f.read_bytes())

    assert [t for t in traces() if not t.startswith("chroma/")] == []  # the system of record's files hold none
    services.reindex()  # `--rebuild-index`: Chroma's own write log goes with the old collection
    assert traces() == []


def test_the_api_deletes_a_record_and_stops_quoting_it(services: Any, write: Any) -> None:
    from fastapi.testclient import TestClient

    from api.main import create_app

    path = write("city.jsonl", "\n".join(json.dumps(r) for r in [*make_records(PLAN), VICTIM]) + "\n")
    services.ingestor.ingest([path])
    services.synthesizer.refresh(seeds=load_seed_file(write("seed.yaml", SEED)))
    question = {"question": "What did residents say about Quincewood Lane?"}
    count = {"question": "How many residents in District A mentioned street lighting in November 2026?"}
    with TestClient(create_app(services), headers=bearer(services)) as client:
        assert [c["record_id"] for c in client.post("/ask", json=question).json()["citations"]] == ["victim"]
        assert client.post("/ask", json=count).json()["text"].startswith("26 records")
        res = client.delete("/records/victim")
        assert res.status_code == 200 and res.json()["removed"]["chunks"] == 1
        assert client.delete("/records/victim").json()["detail"] == "already deleted"
        assert client.delete("/records/nope").status_code == 404
        again = client.post("/records", json={"records": [VICTIM]}).json()
        assert (again["accepted"], again["forgotten"]) == (0, 1)
        # one record in, one out: the count is as before, and the answer still follows the deletion
        services.ingestor.ingest([write("one.jsonl", json.dumps({"id": "new", "text": "Cars speeding on Elm.",
                                                                  "district": "District B",
                                                                  "date": "2026-11-02"}) + "\n")])
        services.synthesizer.refresh()
        answer = client.post("/ask", json=question).json()
        assert "victim" not in [c["record_id"] for c in answer["citations"]] and "Quincewood" not in answer["text"]
        assert client.post("/ask", json=count).json()["text"].startswith("25 records")


def test_an_unwritable_output_is_one_clear_line(cli_env: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["records", "export", "--out", str(tmp_path / "no" / "such" / "dir.csv")])
    assert res.exit_code == 1 and "cannot write" in res.stderr and "Traceback" not in res.output
