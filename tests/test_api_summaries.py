"""Summaries and evidence over HTTP, on the sample city: every count a summary shows has exactly as many records
behind it in GET /evidence; Markdown; district names with spaces and "/"."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from samplecity import CityTruth, generate_city

pytestmark = pytest.mark.parametrize("store_backend", ["embedded"], indirect=True)  # the store is beside the point


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CityTruth]:
    out = tmp_path_factory.mktemp("city")
    return out, generate_city(out, records=300, seed=5, pii_records=5, injection_records=2)


@pytest.fixture
def city_services(services: Any, city: tuple[Path, CityTruth]) -> Any:
    out, _ = city
    services.ingestor.ingest([out / "notes", out / "comments"])
    return services


def test_every_summary_count_has_exactly_its_evidence(city_services: Any, api_client: Any,
                                                      city: tuple[Path, CityTruth]) -> None:
    city_services.settings.api_requests_per_minute = 10_000  # one client asks for every cell within a minute
    client = api_client("leadership")
    scopes = client.get("/summaries").json()["scopes"]
    districts = [s["district"] for s in scopes]
    assert districts[-1] == "City-wide" and set(districts[:-1]) == set(city[1].records_per_district_month)
    checked = 0
    for district in districts:
        r = client.get(f"/summaries/{quote(district, safe='')}")
        assert r.status_code == 200, r.text
        summary = r.json()
        assert summary["schema"] == "synth.summary/1" and summary["district"] == district
        assert summary["themes"], district
        for theme in summary["themes"]:
            cells = [(None, theme["mentions"]), *theme["sentiment"].items()]
            for sentiment, count in cells:
                params = {"district": district, "period": summary["period"], "theme": theme["id"], "snippets": 0}
                if sentiment:
                    params["sentiment"] = sentiment
                got = client.get("/evidence", params=params).json()
                assert got["count"] == len(got["record_ids"]) == count, (district, theme["id"], sentiment)
                checked += 1
    assert checked >= 4 * len(districts)


def test_evidence_records_are_in_scope_and_snippets_redacted(city_services: Any, api_client: Any) -> None:
    client = api_client("coordinator")
    summary = client.get("/summaries/District%201", params={"period": "all"}).json()
    theme = summary["themes"][0]
    got = client.get("/evidence", params={"district": "District 1", "period": "all", "theme": theme["id"],
                                          "snippets": 5}).json()
    assert summary["period"] == got["period"] == "all" and got["theme_label"] == theme["label"]
    assert [s["record_id"] for s in got["snippets"]] == got["record_ids"][:5]
    stored = {r.id: r for r in city_services.records.iter_records()}
    assert all(stored[rid].district == "District 1" for rid in got["record_ids"])
    assert all(s["text"] and s["text"] in stored[s["record_id"]].text for s in got["snippets"])
    [entry, *_] = city_services.audit.entries(action="evidence.read")
    assert (entry.target, entry.detail["theme"], entry.detail["records"]) == ("District 1", theme["id"],
                                                                            len(got["record_ids"]))
    for bad in ({"district": "District 1", "theme": "t_nope"}, {"district": "Atlantis", "theme": theme["id"]}):
        assert client.get("/evidence", params=bad).status_code == 404
    assert client.get("/evidence", params={"district": "District 1", "theme": theme["id"],
                                           "period": "2026-13"}).status_code == 422
    backwards = client.get("/evidence", params={"district": "District 1", "theme": theme["id"],
                                                "period": "2026-11..2026-06"})
    assert backwards.json()["period"] == "2026-06..2026-11"  # read in order


def test_markdown_and_the_city_in_any_case(city_services: Any, api_client: Any) -> None:
    client = api_client("admin")
    md = client.get("/summaries/city-wide", params={"format": "md", "period": "2026-11"})
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    as_json = client.get("/summaries/City-wide", params={"period": "2026-11"}).json()
    assert as_json["district"] == "City-wide" and as_json["period"] == "2026-11"
    assert as_json["themes"][0]["label"] in md.text
    assert client.get("/summaries/Atlantis").status_code == 404


def test_district_names_with_spaces_and_slashes(services: Any, api_client: Any) -> None:
    client = api_client("admin")
    assert client.get("/summaries").json() == {"scopes": []}
    assert client.get("/summaries/City-wide").status_code == 404  # no records yet
    body = {"records": [{"id": f"n{i}", "text": f"The street lights on {s} Street are out at night.",
                         "district": "North/East Side", "date": f"2026-10-0{i + 1}"}
                        for i, s in enumerate(["Elm", "Oak", "Ash"])]}
    posted = client.post("/records", json=body).json()
    assert posted["accepted"] == 3, posted
    assert [s["district"] for s in client.get("/summaries").json()["scopes"]] == ["North/East Side", "City-wide"]
    r = client.get("/summaries/North%2FEast%20Side")
    assert r.status_code == 200, r.text
    summary = r.json()
    assert summary["district"] == "North/East Side" and summary["counts"]["records"] == 3
    theme = summary["themes"][0]
    got = client.get("/evidence", params={"district": "North/East Side", "theme": theme["id"]}).json()
    assert len(got["record_ids"]) == theme["mentions"] and got["period"] == summary["period"]
