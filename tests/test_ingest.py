"""The ingest pipeline end to end on real SQLite and real Chroma (embedded and server), with the fast
hashing embedder and regex redactor: counts, idempotence, rejections, chunking, interruption."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from synth.ingest import IngestOptions

from .paths import SHARED_DATA

COMMENTS = [
    {"id": "c1", "text": "Street lights out on Birch, call me at 555-201-3344", "district": "District 3",
     "date": "2026-09-01"},
    {"id": "c2", "text": "Speeding near the school", "district": "District 5", "date": "2026-09-02"},
    {"id": "c3", "text": "Thanks to the officers at 412 Oak Ave block party", "district": "District 1",
     "date": "2026-10-02", "location": "412 Oak Ave"},
]


def note(district: str, meeting: str, body: str) -> str:
    return (f"District: {district}\nDate: 2026-10-05\nMeeting: {meeting}\nNote-taker: Officer Dana Reyes\n"
            f"Attendees: 6\n\n{body}\n")


@pytest.fixture
def city(write) -> list[Path]:  # type: ignore[no-untyped-def]
    long_body = " ".join(f"Sentence {i} about lighting and speeding on Elm near the park." for i in range(80))
    return [
        write("comments.jsonl", "\n".join(json.dumps(c) for c in COMMENTS) + "\n"),
        write("bad.csv", 'id,text,district\nb1,"Noise after midnight",District 2\nb2,,District 2\n'
                         'b3,"Graffiti on the wall",District 2\n'),
        write("notes/kt1.md", note("District 3", "KT-1", "Lighting is the big worry. Email me: a.b@example.org")),
        write("notes/kt2.md", note("District 3", "KT-2", long_body)),
    ]


def test_ingest_counts_redacts_and_indexes(services: Any, city: list[Path]) -> None:
    report = services.ingestor.ingest(city)
    assert (report.read, report.accepted, report.rejected, report.duplicates) == (8, 7, 1, 0)
    assert report.redactions == {"PHONE_NUMBER": 1, "STREET_ADDRESS": 2, "EMAIL_ADDRESS": 1}
    assert str(report.rejections[0]).endswith("bad.csv, row 2, field 'text': text is missing or empty")
    store = services.records
    assert store.count_records() == 7 and store.unindexed_record_ids() == []
    assert services.index.count() == store.count_chunks() > 7  # the long note was chunked
    c1 = store.get_record("c1")
    assert "555-201-3344" not in c1.text and "[PHONE]" in c1.text
    assert store.get_record("c3").location == "[ADDRESS]"
    kt2 = [h for h in services.index.get() if h.metadata.get("meeting_id") == "KT-2"]
    assert len(kt2) > 1 and len({h.record_id for h in kt2}) == 1
    assert all(h.chunk_id.startswith(h.record_id + "#") for h in kt2)
    stats = {d.district: d for d in store.district_stats()}
    assert (stats["District 3"].records, stats["District 3"].meetings, stats["District 3"].attendees) == (3, 2, 12)
    assert store.rejections()[0].field == "text"


def test_reingest_adds_nothing(services: Any, city: list[Path]) -> None:
    services.ingestor.ingest(city)
    chunks = services.index.count()
    again = services.ingestor.ingest(city)
    assert (again.accepted, again.duplicates, again.rejected) == (0, 7, 1)
    assert services.records.count_records() == 7 and services.index.count() == chunks


def test_duplicates_within_one_run(services: Any, write) -> None:  # type: ignore[no-untyped-def]
    p = write("d.csv", "text,district\nSame words,District 1\nSame  words ,District 1\nOther,District 1\n")
    report = services.ingestor.ingest([p])
    assert (report.accepted, report.duplicates) == (2, 1)


def test_unknown_column_fails_the_file_not_the_run(services: Any, write) -> None:  # type: ignore[no-untyped-def]
    good = write("good.jsonl", json.dumps({"text": "Potholes on 3rd", "district": "District 4"}) + "\n")
    bad = write("bad.csv", "text,shoe_size\nhello,9\n")
    report = services.ingestor.ingest([bad, good])
    assert report.accepted == 1 and len(report.failed_files) == 1
    assert "unknown column: column 2" in str(report.failed_files[0])
    assert "shoe_size" not in str(report.failed_files[0]) and "shoe_size" in (report.failed_files[0].detail or "")


def test_interrupt_keeps_committed_batches_and_rerun_completes(services: Any, write) -> None:  # type: ignore[no-untyped-def]
    rows = "\n".join(f"r{i},Comment number {i} about lights,District {i % 4}" for i in range(300))
    p = write("many.csv", "id,text,district\n" + rows + "\n")
    calls = {"n": 0}

    def ctrl_c_after_two_batches(stage: str, done: int, total: int) -> None:
        calls["n"] += 1
        if stage == "ingest" and calls["n"] == 2:
            raise KeyboardInterrupt

    first = services.ingestor.ingest([p], progress=ctrl_c_after_two_batches)
    assert first.status == "interrupted" and first.accepted == 128  # two batches of 64, committed whole
    assert services.records.count_records() == 128
    second = services.ingestor.ingest([p])
    assert (second.accepted, second.duplicates, second.status) == (172, 128, "done")
    assert services.records.count_records() == 300 and services.records.unindexed_record_ids() == []
    assert services.index.count() == 300


def test_resume_indexes_records_left_unindexed(services: Any, city: list[Path]) -> None:
    services.ingestor.ingest(city)
    services.index.reset()  # as if the process died between the SQL commit and the vector upsert
    services.records.mark_all_unindexed()
    report = services.ingestor.ingest(city)
    assert report.resumed == 7 and report.accepted == 0
    assert services.index.count() == services.records.count_chunks()


def test_reindex_rebuilds_a_lost_index(services: Any, city: list[Path]) -> None:
    services.ingestor.ingest(city)
    expected = services.index.count()
    services.index.reset()
    assert services.reindex() == 7
    assert services.index.count() == expected


def test_polis_conversation_as_a_district(services: Any) -> None:
    path = SHARED_DATA / "polis" / "15-per-hour-seattle" / "comments.csv"
    report = services.ingestor.ingest([path], IngestOptions(profile="polis", defaults={"district": "Seattle"}))
    # 69 lines, 54 statements: several statements span lines inside quotes; 23 the moderators rejected.
    assert (report.read, report.accepted, report.rejected) == (54, 31, 23)
    rec = services.records.get_record("polis-15-per-hour-seattle-53")  # every export is comments.csv
    assert rec is not None and rec.district == "Seattle" and rec.channel.value == "polis"
    assert {d.district for d in services.records.district_stats()} == {"Seattle"}


def test_a_meeting_id_naming_its_host_is_stored_only_as_a_pseudonym(services: Any, write) -> None:  # type: ignore[no-untyped-def]
    p = write("m.csv", "text,district,meeting_id\n"
                       "Streetlights are out on Elm.,District 1,home-of-Szczepanski-2026-11-03\n"
                       "Cars speed past the school.,District 1,home-of-Szczepanski-2026-11-03\n"
                       "Graffiti on the underpass.,District 1,m-rv-022\n")
    report = services.ingestor.ingest([p])
    assert report.accepted == 3
    meetings = sorted({r.meeting_id for r in services.records.iter_records()})
    pseudonym = next(m for m in meetings if m != "m-rv-022")
    assert meetings == sorted(["m-rv-022", pseudonym]) and pseudonym.startswith("mtg_")  # still one meeting
    services.close()
    stored = b"".join(f.read_bytes() for f in services.settings.data_dir.rglob("*") if f.is_file())
    assert b"szczepanski" not in stored.lower()
