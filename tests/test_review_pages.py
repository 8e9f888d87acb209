"""The review queue over TestClient: who may open it, CSRF on its buttons, a click that moves a count by one
(the evidence page lists one record fewer), the JSON API beside it, and the audit trail."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from samplecity import generate_city
from synth.synthesis.models import OTHER_THEME
from synth.synthesis.taxonomy_file import load_seed_file
from tests.conftest import bearer
from tests.test_web_pages import csrf_of
from tests.test_web_pages import web as web_fixture

web = web_fixture  # the signed-in client fixture of the page tests

pytestmark = pytest.mark.parametrize("store_backend", ["embedded"], indirect=True)


@pytest.fixture
def city_store(services: Any, tmp_path: Path) -> Any:
    generate_city(tmp_path / "city", records=200, seed=5)
    services.ingestor.ingest([tmp_path / "city" / "notes", tmp_path / "city" / "comments"])
    services.synthesizer.refresh(seeds=load_seed_file(tmp_path / "city" / "taxonomy.yaml"))
    return services


def _evidence_count(client: Any, url: str) -> int:
    found = re.search(r'data-count="(\d+)"', client.get(url).text)
    assert found
    return int(found.group(1))


def test_only_editors_open_the_queue(city_store: Any, web: Any) -> None:
    reader = web("leadership")
    assert reader.get("/review").status_code == 403 and web("note_taker").get("/review").status_code == 403
    page = web("coordinator").get("/review")
    assert page.status_code == 200 and "Review queue" in page.text
    assert 'href="/review"' in page.text  # the nav link, for editors only
    assert 'href="/review"' not in reader.get("/").text


def test_a_click_moves_the_count_by_one_and_needs_its_csrf_token(city_store: Any, web: Any) -> None:
    client = web("coordinator")
    # without learning the verdict moves exactly its own record (with it, the refitted annotator may move others:
    # tests/test_review.py covers that)
    city_store.synthesizer.corrections.learning = False
    corpus = city_store.live.corpus()
    district = corpus.districts[0]
    page = client.get("/review", params={"district": district})
    assert page.status_code == 200
    # the first item whose sentence alone carries its theme for its record: "Not a concern" drops the count
    for form in re.finditer(r'name="record_id" value="([^"]+)">\s*<input type="hidden" name="index" '
                            r'value="(\d+)">', page.text):
        rid, index = unescape(form.group(1)), int(form.group(2))
        ann = corpus.annotations[rid]
        theme = next((c.theme_id for c in ann.concerns if c.index == index), OTHER_THEME)
        if theme != OTHER_THEME and sum(c.theme_id == theme for c in ann.concerns) == 1:
            break
    else:
        pytest.fail("no item whose flip moves a count")
    counts = re.search(rf'<tr data-theme="{theme}">.*?href="([^"]+)" data-count="(\d+)"', page.text)
    assert counts
    evidence, before = unescape(counts.group(1)), int(counts.group(2))
    assert _evidence_count(client, evidence) == before
    form = {"record_id": rid, "index": str(index), "verdict": "none", "district": district}
    assert client.post("/review/corrections", data=form).status_code == 403  # no CSRF token
    res = client.post("/review/corrections", data={**form, "csrf_token": csrf_of(page.text)})
    assert res.status_code == 303
    target = urlsplit(res.headers["location"])
    assert target.path == "/review"
    assert parse_qs(target.query)["changed"] == [f"{theme}:{before}:{before - 1}"]
    after = client.get(res.headers["location"])
    assert "→" in after.text and f"{before} → {before - 1}" in after.text
    assert _evidence_count(client, evidence) == before - 1
    assert f'name="record_id" value="{rid}">\n        <input type="hidden" name="index" value="{index}"' \
        not in after.text  # judged: out of the queue
    entry = city_store.audit.entries(action="review.correct")[0]
    assert entry.detail["record"] == rid and entry.detail["theme"] == OTHER_THEME and entry.actor == "web-coordinator"


def test_the_api_lists_items_and_takes_a_correction(city_store: Any, api_client: Any) -> None:
    client = api_client("coordinator")
    city_store.synthesizer.corrections.learning = False  # the verdict's own effect only (see above)
    items = client.get("/review/items", params={"limit": 5}).json()
    assert 0 < len(items) <= 5 and all(0 <= it["confidence"] <= 1 for it in items)
    first = items[0]
    target = first["alternatives"][0]
    res = client.post("/review/corrections", json={"record_id": first["record_id"], "index": first["index"],
                                                   "verdict": "theme", "theme": target})
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["theme"] == target
    moved = {c["theme"]: c["after"] - c["before"] for c in body["changes"]}
    ann = city_store.live.corpus().annotations[first["record_id"]]
    assert target in ann.themes and all(abs(d) == 1 for d in moved.values())
    assert client.post("/review/corrections", json={"record_id": first["record_id"], "index": first["index"],
                                                    "verdict": "theme", "theme": "no-such"}).status_code == 422
    assert client.post("/review/corrections", json={"record_id": "nope", "index": 0,
                                                    "verdict": "confirm"}).status_code == 404
    reader = {"Authorization": bearer(city_store, "leadership")["Authorization"]}
    assert client.get("/review/items", headers=reader).status_code == 403
