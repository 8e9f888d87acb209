"""The contact log: the store (text redacted before it is written), `activity` (records' meetings and logged
contacts per district and month, exact sums), the phone form (errors name the field and keep what was typed;
one POST, 303 to a confirmation; the last district remembered), the API (note-takers see their own), and the
home page's engagement activity."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.main import create_app
from synth.contacts import ContactInvalid, ContactStore, activity, check_contact
from synth.period import Period
from tests.test_web_pages import PASSWORD, csrf_of, sign_in

EMBEDDED = pytest.mark.parametrize("store_backend", ["embedded"], indirect=True)
PHONE_NUMBER = "555-201-7788"


def _ingest(services: Any, tmp_path: Path, records: list[dict[str, Any]]) -> None:
    path = tmp_path / "records.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    report = services.ingestor.ingest([path])
    assert report.accepted == len(records), report.rejections


def _note(rid: str, district: str, day: str, meeting: str | None, attendees: int | None,
          kind: str = "meeting_note") -> dict[str, Any]:
    record: dict[str, Any] = {"id": rid, "kind": kind, "text": f"Residents raised parking, note {rid}.",
                              "district": district, "date": day}
    if meeting:
        record["meeting_id"] = meeting
    if attendees is not None:
        record["attendee_count"] = attendees
    return record


def test_check_contact_names_every_field_to_fix() -> None:
    today = dt.date(2026, 12, 7)
    ok = check_contact("school_visit", "  District   2 ", "2026-12-01", "45", "30", " Assembly on bikes ", today=today)
    assert (ok.kind, ok.district, ok.day, ok.minutes, ok.residents, ok.text) == (
        "school_visit", "District 2", dt.date(2026, 12, 1), 45, 30, "Assembly on bikes")
    assert check_contact("other", "D", "", "0", "0", today=today).day == today  # the date defaults to today
    with pytest.raises(ContactInvalid) as bad:
        check_contact("tea_party", "", "2027-01-09", "forty", "-3", "x" * 281, today=today)
    assert set(bad.value.errors) == {"kind", "district", "date", "minutes", "residents", "text"}
    assert "in the future" in bad.value.errors["date"] and "280" in bad.value.errors["text"]
    with pytest.raises(ContactInvalid) as late:
        check_contact("other", "D", "2026-02-30", "10", "10000000", today=today)
    assert set(late.value.errors) == {"date", "residents"}


@EMBEDDED
def test_activity_sums_meetings_from_records_and_contacts_per_district_and_month(services: Any,
                                                                                 tmp_path: Path) -> None:
    _ingest(services, tmp_path, [
        _note("a1", "North", "2026-10-03", "m1", 12),
        _note("a2", "North", "2026-10-03", "m1", 15),  # the same meeting: counted once, at its largest count
        _note("a3", "North", "2026-10-20", "m2", 8),
        _note("a4", "North", "2026-11-02", None, None),
        _note("a5", "North", "2026-11-05", None, None, kind="comment"),
        _note("a6", "South", "2026-11-09", "m3", 20),
    ])
    store = ContactStore(services.records)
    redactor = services.redactor
    for kind, district, day, minutes, residents in [
            ("foot_patrol", "North", "2026-10-04", 20, 6), ("foot_patrol", "North", "2026-10-30", 15, 3),
            ("school_visit", "North", "2026-10-12", 60, 45), ("business_check", "South", "2026-11-01", 10, 2),
            ("youth_activity", "East", "2026-09-30", 90, 12)]:
        store.add(check_contact(kind, district, day, str(minutes), str(residents)), redactor, 1)
    rows = {(r.district, r.month): r for r in activity(services.records, period=Period.parse("2026-10..2026-11"))}
    assert set(rows) == {(d, m) for d in ("North", "South") for m in ("2026-10", "2026-11")}  # East: September
    north_oct = rows[("North", "2026-10")]
    assert (north_oct.meetings, north_oct.residents_reached, north_oct.notes) == (2, 23, 3)
    assert north_oct.contacts_by_kind == {"foot_patrol": 2, "school_visit": 1}
    assert (north_oct.contacts, north_oct.contact_minutes, north_oct.residents_met) == (3, 95, 54)
    north_nov = rows[("North", "2026-11")]
    assert (north_nov.meetings, north_nov.notes, north_nov.contacts) == (0, 1, 0)
    south_nov = rows[("South", "2026-11")]
    assert (south_nov.meetings, south_nov.residents_reached, south_nov.contact_minutes) == (1, 20, 10)
    assert (rows[("South", "2026-10")].meetings, rows[("South", "2026-10")].contacts) == (0, 0)
    one = activity(services.records, district="East", period=Period.parse("2026-09..2026-10"))
    assert [(r.month, r.contacts, r.residents_met) for r in one] == [("2026-09", 1, 12), ("2026-10", 0, 0)]
    everything = activity(services.records)
    assert {(r.district, r.month) for r in everything} == {
        ("North", "2026-10"), ("North", "2026-11"), ("South", "2026-11"), ("East", "2026-09")}
    assert sum(r.contact_minutes for r in everything) == 195 and sum(r.meetings for r in everything) == 3


@EMBEDDED
def test_a_contacts_line_is_redacted_before_it_is_stored(services: Any) -> None:
    store = ContactStore(services.records)
    new = check_contact("phone_call", "District 2", "", "5", "1", f"Called back on {PHONE_NUMBER} about the lamp")
    contact, removed = store.add(new, services.redactor, 7)
    assert removed >= 1 and PHONE_NUMBER not in contact.text and "about the lamp" in contact.text
    with services.records.session() as s:
        stored = s.execute(sa.text("select text from contacts")).scalar_one()
    assert PHONE_NUMBER not in stored
    assert store.last_district(7) == "District 2" and store.last_district(8) is None


@pytest.fixture
def client_as(services: Any) -> Any:
    app = create_app(services)
    made: list[str] = []

    def _client(role: str) -> TestClient:
        name = f"c-{role}-{len(made)}"
        made.append(name)
        services.users.add(name, role, password=PASSWORD)
        client = TestClient(app, follow_redirects=False)
        assert sign_in(client, name).status_code == 303
        return client

    return _client


@EMBEDDED
def test_the_phone_form_keeps_what_was_typed_names_the_field_and_saves_in_one_post(services: Any,
                                                                                   client_as: Any) -> None:
    officer = client_as("note_taker")
    form = officer.get("/contacts/new")
    assert form.status_code == 200 and 'name="kind"' in form.text and 'type="radio"' in form.text
    assert f'value="{dt.date.today().isoformat()}"' in form.text  # today by default
    token = csrf_of(form.text)
    typed = {"csrf_token": token, "kind": "", "district": "District 9", "date": "2026-12-01", "minutes": "ten",
             "residents": "4", "text": "Talked about the bike lane"}
    bad = officer.post("/contacts/new", data=typed)
    assert bad.status_code == 422
    alert = re.search(r'<div class="alert" role="alert">(.*?)</div>', bad.text, re.S).group(1)
    assert "Kind:" in alert and "Minutes:" in alert and "District" not in alert
    assert 'value="District 9"' in bad.text and 'value="Talked about the bike lane"' in bad.text
    assert 'value="4"' in bad.text and 'id="minutes" name="minutes"' in bad.text and 'value="ten"' in bad.text
    assert ContactStore(services.records).find() == []
    saved = officer.post("/contacts/new", data={**typed, "kind": "foot_patrol", "minutes": "10",
                                                "text": f"Bike lane; call {PHONE_NUMBER}"})
    assert saved.status_code == 303 and re.fullmatch(r"/contacts/\d+\?removed=1", saved.headers["location"])
    page = officer.get(saved.headers["location"])
    assert page.status_code == 200 and "Contact saved" in page.text and 'href="/contacts/new"' in page.text
    assert re.search(r'id="month-contacts">1<', page.text) and PHONE_NUMBER not in page.text
    assert "Bike lane" in page.text
    assert 'value="District 9"' in officer.get("/contacts/new").text, "the last district is remembered"
    [contact] = ContactStore(services.records).find()
    assert (contact.kind, contact.district, contact.minutes, contact.residents) == ("foot_patrol", "District 9", 10, 4)
    entry = services.audit.entries(action="contacts.log")[0]
    assert entry.target == "District 9" and entry.detail["contact"] == contact.id and PHONE_NUMBER not in str(entry)
    # Another officer sees no one else's contact; without the form's token nothing is saved.
    other = client_as("note_taker")
    assert other.get(saved.headers["location"]).status_code == 404
    assert other.post("/contacts/new", data={**typed, "csrf_token": "x", "kind": "other"}).status_code == 403
    assert client_as("leadership").get("/contacts/new").status_code == 403
    assert client_as("coordinator").get(saved.headers["location"]).status_code == 200


@EMBEDDED
def test_the_api_logs_contacts_and_a_note_taker_lists_only_their_own(services: Any) -> None:
    client = TestClient(create_app(services))
    tokens = {role: services.users.add(f"api-{role}", role) for role in ("note_taker", "coordinator", "leadership")}

    def as_(role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[role]}"}

    made = client.post("/contacts", headers=as_("note_taker"), json={
        "kind": "community_event", "district": "District 1", "date": "2026-11-20", "minutes": 120,
        "residents": 80, "text": f"Fair stall, ring {PHONE_NUMBER}"})
    assert made.status_code == 201, made.text
    assert made.json()["kind_label"] == "Community event" and PHONE_NUMBER not in made.json()["text"]
    assert client.post("/contacts", headers=as_("coordinator"), json={
        "kind": "other", "district": "District 2", "minutes": 5, "residents": 1}).status_code == 201
    bad = client.post("/contacts", headers=as_("coordinator"), json={
        "kind": "nope", "district": "", "minutes": 5, "residents": 1})
    assert bad.status_code == 422 and {e["loc"][-1] for e in bad.json()["detail"]} == {"kind", "district"}
    assert client.post("/contacts", headers=as_("leadership"), json={
        "kind": "other", "district": "D", "minutes": 1, "residents": 1}).status_code == 403
    mine = client.get("/contacts", headers=as_("note_taker")).json()["contacts"]
    assert [c["district"] for c in mine] == ["District 1"]
    everyone = client.get("/contacts", headers=as_("leadership")).json()["contacts"]
    assert sorted(c["district"] for c in everyone) == ["District 1", "District 2"]
    november = client.get("/contacts", headers=as_("leadership"), params={"period": "2026-11"}).json()
    assert [c["district"] for c in november["contacts"]] == ["District 1"]


@EMBEDDED
def test_the_home_page_shows_contacts_beside_the_meetings_with_exact_sums(services: Any, tmp_path: Path,
                                                                         client_as: Any) -> None:
    _ingest(services, tmp_path, [_note("h1", "North", "2026-10-03", "m1", 12),
                                 _note("h2", "South", "2026-11-03", "m2", 9),
                                 _note("h3", "North", "2026-11-04", "m3", 5)])
    store = ContactStore(services.records)
    for kind, district, day, minutes, residents in [("foot_patrol", "North", "2026-11-04", 20, 6),
                                                    ("school_visit", "North", "2026-11-20", 45, 30),
                                                    ("other", "Harbour", "2026-11-08", 5, 1),
                                                    ("other", "North", "2026-09-01", 99, 99),
                                                    ("other", "North", "2026-12-01", 7, 7)]:
        store.add(check_contact(kind, district, day, str(minutes), str(residents)), services.redactor, None)
    home = client_as("leadership").get("/", params={"period": "2026-11"})
    assert home.status_code == 200

    def cell(district: str, month: str) -> str:
        found = re.search(rf'data-district="{district}" data-month="{month}">(.*?)</td>', home.text, re.S)
        assert found, (district, month)
        return re.sub(r"\s+", " ", re.search(r'class="visually-hidden">(.*?)</span>', found.group(1)).group(1))

    assert cell("North", "2026-11") == ("1 meetings, 5 residents reached, 1 notes; 2 contacts, 65 minutes, "
                                        "36 residents met")
    assert cell("North", "2026-10").endswith("0 contacts, 0 minutes, 0 residents met")
    assert cell("Harbour", "2026-11").startswith("0 meetings") and "1 contacts, 5 minutes" in cell("Harbour", "2026-11")
    assert cell("North", "2026-09").endswith("1 contacts, 99 minutes, 99 residents met")  # the months before
    assert 'data-month="2026-12"' not in home.text  # after the period picked
