"""Records and ingest over HTTP: a note-taker reads back only what they submitted; listings filter by district,
period, kind and theme and show redacted text; an uploaded file is ingested as a background job whose status
names each rejected row and field."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.parametrize("store_backend", ["embedded"], indirect=True)  # the store is beside the point


TEXTS = ("The street lights are dark on Birch Road and the lamp posts are out.",
         "Drivers are speeding down Oak Avenue and running the stop sign every night.")


def _records(prefix: str, district: str, date: str, n: int = 2, kind: str = "comment") -> dict[str, Any]:
    return {"records": [{"id": f"{prefix}{i}", "kind": kind, "district": district, "date": date,
                         "text": f"{TEXTS[i % 2]} Call me at 555-201-33{i:02d} ({prefix})."}
                        for i in range(n)]}


def test_a_note_taker_reads_only_their_own_records(services: Any, api_client: Any) -> None:
    ana, ben, boss = api_client("note_taker"), api_client("note_taker"), api_client("coordinator")
    assert ana.post("/records", json=_records("a", "District 1", "2026-10-03")).json()["accepted"] == 2
    assert ben.post("/records", json=_records("b", "District 2", "2026-11-04", n=3)).json()["accepted"] == 3
    assert boss.post("/records", json=_records("c", "District 2", "2026-11-05", n=1)).json()["accepted"] == 1
    mine = ana.get("/records").json()["records"]
    assert [r["id"] for r in mine] == ["a0", "a1"]
    assert [r["id"] for r in ben.get("/records", params={"district": "District 2"}).json()["records"]] == \
        ["b0", "b1", "b2"]
    assert ana.get("/records", params={"district": "District 2"}).json()["records"] == []
    every = [r["id"] for r in boss.get("/records").json()["records"]]
    assert every == ["a0", "a1", "b0", "b1", "b2", "c0"]
    assert all("555" not in r["text"] and "[PHONE" in r["text"] for r in mine), mine
    assert set(mine[0]) >= {"id", "kind", "text", "district", "date"} and "note_taker" not in mine[0]
    for refused in ("/summaries", "/themes", "/districts"):
        assert ana.get(refused).status_code == 403


def test_record_listing_filters(services: Any, api_client: Any, write: Any) -> None:
    from synth.synthesis.taxonomy_file import load_seed_file

    seed = write("taxonomy.yaml", "themes:\n  - id: lighting\n    label: Street lighting\n    examples:\n"
                                  "      - the street lights are dark\n      - the lamp posts are out\n"
                                  "  - id: speeding\n    label: Speeding\n    examples:\n"
                                  "      - drivers are speeding\n      - running the stop sign\n")
    services.synthesizer.refresh(seeds=load_seed_file(seed))
    client = api_client("admin")
    client.post("/records", json=_records("o", "District 1", "2026-10-03"))
    client.post("/records", json=_records("n", "District 1", "2026-11-03", kind="meeting_note"))
    client.post("/records", json=_records("y", "District 3", "2026-11-09"))

    def ids(**params: Any) -> list[str]:
        r = client.get("/records", params=params)
        assert r.status_code == 200, r.text
        return [x["id"] for x in r.json()["records"]]

    assert ids(period="2026-11") == ["n0", "n1", "y0", "y1"]
    assert ids(period="2026-10..2026-11", district="District 1") == ["n0", "n1", "o0", "o1"]
    assert ids(kind="meeting_note") == ["n0", "n1"]
    assert ids(limit=2, offset=1) == ["n1", "o0"]
    assert client.get("/records", params={"period": "someday"}).status_code == 422
    assert client.get("/records", params={"theme": "t_nope"}).status_code == 404
    summary = client.get("/summaries/City-wide", params={"period": "all"}).json()
    assert summary["themes"], summary
    for theme in summary["themes"]:
        evidence = client.get("/evidence", params={"district": "City-wide", "period": "all", "theme": theme["id"]})
        assert ids(theme=theme["id"]) == evidence.json()["record_ids"]
    assert any(0 < len(ids(theme=t["id"])) < len(ids()) for t in summary["themes"])  # a filter, not a no-op


def _wait(client: TestClient, url: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        job = client.get(url).json()
        if job["status"] not in ("queued", "running") or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def test_an_uploaded_csv_with_a_bad_row_reports_its_row_and_field(services: Any, api_client: Any) -> None:
    client = api_client("coordinator")
    csv = ("id,text,district,date\n"
           "u1,Noise from the bar on Elm every night,District 4,2026-11-02\n"
           "u2,Cars race down Oak Avenue,District 4,2026-13-40\n"
           "u3,The park lights are broken,District 4,2026-11-03\n")
    r = client.post("/ingest", files=[("files", ("Jorge Alvarado notes.csv", csv.encode(), "text/csv"))])
    assert r.status_code == 202, r.text
    job = _wait(client, r.json()["status_url"])
    assert job["status"] == "done", job
    assert (job["accepted"], job["rejected"], job["done"]) == (2, 1, 3)
    [rejection] = job["rejections"]
    assert (rejection["row"], rejection["field"]) == (2, "date") and rejection["file"].endswith("notes.csv")
    assert "2026-13-40" not in rejection["reason"] and "Jorge" not in str(job)
    assert {x["id"] for x in client.get("/records").json()["records"]} == {"u1", "u3"}


def test_json_records_job_and_refusals(services: Any, api_client: Any) -> None:
    client = api_client("admin")
    r = client.post("/ingest/records", json={"records": [{"id": "j1", "text": "Potholes on Main", "district": "D"},
                                                         {"id": "j2", "text": ""}]})
    assert r.status_code == 202
    job = _wait(client, r.json()["status_url"])
    assert (job["status"], job["accepted"], job["rejected"]) == ("done", 1, 1)
    assert job["rejections"][0]["file"] == "api" and job["rejections"][0]["field"] == "text"
    assert client.get("/ingest/nope").status_code == 404
    bad = client.post("/ingest", files=[("files", ("x.exe", b"MZ", "application/octet-stream")),
                                        ("files", ("ok.jsonl", b'{"id": "j3", "text": "Dark alley by the store"}'))])
    assert bad.status_code == 202
    job = _wait(client, bad.json()["status_url"])
    assert (job["status"], job["accepted"]) == ("failed", 1)  # the other file is kept
    assert [(r["file"], r["row"]) for r in job["rejections"]] == [("x.exe", None)]
    assert "unsupported file type" in job["rejections"][0]["reason"]
    assert client.post("/ingest", files=[]).status_code == 422
    assert api_client("leadership").post("/ingest/records", json={"records": [{"text": "x"}]}).status_code == 403
    assert api_client("note_taker").get(r.json()["status_url"]).status_code == 403
    assert api_client("leadership").post("/records", json={"records": [{"text": "x"}]}).status_code == 403
    assert api_client("leadership").delete("/records/j1").status_code == 403
    assert api_client("coordinator").delete("/records/j1").status_code == 200
    assert client.delete("/records/j1").status_code == 404


def test_a_job_takes_a_workbook_and_a_meeting_note_together(services: Any, api_client: Any, tmp_path: Any) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in [["id", "text", "district", "date"], ["x1", "Lights out on Elm", "District 1", "2026-09-01"],
                ["x2", "Speeding near the school", "District 2", "2026-09-02"]]:
        ws.append(row)
    wb.save(tmp_path / "survey.xlsx")
    note = "District: District 3\nDate: 2026-09-03\nMeeting: KT-1\n\nResidents asked about the broken lights.\n"
    client = api_client("coordinator")
    r = client.post("/ingest", files=[("files", ("survey.xlsx", (tmp_path / "survey.xlsx").read_bytes())),
                                      ("files", ("kt-1.md", note.encode()))])
    job = _wait(client, r.json()["status_url"])
    assert (job["status"], job["accepted"], job["rejected"], job["files"]) == ("done", 3, 0, ["survey.xlsx", "kt-1.md"])
    districts = {x["district"] for x in client.get("/records").json()["records"]}
    assert districts == {"District 1", "District 2", "District 3"}
