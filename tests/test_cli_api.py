"""The `synth` command and the HTTP API over the same pipeline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.main import create_app
from synth.cli import app
from tests.conftest import bearer


def test_sample_ingest_stats_reindex(cli_env: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["sample", "--out", str(tmp_path / "city"), "--records", "300"])
    assert res.exit_code == 0, res.output
    truth = json.loads((tmp_path / "city" / "truth.json").read_text())
    res = runner.invoke(app, ["ingest", str(tmp_path / "city" / "notes"), str(tmp_path / "city" / "comments")])
    assert res.exit_code == 0, res.output
    assert f"read {truth['records_total']}, accepted {truth['records_total']}, rejected 0, duplicates 0" in res.stdout
    res = runner.invoke(app, ["stats"])
    assert res.exit_code == 0 and "District 6" in res.stdout
    stats = {d["district"]: d for d in json.loads(runner.invoke(app, ["stats", "--json"]).stdout)}
    for district, months in truth["records_per_district_month"].items():
        got = stats[district]
        assert got["records"] == sum(months.values())
        assert got["meetings"] == truth["meetings_per_district"][district]
        assert got["attendees"] == truth["attendees_per_district"][district]
    res = runner.invoke(app, ["reindex"])
    assert res.exit_code == 0 and f"reindexed {truth['records_total']} records" in res.stdout


def test_ingest_reports_rejections_and_strict_exit(cli_env: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,text\nc1,\nc2,fine\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["ingest", str(bad), "--strict"])
    assert res.exit_code == 2
    assert "bad.csv, row 1, field 'text': text is missing or empty" in res.stderr
    assert "accepted 1, rejected 1" in res.stdout


def test_ingest_errors_are_one_clear_line(cli_env: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["ingest", str(tmp_path / "nope.csv")])
    assert res.exit_code == 1 and "nope.csv: no such file or directory" in res.stderr
    res = CliRunner().invoke(app, ["ingest", str(tmp_path), "--map", "broken"])
    assert res.exit_code == 2 and "COLUMN=FIELD" in res.output
    res = CliRunner().invoke(app, ["themes", "seed", str(tmp_path / "taxonomy.yaml")])
    assert res.exit_code == 1 and "taxonomy.yaml: cannot read the taxonomy YAML" in res.stderr


def test_taxonomy_edit_errors_are_one_clear_line(cli_env: Path) -> None:
    for args, message in ((["rename", "t_nope", "Lights"], "no theme 't_nope'; known themes: none"),
                          (["merge", "t_a", "--into", "t_b"], "no theme 't_a'; known themes: none"),
                          (["pin", "t_nope"], "no theme 't_nope'; known themes: none"),
                          (["chatter", "t_nope"], "no theme 't_nope'"),
                          (["split", "t_nope"], "no theme 't_nope'; known themes: none")):
        res = CliRunner().invoke(app, ["themes", *args])
        assert res.exit_code == 1, res.output
        assert res.stderr.strip() == f"error: {message}" and not res.stdout


def test_api_ingest_and_district_counts(services: Any) -> None:
    client = TestClient(create_app(services), headers=bearer(services))
    body = {"source": "webform", "records": [
        {"id": "w1", "text": "Call 555-201-3344 about the lights", "district": "District 2"},
        {"id": "w2", "text": "", "district": "District 2"},
        {"id": "w3", "text": "Speeding on Elm", "district": "District 5"}]}
    r = client.post("/records", json=body)
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["accepted"], got["rejected"], got["redactions"]) == (2, 1, {"PHONE_NUMBER": 1})
    assert got["rejections"] == ["webform, row 2, field 'text': text is missing or empty"]
    assert client.post("/records", json=body).json()["duplicates"] == 2
    counts = {d["district"]: d["records"] for d in client.get("/districts").json()}
    assert counts == {"District 2": 1, "District 5": 1}
    assert client.get("/health").json() == {"status": "ok"}


def test_api_validates_requests(services: Any) -> None:
    client = TestClient(create_app(services), headers=bearer(services))
    assert client.post("/records", json={"records": []}).status_code == 422
    assert client.post("/records", json={"records": [{"text": "x"}], "source": "../etc"}).status_code == 422


@pytest.mark.parametrize("store_backend", ["embedded"], indirect=True)  # the store is beside the point
def test_api_answers_follow_a_theme_rename_without_new_records(services: Any, write: Any) -> None:
    from synth.synthesis.taxonomy_file import load_seed_file
    from synth.synthesis.theme_editor import TaxonomyEditor

    path = write("r.jsonl", "\n".join(json.dumps({"id": f"x{i}", "text": f"The street lights are dark on {s}.",
                                                  "district": "District 4", "date": "2026-10-01"})
                                      for i, s in enumerate(["Elm", "Oak", "Ash", "Birch"])) + "\n")
    services.ingestor.ingest([path])
    seed = write("taxonomy.yaml", "themes:\n  - id: lighting\n    label: Street lighting\n    examples:\n"
                                  "      - the street lights are dark\n      - dark street lights on our block\n")
    services.synthesizer.refresh(seeds=load_seed_file(seed))
    question = {"question": "What are residents in District 4 most worried about?"}
    with TestClient(create_app(services), headers=bearer(services)) as client:
        first = client.post("/ask", json=question).json()
        assert "Street lighting" in first["text"] and first["status"] == "answered"
        TaxonomyEditor(services.synthesizer).rename("lighting", "Dark blocks at night")
        assert "Dark blocks at night" in client.post("/ask", json=question).json()["text"]
