"""Limits a person or a dashboard never meets and a flood always does: body size (413 before parsing),
records per request (413), requests per token per minute (429 with Retry-After), malformed bodies (422), and
one access line per request that names the caller."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from synth.services import Services
from synth.settings import Settings
from tests.conftest import bearer

pytestmark = pytest.mark.parametrize("store_backend", ["embedded"], indirect=True)


@pytest.fixture
def tight(settings: Settings) -> Any:
    from synth.redact import RegexRedactor
    from vectorstore.embeddings import HashingEmbedder

    small = settings.model_copy(update={"api_max_body_bytes": 2_000, "api_max_records": 3,
                                        "api_requests_per_minute": 4})
    svc = Services(small, _embedder=HashingEmbedder(), _redactor=RegexRedactor())
    yield svc
    svc.close()


def _record(i: int) -> dict[str, str]:
    return {"id": f"r{i}", "text": f"Street light {i} is out.", "district": "District 1", "date": "2026-11-02"}


def test_a_body_over_the_limit_is_refused_before_it_is_parsed(tight: Any) -> None:
    client = TestClient(create_app(tight), headers=bearer(tight, "coordinator"))
    big = {"records": [{"text": "x" * 3_000, "district": "District 1"}]}
    res = client.post("/records", json=big)
    assert res.status_code == 413 and "2000 bytes" in res.json()["detail"]

    def chunks() -> Any:  # no Content-Length: the guard counts what arrives
        yield b'{"records": [{"text": "'
        for _ in range(10):
            yield b"y" * 500
        yield b'"}]}'

    res = client.post("/records", content=chunks(), headers={"content-type": "application/json"})
    assert res.status_code == 413
    assert tight.records.count_records() == 0


def test_too_many_records_in_one_request_is_413_and_nothing_is_stored(tight: Any) -> None:
    client = TestClient(create_app(tight), headers=bearer(tight, "note_taker"))
    res = client.post("/records", json={"records": [_record(i) for i in range(4)]})
    assert res.status_code == 413 and "limit is 3" in res.json()["detail"]
    assert tight.records.count_records() == 0
    assert client.post("/records", json={"records": [_record(i) for i in range(3)]}).json()["accepted"] == 3


def test_requests_over_the_budget_get_429_with_retry_after_per_token(tight: Any) -> None:
    app = create_app(tight)
    busy = TestClient(app, headers=bearer(tight, "leadership"))
    statuses = [busy.get("/districts").status_code for _ in range(6)]
    assert statuses == [200] * 4 + [429] * 2
    refused = busy.get("/districts")
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "4 requests a minute" in refused.json()["detail"]
    other = TestClient(app, headers=bearer(tight, "leadership"))
    assert other.get("/districts").status_code == 200  # the budget is per token holder


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2", b"\xff\xfe"])
def test_malformed_bodies_get_a_documented_422(services: Any, body: bytes) -> None:
    client = TestClient(create_app(services), headers=bearer(services, "coordinator"))
    res = client.post("/records", content=body, headers={"content-type": "application/json"})
    assert res.status_code == 422, res.text
    doc = client.get("/openapi.json").json()
    assert "422" in doc["paths"]["/records"]["post"]["responses"]


def test_each_request_logs_one_access_line_naming_the_caller(services: Any,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    client = TestClient(create_app(services), headers=bearer(services, "leadership", name="lee"))
    with caplog.at_level(logging.INFO, logger="synth.access"):
        client.get("/districts")
        TestClient(create_app(services)).get("/districts")
    lines = [r.getMessage() for r in caplog.records if r.name == "synth.access"]
    assert lines[0].startswith("GET /districts 200 caller=lee")
    assert lines[1].startswith("GET /districts 401 caller=-")


def test_uploads_have_the_input_file_cap_not_the_body_cap(tight: Any) -> None:
    client = TestClient(create_app(tight), headers=bearer(tight, "coordinator"))
    rows = "text,district,date\n" + "".join(f"Street light {i} is out on Birch.,District 1,2026-11-02\n"
                                             for i in range(100))
    assert len(rows) > 2_000  # over the body cap
    res = client.post("/ingest", files={"files": ("lights.csv", rows.encode(), "text/csv")})
    assert res.status_code == 202, res.text
