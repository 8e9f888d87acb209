"""Themes, questions and the eval report over HTTP: coordinators edit the taxonomy (logged), readers list it;
answers carry no internal fields. (Who may call each route: tests/test_api_roles.py.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.parametrize("store_backend", ["embedded"], indirect=True)  # the store is beside the point

SEED = ("themes:\n  - id: lighting\n    label: Street lighting\n    examples:\n"
        "      - the street lights are dark\n      - the lamp posts are out\n"
        "  - id: speeding\n    label: Speeding\n    examples:\n"
        "      - drivers are speeding\n      - running the stop sign\n")


@pytest.fixture
def seeded(services: Any, write: Any) -> Any:
    from synth.synthesis.taxonomy_file import load_seed_file

    texts = ["The street lights are dark on Elm.", "Drivers are speeding on Oak and run the stop sign."]
    lines = [{"id": f"x{i}", "district": "District 4", "date": "2026-10-01",
              "text": f"{texts[i % 2]} Seen on night {i}."} for i in range(8)]
    services.ingestor.ingest([write("r.jsonl", "\n".join(json.dumps(x) for x in lines) + "\n")])
    services.synthesizer.refresh(seeds=load_seed_file(write("taxonomy.yaml", SEED)))
    return services


def test_coordinators_edit_themes_and_the_edits_are_logged(seeded: Any, api_client: Any) -> None:
    editor, reader = api_client("coordinator"), api_client("leadership")
    listed = {t["id"]: t for t in reader.get("/themes").json()}
    assert listed["lighting"]["label"] == "Street lighting" and "examples" not in listed["lighting"]
    r = editor.patch("/themes/lighting", json={"label": "Dark streets", "pinned": True})
    assert r.status_code == 200 and (r.json()["label"], r.json()["pinned"]) == ("Dark streets", True)
    assert editor.patch("/themes/speeding", json={"is_concern": False}).json()["is_concern"] is False
    assert editor.patch("/themes/speeding", json={"is_concern": True}).json()["is_concern"] is True
    assert editor.patch("/themes/nope", json={"label": "x"}).status_code == 404
    assert editor.patch("/themes/lighting", json={}).status_code == 422
    assert reader.patch("/themes/lighting", json={"label": "Mine"}).status_code == 403
    summary = reader.get("/summaries/District%204", params={"period": "2026-10"}).json()
    assert "Dark streets" in [t["label"] for t in summary["themes"]]
    merged = editor.post("/themes/merge", json={"theme_ids": ["speeding"], "into": "lighting"})
    assert merged.status_code == 200 and merged.json()["id"] == "lighting"
    assert [t["id"] for t in reader.get("/themes").json() if t["is_concern"]] == ["lighting"]
    assert editor.post("/themes/merge", json={"theme_ids": ["gone"], "into": "lighting"}).status_code == 404
    assert editor.post("/themes/lighting/split", json={"parts": 9}).status_code == 422  # too few distinct spans
    actions = [e["action"] for e in editor.get("/themes/edits").json()]
    assert actions[-5:] == ["rename", "pin", "chatter", "concern", "merge"], actions
    assert reader.get("/themes/edits").status_code == 403


def test_split_makes_new_themes(seeded: Any, api_client: Any) -> None:
    editor = api_client("admin")
    editor.post("/themes/merge", json={"theme_ids": ["speeding"], "into": "lighting"})
    parts = editor.post("/themes/lighting/split", json={"parts": 2})
    assert parts.status_code == 200, parts.text
    new = [t["id"] for t in parts.json()]
    assert len(new) == 2 and "lighting" not in new
    assert set(new) <= {t["id"] for t in editor.get("/themes").json()}


def test_answers_keep_conversations_and_leave_internals_out(seeded: Any, api_client: Any) -> None:
    client = api_client("leadership")
    first = client.post("/ask", json={"question": "How many records raised street lighting in District 4?"})
    assert first.status_code == 200, first.text
    body = first.json()
    assert not {"query", "parser", "llm_tokens"} & set(body) and body["status"] == "answered"
    assert body["conversation_id"] and body["figures"]
    follow = client.post("/ask", json={"question": "And speeding?", "conversation_id": body["conversation_id"]})
    assert follow.status_code == 200 and follow.json()["conversation_id"] == body["conversation_id"]
    assert "District 4" in follow.json()["coverage"]["text"]
    assert api_client("note_taker").post("/ask", json={"question": "Anything?"}).status_code == 403


def test_the_latest_eval_report(services: Any, api_client: Any, tmp_path: Path) -> None:
    client = api_client("coordinator")
    services.settings.eval_report_dir = tmp_path / "eval"
    assert client.get("/evals/latest").status_code == 404
    (tmp_path / "eval").mkdir()
    report = {"schema": "synth.eval/1", "dataset": "sample", "description": "d", "truth": "t", "backend": "offline",
              "mode": "seeded", "records": 10, "embedder": "hashing", "redactor": "regex",
              "thresholds_file": "x", "thresholds_version": 1, "generated_at": "2026-12-01T10:00:00Z",
              "seconds": {}, "passed": True, "notes": [],
              "gates": [{"metric": "themes.f1", "op": "min", "threshold": 0.5, "value": 0.9, "passed": True}],
              "sections": [{"name": "themes", "title": "Themes", "details": {"pairs": [{"labelled": "a"}]},
                            "metrics": [{"key": "themes.f1", "value": 0.9, "formula": "f1", "n": 10}]}]}
    (tmp_path / "eval" / "report.json").write_text(json.dumps(report), encoding="utf-8")
    got = client.get("/evals/latest").json()
    assert got["passed"] is True and got["gates"][0]["metric"] == "themes.f1"
    assert "details" not in got["sections"][0] and got["sections"][0]["metrics"][0]["value"] == 0.9
    assert api_client("note_taker").get("/evals/latest").status_code == 403
