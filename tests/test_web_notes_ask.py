"""The note form and the Ask page over TestClient (the browser tests in tests/browser/ drive them in Chromium):
what a saved note becomes in the store, CSRF, and a follow-up question keeping its conversation."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.test_web_pages import PASSWORD, csrf_of, sign_in

pytestmark = pytest.mark.parametrize("store_backend", ["embedded"], indirect=True)


def _signed_in(services: Any, role: str, name: str) -> TestClient:
    services.users.add(name, role, password=PASSWORD)
    client = TestClient(create_app(services), follow_redirects=False)
    assert sign_in(client, name).status_code == 303
    return client


def _note(client: TestClient, **fields: Any) -> Any:
    page = client.get("/notes/new")
    assert page.status_code == 200
    data = {"csrf_token": csrf_of(page.text), "district": "District 9", "date": dt.date.today().isoformat(),
            "attendees": "12", "top_concerns": ["Street lighting", "Speeding and traffic safety"],
            "other_concerns": "dog fouling; loud bikes", "overall_sentiment": "mixed",
            "text": "Lamps out on Birch St. Mr Jones (555-201-7788) asked for more patrols.", **fields}
    return client.post("/notes/new", data=data)


def test_a_saved_note_is_the_callers_redacted_standard_form_record(services: Any) -> None:
    officer = _signed_in(services, "note_taker", "otto")
    res = _note(officer, meeting="Birch block meeting", location="Library")
    assert res.status_code == 200 and "Your note is counted" in res.text
    assert re.search(r'id="district-records">1<', res.text)
    [record] = list(services.records.iter_records())
    assert record.kind.value == "meeting_note" and record.district == "District 9"
    assert record.date == dt.date.today() and record.attendee_count == 12
    assert record.top_concerns == ["Street lighting", "Speeding and traffic safety", "dog fouling", "loud bikes"]
    assert record.overall_sentiment is not None and record.overall_sentiment.value == "mixed"
    assert "555-201-7788" not in record.text and "Lamps out" in record.text
    assert record.note_taker and record.note_taker.startswith("nt_") and "otto" not in record.note_taker
    listed = TestClient(officer.app).get("/records", headers={
        "Authorization": f"Bearer {services.users.issue_token('otto')}"}).json()["records"]
    assert [r["id"] for r in listed] == [record.id], "the note is kept as the officer's own"
    again = _note(officer, meeting="Birch block meeting", location="Library")
    assert "Already saved" in again.text and len(list(services.records.iter_records())) == 1


def test_a_note_without_its_csrf_token_is_refused_and_not_stored(services: Any) -> None:
    officer = _signed_in(services, "note_taker", "otto")
    res = _note(officer, csrf_token="forged")
    assert res.status_code == 403
    assert list(services.records.iter_records()) == []


def test_a_note_with_missing_fields_says_what_to_fix(services: Any) -> None:
    coordinator = _signed_in(services, "coordinator", "cora")
    res = _note(coordinator, district="", text="", attendees="many", date="7 Dec")
    assert res.status_code == 422
    for message in ("Choose or type the district", "YYYY-MM-DD", "whole number", "Write the notes"):
        assert message in res.text
    assert list(services.records.iter_records()) == []


def test_the_ask_page_answers_and_a_follow_up_keeps_the_conversation(services: Any, tmp_path: Any) -> None:
    from samplecity import generate_city

    generate_city(tmp_path / "city", records=200, seed=3)
    services.ingestor.ingest([tmp_path / "city" / "notes", tmp_path / "city" / "comments"])
    services.synthesizer.refresh()  # as `synth ingest` does after storing
    lead = _signed_in(services, "leadership", "lea")
    page = lead.get("/questions")
    question = "How many records mentioned street lighting in District 1?"
    first = lead.post("/questions", data={"csrf_token": csrf_of(page.text), "question": question})
    answer = re.search(r"<article.*</article>", first.text, re.S)
    assert first.status_code == 200 and answer
    assert "Coverage:" in answer.group(0) and "Street lighting" in answer.group(0)
    conversation = re.search(r'name="conversation_id" value="([^"]+)"', first.text).group(1)  # type: ignore[union-attr]
    follow = lead.post("/questions", data={"csrf_token": csrf_of(first.text), "question": "and in District 2?",
                                           "conversation_id": conversation, "earlier": question})
    assert follow.status_code == 200
    assert f'name="conversation_id" value="{conversation}"' in follow.text
    followed = re.search(r"<article.*</article>", follow.text, re.S).group(0)  # type: ignore[union-attr]
    assert "District 2" in followed and "Street lighting" in followed, "the follow-up keeps the theme"
    assert "Earlier in this conversation" in follow.text
    assert len(services.audit.entries(action="ask")) == 2
