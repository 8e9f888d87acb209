"""'You said, we did' actions: overdue, following a merged theme, redaction before storage, the JSON API
(validation errors name the field, filters, audit) and the board and district pages over TestClient."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from synth.actions import Action, ThemeMap, completed_in, is_overdue, under_current_themes
from tests.test_web_pages import (
    csrf_of,
    web,  # noqa: F401  (the fixture: signed-in page clients)
)

TODAY = dt.date(2026, 12, 7)
YESTERDAY, TOMORROW = TODAY - dt.timedelta(days=1), TODAY + dt.timedelta(days=1)


def test_overdue_means_past_due_and_still_open() -> None:
    assert is_overdue(YESTERDAY, "planned", TODAY) and is_overdue(YESTERDAY, "in_progress", TODAY)
    assert not is_overdue(YESTERDAY, "done", TODAY) and not is_overdue(YESTERDAY, "dropped", TODAY)
    assert not is_overdue(TODAY, "planned", TODAY) and not is_overdue(TOMORROW, "planned", TODAY)
    assert not is_overdue(None, "planned", TODAY)


def _action(theme_id: str, label: str = "Old label", **extra: Any) -> Action:
    now = dt.datetime(2026, 11, 3, tzinfo=dt.UTC)
    fields = {"id": 1, "district": "D", "theme_id": theme_id, "theme_label": label, "title": "t", "owner": "",
              "due": None, "status": "planned", "note": "", "overdue": False, "created_by": "a", "created_at": now,
              "updated_by": "a", "updated_at": now, "completed_at": None}
    return Action.model_validate({**fields, **extra})


def test_an_action_follows_its_theme_through_merges_and_keeps_its_label_when_the_theme_is_gone() -> None:
    edits = [(None, "rename", {"id": "b", "label": "B"}), (None, "merge", {"from": ["a", "x"], "into": "b"}),
             (None, "merge", {"from": ["b"], "into": "c"}), (None, "split", {"id": "s", "into": ["s1", "s2"]})]
    themes = ThemeMap.of({"c": "Parking", "s1": "One", "s2": "Two"}, edits)
    assert themes.current("a") == "c" and themes.current("b") == "c" and themes.current("c") == "c"
    assert themes.current("s") is None and themes.current("never") is None
    moved, retired = under_current_themes([_action("a"), _action("s", "Split theme")], themes)
    assert (moved.theme_id, moved.theme_label, moved.theme_retired) == ("c", "Parking", False)
    assert (retired.theme_id, retired.theme_label, retired.theme_retired) == ("s", "Split theme", True)
    looping = ThemeMap.of({}, [(None, "merge", {"from": ["p"], "into": "q"}), (None, "merge", {"from": ["q"],
                                                                                             "into": "p"})])
    assert looping.current("p") is None  # a cycle in a hand-edited log ends, it does not hang


def test_completed_in_a_period_counts_only_done_actions_of_those_months() -> None:
    done_nov = _action("a", status="done", completed_at=dt.datetime(2026, 11, 30, 23, tzinfo=dt.UTC))
    done_dec = _action("a", status="done", completed_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    dropped = _action("a", status="dropped", completed_at=None)
    assert completed_in([done_nov, done_dec, dropped], ["2026-11"]) == [done_nov]
    assert completed_in([done_nov, done_dec, dropped], None) == [done_dec, done_nov]
    assert completed_in([done_nov, done_dec, dropped], ["2026-11"], and_since=True) == [done_dec, done_nov]
    assert completed_in([done_nov, done_dec], ["2026-12"], and_since=True) == [done_dec]


# -- the store and the API, over the sample city ------------------------------------------------------------
@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from samplecity import generate_city

    out = tmp_path_factory.mktemp("city")
    generate_city(out, records=200, seed=11, pii_records=0, injection_records=0)
    return out


@pytest.fixture
def city_services(services: Any, city: Path) -> Any:
    services.ingestor.ingest([city / "notes", city / "comments"])
    services.synthesizer.refresh()
    services.settings.api_requests_per_minute = 10_000
    return services


def concern_theme(svc: Any, n: int = 0) -> Any:
    return sorted((t for t in svc.synthesizer.taxonomy().themes.values() if t.is_concern), key=lambda t: t.id)[n]


pytestmark_embedded = pytest.mark.parametrize("store_backend", ["embedded"], indirect=True)


@pytestmark_embedded
def test_the_api_creates_lists_filters_and_completes_actions_with_an_audit_trail(city_services: Any,
                                                                                 api_client: Any) -> None:
    svc = city_services
    coordinator, reader = api_client("coordinator", "cora"), api_client("leadership")
    theme = concern_theme(svc)
    svc.users.add("sgt-patel", "coordinator")
    late = coordinator.post("/actions", json={
        "district": "District 1", "theme_id": theme.id, "title": "Fix the lamp reported on 555-201-7788",
        "owner": "sgt-patel", "due": YESTERDAY.isoformat()})
    assert late.status_code == 201, late.text
    body = late.json()
    assert body["status"] == "planned" and body["overdue"] and body["theme_label"] == theme.label
    assert body["title"] == "Fix the lamp reported on [PHONE]", "redacted before storage"
    assert body["owner"] == "sgt-patel", "a synth user name is kept as typed"
    unit = coordinator.post("/actions", json={"district": "District 2", "theme_id": theme.id,
                                              "title": "Traffic survey", "owner": "Traffic unit"}).json()
    assert unit["owner"] == "Traffic unit" and not unit["overdue"] and unit["due"] is None

    listed = reader.get("/actions").json()
    assert [a["id"] for a in listed] == [body["id"], unit["id"]]  # by due date, none last
    assert [a["id"] for a in reader.get("/actions", params={"district": "District 2"}).json()] == [unit["id"]]
    assert [a["id"] for a in reader.get("/actions", params={"overdue": "true"}).json()] == [body["id"]]
    assert reader.get("/actions", params={"status": "done"}).json() == []
    assert len(reader.get("/actions", params={"theme": theme.id}).json()) == 2

    done = coordinator.patch(f"/actions/{body['id']}", json={"status": "done", "note": "Lamp replaced."}).json()
    assert done["status"] == "done" and done["note"] == "Lamp replaced." and done["completed_at"]
    assert not done["overdue"] and done["updated_by"] == "cora"
    assert [a["id"] for a in reader.get("/actions", params={"status": "done"}).json()] == [body["id"]]
    reopened = coordinator.patch(f"/actions/{body['id']}", json={"status": "in_progress"}).json()
    assert reopened["completed_at"] is None and reopened["overdue"]

    assert reader.post("/actions", json={"district": "District 1", "theme_id": theme.id,
                                         "title": "x"}).status_code == 403
    assert coordinator.patch("/actions/99999", json={"status": "done"}).status_code == 404
    actions = [(e.action, e.target) for e in svc.audit.entries(action="actions.")]
    assert ("actions.create", f"action {body['id']}") in actions and actions.count(
        ("actions.update", f"action {body['id']}")) == 2
    detail = svc.audit.entries(action="actions.update")[0].detail
    assert detail == {"fields": ["status"], "status": "in_progress"}, "ids and field names, never the text"


@pytestmark_embedded
def test_invalid_actions_are_refused_naming_the_field(city_services: Any, api_client: Any) -> None:
    client, theme = api_client("admin"), concern_theme(city_services)
    good = {"district": "District 1", "theme_id": theme.id, "title": "Walkabout"}

    def refused(method: str, url: str, body: dict[str, Any], status: int = 422) -> list[str]:
        res = client.request(method, url, json=body)
        assert res.status_code == status, res.text
        return [str(e["loc"][-1]) for e in res.json()["detail"]]

    assert refused("POST", "/actions", {**good, "district": "Atlantis"}, 404) == ["district"]  # names a thing
    assert refused("POST", "/actions", {**good, "theme_id": "no-such-theme"}, 404) == ["theme_id"]
    assert refused("POST", "/actions", {**good, "title": "   "}) == ["title"]
    assert refused("POST", "/actions", {**good, "due": "2026-02-30"}) == ["due"]
    assert refused("POST", "/actions", {**good, "status": "finished"}) == ["status"]
    assert refused("POST", "/actions", {**good, "title": "x" * 201}) == ["title"]
    made = client.post("/actions", json=good).json()
    assert refused("PATCH", f"/actions/{made['id']}", {"status": None}) == ["status"]
    assert refused("PATCH", f"/actions/{made['id']}", {"colour": "red"}) == ["colour"]
    assert client.patch(f"/actions/{made['id']}", json={}).status_code == 422
    assert client.patch(f"/actions/{made['id']}", json={"due": None}).json()["due"] is None


@pytestmark_embedded
def test_an_action_follows_its_theme_when_a_coordinator_merges_it(city_services: Any, api_client: Any) -> None:
    from synth.synthesis.theme_editor import TaxonomyEditor

    svc = city_services
    counted = {t.id for t in svc.live.corpus().themes.values()}
    source, into = [t for t in (concern_theme(svc, i) for i in range(8)) if t.id in counted][:2]
    client = api_client("coordinator")
    made = client.post("/actions", json={"district": "District 3", "theme_id": source.id,
                                         "title": "Evening patrols"}).json()
    TaxonomyEditor(svc.synthesizer).merge([source.id], into.id)
    [moved] = client.get("/actions", params={"theme": into.id}).json()
    assert moved["id"] == made["id"] and moved["theme_label"] == into.label and not moved["theme_retired"]
    assert client.get("/actions", params={"theme": source.id}).json() == []


# -- pages --------------------------------------------------------------------------------------------------
@pytestmark_embedded
def test_the_board_adds_and_completes_an_action_and_the_district_page_shows_it(city_services: Any,
                                                                               web: Any) -> None:  # noqa: F811
    svc = city_services
    client, reader = web("coordinator"), web("leadership")
    summary = svc.live.summary("District 1", "all")
    theme = next(t for t in summary.themes if t.id in summary.worries)
    board = client.get("/actions", params={"district": "District 1", "theme": theme.id})
    assert board.status_code == 200 and "text/html" in board.headers["content-type"]
    assert re.search(rf'<option value="{re.escape(theme.id)}" selected>', board.text), "prefilled from the link"
    form = {"csrf_token": csrf_of(board.text), "district": "District 1", "theme_id": theme.id,
            "title": "Ask the council about the lamp on Elm", "owner": "Lighting unit",
            "due": YESTERDAY.isoformat()}
    assert client.post("/actions/new", data={**form, "csrf_token": "forged"}).status_code == 403
    bad = client.post("/actions/new", data={**form, "title": ""})
    assert bad.status_code == 422 and "Title" in bad.text and "Ask the council" not in bad.text
    added = client.post("/actions/new", data=form)
    assert added.status_code == 303 and (anchor := added.headers["location"]).startswith("/actions#action-")
    action_id = anchor.rsplit("-", 1)[1]
    board = client.get("/actions").text
    card = board[board.index(f'id="action-{action_id}"'):]
    assert "Overdue" in card[:card.index("</article>")]

    district = reader.get("/districts/District%201", params={"period": "all"}).text
    beside = district[district.index(f'id="theme-{theme.id}"'):]
    beside = beside[:beside.index("</article>")]
    assert "Ask the council about the lamp on Elm" in beside and "Overdue" in beside and "Planned" in beside
    assert "Add an action" not in district, "a reader sees actions but no add link"
    assert "Add an action" in client.get("/districts/District%201", params={"period": "all"}).text

    done = client.post(f"/actions/{action_id}", data={"csrf_token": csrf_of(board), "status": "done",
                                                      "note": "Council replaced it.", "back": "//evil.example"})
    assert done.status_code == 303 and done.headers["location"] == f"/actions#action-{action_id}"
    assert reader.post(f"/actions/{action_id}", data={"csrf_token": csrf_of(board), "status": "done"}
                       ).status_code == 403
    district = reader.get("/districts/District%201", params={"period": "all"}).text
    beside = district[district.index(f'id="theme-{theme.id}"'):]
    beside = beside[:beside.index("</article>")]
    assert "Done" in beside and "Overdue" not in beside
    assert TestClient(web.app).get("/actions", headers={"Accept": "application/json"}).status_code == 401
    page = reader.get(f"/actions/{action_id}")
    assert page.status_code == 200 and "Council replaced it." in page.text and 'name="status"' not in page.text
    token = svc.users.add("api-reader", "leadership")
    as_json = TestClient(web.app).get(f"/actions/{action_id}", headers={"Authorization": f"Bearer {token}"})
    assert as_json.json()["note"] == "Council replaced it." and as_json.json()["status"] == "done"
    form = client.get("/actions/new", params={"district": "District 1", "theme": theme.id})
    assert form.status_code == 200 and '<option value="District 1" selected>' in form.text
    assert reader.get("/actions/new").status_code == 403
