"""Personal data planted in every field a record has — its text, location, top concerns, meeting id,
note-taker, its own id and the name of the file it came in — reaches neither the store's files (SQLite and
Chroma) nor a summary, an answer or an export. The production redactor (presidio with the census name lists);
the hashing embedder, because embeddings are beside the point here."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from synth.services import Services
from synth.settings import Settings

pytestmark = pytest.mark.slow

NAMES = ["Jorge Alvarado", "Lucía Álvarez", "Krzysztof Szczepański", "Priya Raman", "Keisha Williams",
         "Oluwaseun Adeyemi", "Dmitri Volkov", "Siobhán O'Sullivan"]
ID_NAMES = ["Jorge Alvarado", "Keisha Williams", "Lucía Álvarez", "Siobhán O'Sullivan"]
EMAILS = ["jane.doe@gmail.com", "kwilliams77@yahoo.com", "m.szczepanski+pd@outlook.co.uk"]
PHONES = ["(555) 123-4567", "+44 20 7946 0958", "07700 900123"]
LIGHTS = ["The street lights on Elm St are out again", "Dark street lights near the school scare parents",
          "Street lighting on Maple Dr has been broken for weeks"]


def _rows() -> list[dict[str, str]]:
    rows = []
    for i in range(24):
        name, email, phone = NAMES[i % len(NAMES)], EMAILS[i % len(EMAILS)], PHONES[i % len(PHONES)]
        first, last = name.split()[0], name.split()[-1]
        rows.append({
            # ids: an e-mail, or a census given name and surname (other names in ids are not caught: README)
            "id": [f"{ID_NAMES[i % len(ID_NAMES)].replace(' ', '_').lower()}_{i}", f"{email}#{i}", f"R{i:04d}"][i % 3],
            "text": f"{LIGHTS[i % 3]}, {name} said; call {phone} or write to {email}.",
            "district": f"District {1 + i % 2}",
            "date": f"2026-11-{1 + i % 28:02d}",
            "location": [f"outside {name}'s house", f"near {email}", "Elm St"][i % 3],
            "meeting_id": [f"home-of-{last}-2026-11-03", f"m-{i % 4}", f"kitchen-table-{first}-{last}"][i % 3],
            "note_taker": name,
            "top_concerns": f"street lighting; call {first} at {phone}",
        })
    return rows


def test_planted_data_in_every_field_never_reaches_store_summary_answer_or_export(tmp_path: Path) -> None:
    src = tmp_path / "in" / "notes_from_jorge_alvarado.csv"
    src.parent.mkdir()
    rows = _rows()
    with src.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    planted = {v for n in NAMES for v in (n, n.split()[-1])} | set(EMAILS) | set(PHONES) | {"jorge_alvarado"}

    data = tmp_path / "data"
    svc = Services(Settings(data_dir=data, embedder="hashing", _env_file=None))
    try:
        report = svc.ingestor.ingest([src])
        assert report.accepted == len(rows), report.line()
        svc.synthesizer.refresh()
        summaries = json.dumps([s.model_dump(mode="json") for s in svc.synthesizer.summarize()])
        from synth.ask.service import Asker

        answer = Asker.from_services(svc).ask("What did residents say about street lights?").model_dump_json()
        exported = json.dumps([r.model_dump(mode="json") for r in svc.records.iter_records()])
        meetings = {r.meeting_id for r in svc.records.iter_records()}
    finally:
        svc.close()
    # the host-named meetings stay distinct meetings: 8 "home-of-<surname>", 8 "kitchen-table-<name>", 4 plain
    assert len(meetings) == 20 and sum(m.startswith("mtg_") for m in meetings) == 16
    stored = b"".join(p.read_bytes() for p in data.rglob("*") if p.is_file()).lower()
    for where, blob in (("store", stored), ("summaries", summaries.lower().encode()),
                        ("answer", answer.lower().encode()), ("records", exported.lower().encode())):
        leaks = sorted(s for s in planted if s.lower().encode() in blob)
        assert leaks == [], f"{where}: {leaks}"
