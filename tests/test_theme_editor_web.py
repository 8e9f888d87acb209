"""The theme editor page `/themes` over TestClient, on the sample city: who may open and edit it, CSRF, the preview
saving nothing, and every previewed count equal to the count the page (and the API, and the summaries' live
corpus) shows once the edit is applied."""

from __future__ import annotations

import re
from collections import Counter
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from tests.test_web_pages import city, csrf_of, web  # noqa: F401  (the sample city and web(role) fixtures)

pytestmark = pytest.mark.parametrize("store_backend", ["embedded"], indirect=True)


@pytest.fixture
def city_web(services: Any, city: Path, web: Any) -> Any:  # noqa: F811
    from synth.synthesis.taxonomy_file import load_seed_file

    services.ingestor.ingest([city / "notes", city / "comments"])
    services.synthesizer.refresh(seeds=load_seed_file(city / "taxonomy.yaml"))
    services.settings.api_requests_per_minute = 10_000
    return web


def page_counts(html: str) -> dict[str, int]:
    """Theme id -> the mentions the editor's table shows."""
    rows = re.findall(r'<tr id="theme-([^"]+)".*?<td class="num mentions">(\d+)</td>', html, re.S)
    return {tid: int(n) for tid, n in rows}


def previewed(html: str) -> dict[str, tuple[int, int]]:
    """Theme id -> (now, after) from the preview's city-wide table."""
    rows = re.findall(r'<tr id="preview-([^"]+)">\s*<th scope="row">.*?</th><td class="num">(\d+)</td>'
                      r'<td class="num after">(\d+)</td>', html, re.S)
    return {tid: (int(a), int(b)) for tid, a, b in rows}


def form_fields(html: str) -> dict[str, list[str]]:
    """The Apply form's fields (hidden inputs), as a browser would send them."""
    form = html[html.index('class="apply-form"'):]
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form):
        fields.setdefault(name, []).append(unescape(value))
    return fields


def learned_keys(services: Any) -> list[str]:
    from sqlalchemy import select

    from synth.synthesis.store import LearnedRow

    with services.records.session() as s:
        return list(s.scalars(select(LearnedRow.key)))


def live_counts(services: Any) -> Counter[str]:
    return Counter(t for row in services.live.corpus().rows for t in row.annotation.themes)


def test_editors_edit_leadership_reads_officers_are_refused_and_tokens_get_json(city_web: Any, services: Any,
                                                                              api_client: Any) -> None:
    coordinator, leader, officer = city_web("coordinator"), city_web("leadership"), city_web("note_taker")
    page = coordinator.get("/themes")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    counts = page_counts(page.text)
    assert counts == {tid: live_counts(services)[tid] for tid in services.synthesizer.taxonomy().themes}
    assert 'action="/themes"' in page.text and "Edit log" in page.text
    assert page.text.count('<option value="noise">') == 5  # every form's theme list (merge, rename, split, ...)
    read_only = leader.get("/themes")
    assert read_only.status_code == 200 and page_counts(read_only.text) == counts
    assert 'action="/themes"' not in read_only.text and "Edit log" not in read_only.text
    assert officer.get("/themes").status_code == 403
    listed = api_client("leadership").get("/themes")
    assert listed.headers["content-type"] == "application/json"
    assert {t["id"] for t in listed.json()} == set(counts) and "examples" not in listed.json()[0]
    # a leader's (or anyone's) edit without the form's token, and a leader's with it, are refused
    merge = {"action": "merge", "theme_ids": ["noise"], "into": "street_lighting"}
    assert coordinator.post("/themes", data=merge).status_code == 403
    assert leader.post("/themes", data={**merge, "csrf_token": csrf_of(read_only.text)}).status_code == 403


@pytest.mark.parametrize("edit", [
    {"action": "merge", "theme_ids": ["noise", "street_lighting"], "into": "noise"},
    {"action": "rename", "theme_ids": ["street_lighting"], "label": "Dark streets"},
    {"action": "chatter", "theme_ids": ["vandalism_graffiti"]},
    {"action": "split", "theme_ids": ["traffic_safety"], "parts": "2"},
    {"action": "examples", "theme_ids": ["noise"],
     "phrases": "the dogs bark all night next door\nmusic from the flats keeps us awake, call 555-867-5309"},
], ids=lambda e: e["action"])
def test_the_preview_saves_nothing_and_its_numbers_are_the_counts_after_apply(city_web: Any, services: Any,
                                                                              edit: dict[str, Any]) -> None:
    client = city_web("coordinator")
    page = client.get("/themes")
    before = page_counts(page.text)
    edits_before = len(services.synthesizer.store.theme_edits())
    learned = learned_keys(services)
    assert learned, "the city's forms taught the learner"
    shown = client.post("/themes", data={**edit, "csrf_token": csrf_of(page.text)})
    assert shown.status_code == 200, shown.text[-2000:]
    numbers = previewed(shown.text)
    assert numbers, "the preview lists no theme"
    assert all(before.get(tid, 0) == now for tid, (now, _) in numbers.items())
    assert any(now != after for now, after in numbers.values()) or edit["action"] == "rename"
    assert len(services.synthesizer.store.theme_edits()) == edits_before  # nothing saved
    assert learned_keys(services) == learned  # not even the learner's decisions for the edited taxonomy
    assert page_counts(client.get("/themes").text) == before

    applied = client.post("/themes", data=form_fields(shown.text))
    assert applied.status_code == 303 and applied.headers["location"] == f"/themes?done={edit['action']}"
    after = page_counts(client.get("/themes").text)
    live = live_counts(services)
    for tid, (_, expected) in numbers.items():
        assert after.get(tid, 0) == expected == live[tid], tid
    for tid, count in after.items():  # the themes the preview left out kept their counts
        assert tid in numbers or before.get(tid) == count, tid
    assert len(services.synthesizer.store.theme_edits()) == edits_before + 1
    [entry] = services.audit.entries(action="themes.", limit=1)
    assert entry.actor == "web-coordinator"
    log = client.get("/themes").text.split("Edit log", 1)[1]
    assert "web-coordinator" in log


def test_example_phrases_are_redacted_before_they_are_stored_and_the_api_previews_as_the_page(
        city_web: Any, services: Any, api_client: Any) -> None:
    body = {"action": "examples", "theme_ids": ["noise"],
            "phrases": ["the parties on my street never stop, email me at jo@example.org"]}
    api = api_client("coordinator")
    found = api.post("/themes/preview", json=body)
    assert found.status_code == 200, found.text
    result = found.json()
    assert result["themes"][0]["theme_id"] == "noise" and "Teach" in result["description"]
    client = city_web("coordinator")
    page = client.get("/themes")
    shown = client.post("/themes", data={**body, "phrases": body["phrases"][0],
                                              "csrf_token": csrf_of(page.text)})
    assert {k: v for k, v in previewed(shown.text).items()} == {
        c["theme_id"]: (c["before"], c["after"]) for c in result["themes"]}
    added = api.post("/themes/noise/examples", json={"phrases": body["phrases"]})
    assert added.status_code == 200
    stored = services.synthesizer.taxonomy().themes["noise"].examples
    assert not any("jo@example.org" in e for e in stored) and any("parties on my street" in e for e in stored)
    edits = api.get("/themes/edits").json()
    [audited] = services.audit.entries(action="themes.examples", limit=1)
    assert edits[-1]["action"] == "examples" and edits[-1]["actor"] == audited.actor
    assert audited.actor.startswith("coordinator") and audited.detail["phrases"] == 1
    assert api.post("/themes/preview", json={"action": "merge", "theme_ids": ["nope"], "into": "noise"}
                    ).status_code == 404


def test_a_form_with_a_problem_comes_back_saying_what_to_fix(city_web: Any, services: Any) -> None:
    client = city_web("admin")
    token = csrf_of(client.get("/themes").text)
    alone = client.post("/themes", data={"action": "merge", "theme_ids": ["noise"], "into": "noise",
                                              "csrf_token": token})
    assert alone.status_code == 422 and "Nothing was changed" in alone.text
    gone = client.post("/themes", data={"action": "rename", "theme_ids": ["t_gone"], "label": "X",
                                             "csrf_token": token})
    assert gone.status_code == 404 and "no longer exists" in gone.text
    empty = client.post("/themes", data={"action": "rename", "theme_ids": ["noise"], "label": " ",
                                              "csrf_token": token})
    assert empty.status_code == 422
    assert services.synthesizer.store.theme_edits()[-1][1] != "rename"


def test_an_apply_after_another_edit_shows_the_new_preview_instead_of_saving(city_web: Any, services: Any) -> None:
    first, second = city_web("coordinator", "cora"), city_web("admin", "ada")
    merge = {"action": "merge", "theme_ids": ["noise", "parks_public_spaces"], "into": "parks_public_spaces"}
    shown = first.post("/themes", data={**merge, "csrf_token": csrf_of(first.get("/themes").text)})
    other = second.post("/themes", data={"action": "chatter", "theme_ids": ["youth_programs"],
                                              "csrf_token": csrf_of(second.get("/themes").text)})
    assert second.post("/themes", data=form_fields(other.text)).status_code == 303
    edits = len(services.synthesizer.store.theme_edits())
    stale = first.post("/themes", data=form_fields(shown.text))
    assert stale.status_code == 409 and "The themes changed since the preview" in stale.text
    assert len(services.synthesizer.store.theme_edits()) == edits and "noise" in services.synthesizer.taxonomy().themes
    assert "youth_programs" not in previewed(stale.text) or previewed(stale.text)["youth_programs"][0] == 0
    again = first.post("/themes", data=form_fields(stale.text))
    assert again.status_code == 303 and "noise" not in services.synthesizer.taxonomy().themes
