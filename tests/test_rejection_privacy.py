"""Rejections keep file, row, field and reason, never the raw value: personal data planted in fields that fail
validation, in column names and in note header keys is found nowhere in the store's files or the ingest's
printed report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PLANTED = ("Szczepanski", "555-867-5309", "jo.bloggs@example.com", "Alvarado", "Okonkwo", "Quincewood")


def test_rejected_rows_and_files_keep_no_raw_value(services: Any, write: Any) -> None:
    files = [
        # a name in the date field, a phone number in the attendees field, an e-mail as the kind
        write("rows.csv", "text,district,date,attendee_count,kind\n"
                          "Lights are out on Elm.,District 1,Maria Szczepanski,4,comment\n"
                          "Speeding past the school.,District 1,2026-11-03,555-867-5309,comment\n"
                          "Graffiti again.,District 1,2026-11-04,3,jo.bloggs@example.com\n"
                          "Noise at night.,District 1,2026-11-05,2,comment\n"),
        # a column named after a person: the whole file is rejected for an unknown column
        write("columns.csv", "text,district,Jorge Alvarado\nDark street.,District 2,yes\n"),
        # a JSON object whose text is a number, and a district that is an object holding a name
        write("rows.jsonl", json.dumps({"text": 12345, "district": "District 3"}) + "\n"
              + json.dumps({"text": "Broken swings.", "district": {"name": "Okonkwo"}}) + "\n"),
        # a meeting note with a mistyped header key and a name in a bad optional value
        write("note.md", "Distrcit: District 4\nDate: 2026-11-05\n\nWe met at Quincewood.\n"),
    ]
    report = services.ingestor.ingest(files)
    assert report.accepted >= 1 and len(report.rejections) >= 5
    printed = report.line() + "\n" + "\n".join(str(r) for r in report.rejections)
    services.close()
    stored = b"".join(p.read_bytes() for p in Path(services.settings.data_dir).rglob("*") if p.is_file())
    for planted in PLANTED:
        assert planted.lower().encode() not in stored.lower(), planted
        assert planted.lower() not in printed.lower(), planted
    rejected_fields = {r.field for r in report.rejections}
    assert {"date", "attendee_count", "kind"} <= rejected_fields, rejected_fields
