"""The monthly district report: the public rule (counts under the threshold suppressed; no quote from a small
meeting or a suppressed theme), its numbers against the district summary's, actions done in the period, and
the PDF (its text, one page)."""

from __future__ import annotations

import datetime as dt
import io
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from api.web.report import meeting_sizes, public_count, quotable
from synth.synthesis.facts import FactRow
from synth.synthesis.models import Annotation
from tests.test_web_pages import (
    csrf_of,
    web,  # noqa: F401  (the fixture: signed-in page clients)
)

pytestmark = pytest.mark.parametrize("store_backend", ["embedded"], indirect=True)


def _row(rid: str, meeting: str | None, attendees: int | None) -> FactRow:
    return FactRow(record_id=rid, district="D", date=dt.date(2026, 11, 2), kind="meeting_note" if meeting else
                   "comment", meeting_id=meeting, note_taker=None, attendee_count=attendees, text="x",
                   annotation=Annotation.model_construct())  # not read by the rule


def test_small_counts_are_suppressed_and_small_meetings_are_never_quoted(store_backend: str) -> None:
    assert public_count(4, 5) == "fewer than 5" and public_count(5, 5) == "5" and public_count(1234, 5) == "1,234"
    assert public_count(0, 5) == "fewer than 5"
    rows = [_row("small", "m1", 3), _row("small-2", "m1", 4), _row("big", "m2", 2), _row("big-2", "m2", 12),
            _row("unknown", "m3", None), _row("comment", None, None)]
    sizes = meeting_sizes(rows)
    assert sizes == {("D", "m1"): 4, ("D", "m2"): 12, ("D", "m3"): None}, "a meeting's size is its largest count"
    by_id = {r.record_id: r for r in rows}
    allowed = {rid for rid in by_id if quotable(by_id[rid], sizes, 5)}
    assert allowed == {"big", "big-2", "comment"}, "never from a meeting under 5 people or of unrecorded size"
    assert not quotable(None, sizes, 5)
    assert {rid for rid in by_id if quotable(by_id[rid], sizes, 13)} == {"comment"}


def test_the_pdf_renderer_loads_only_this_sites_static_files(store_backend: str) -> None:
    import pypdf

    from api.web.pdf import BASE_URL, _fetcher, html_to_pdf

    fetch = _fetcher().fetch
    assert b".report" in fetch(BASE_URL + "static/report.css").read()
    for url in ("http://example.com/static/report.css", "https://synth.invalid/static/report.css",
                BASE_URL + "static/../session.py", BASE_URL + "templates/base.html", "file:///etc/passwd",
                "data:text/css,body{}"):
        with pytest.raises(ValueError):
            fetch(url)
    pdf = html_to_pdf('<link rel="stylesheet" href="http://example.com/x.css"><img src="file:///etc/hostname">'
                      '<link rel="stylesheet" href="/static/report.css"><h1>Harbour Ward</h1>')
    assert "Harbour Ward" in pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from samplecity import generate_city

    out = tmp_path_factory.mktemp("city")
    generate_city(out, records=300, seed=5, pii_records=3, injection_records=0)
    return out


@pytest.fixture
def city_web(services: Any, city: Path, web: Any) -> Any:  # noqa: F811
    services.ingestor.ingest([city / "notes", city / "comments"])
    services.settings.api_requests_per_minute = 10_000
    return web


def _listed(html: str, section: str) -> dict[str, str]:
    """label -> printed count of a report section's themes."""
    part = html[html.index(f'id="{section}-title"'):]
    part = part[:part.index("</section>")]
    return {unescape(label): count for label, count in re.findall(r"<li><strong>([^<]+)</strong>: ([^<]+?) comments?",
                                                                   part)}


def _quotes(html: str) -> list[str]:
    return [unescape(q) for q in re.findall(r"<blockquote>“([^”]+)”</blockquote>", html)]


def test_the_report_prints_the_summary_counts_except_suppressed_ones(city_web: Any, services: Any) -> None:
    client = city_web("leadership")
    for threshold in (5, 12):
        services.settings.public_min_count = threshold
        page = client.get("/reports/District%201")
        assert page.status_code == 200, page.text[:300]
        summary = services.live.summary("District 1", None)
        assert summary.period == services.live.corpus().default_period("District 1").period
        assert re.fullmatch(r"\d{4}-\d{2}", summary.period), "the default is the district's latest month"
        themes = {t.label: t for t in summary.themes}
        concerns, praise = _listed(page.text, "concerns"), _listed(page.text, "praise")
        assert concerns, "a typical district month has concerns"
        for label, printed in {**concerns, **praise}.items():
            mentions = themes[label].mentions
            assert printed == (f"fewer than {threshold}" if mentions < threshold else str(mentions)), label
        suppressed = [label for label in concerns if themes[label].mentions < threshold]
        records = summary.counts.records
        assert (f"{records} comments" if records >= threshold else f"fewer than {threshold} comments") in page.text
        # every quote comes from a printed theme and a record the rule allows
        corpus = services.live.corpus()
        rows, sizes = {r.record_id: r for r in corpus.rows}, meeting_sizes(corpus.rows)
        allowed = {q.text for t in summary.themes if t.mentions >= threshold for q in t.quotes
                   if quotable(rows.get(q.record_id), sizes, threshold)}
        for quote in _quotes(page.text):
            assert quote in allowed, quote
        for label in suppressed:
            item = page.text[page.text.index(f"<strong>{label}</strong>"):]
            assert not item[:item.index("</li>")].count("<blockquote>"), label
        assert "How we protect privacy" in page.text and f"under {threshold}" in page.text
    assert services.audit.entries(action="reports.read")[0].target == "District 1"
    assert client.get("/reports/Atlantis").status_code == 404
    assert client.get("/reports/District%201", params={"period": "2026-13"}).status_code == 422
    assert city_web("note_taker").get("/reports/District%201").status_code == 403
    assert client.get("/reports/City-wide").status_code == 200


def test_done_actions_appear_in_the_report_and_the_pdf_is_one_page_with_its_text(city_web: Any,
                                                                                  services: Any) -> None:
    import pypdf

    coordinator = city_web("coordinator")
    assert coordinator.get("/reports/District%201").status_code == 200  # annotates the store (no refresher here)
    theme = next(t for t in services.synthesizer.taxonomy().themes.values() if t.is_concern)
    board = coordinator.get("/actions")
    made = coordinator.post("/actions/new", data={"csrf_token": csrf_of(board.text), "district": "District 1",
                                                  "theme_id": theme.id, "title": "Brighter lamps on Elm Street"})
    action_id = made.headers["location"].rsplit("-", 1)[1]
    before = coordinator.get("/reports/District%201").text
    assert "Brighter lamps on Elm Street" not in before, "planned actions are not reported"
    coordinator.post(f"/actions/{action_id}", data={"csrf_token": csrf_of(board.text), "status": "done",
                                                     "note": "Six new lamps."})
    page = coordinator.get("/reports/District%201").text
    done = page[page.index('id="done-title"'):]
    assert "Brighter lamps on Elm Street" in done[:done.index("In progress")] and "Six new lamps." in done
    assert "and since" in done, "the latest month's report lists what was done since"

    pdf = coordinator.get("/reports/District%201", params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(pdf.content))
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "District 1" in text and "Brighter lamps on Elm Street" in text and "Top concerns" in text
    assert "Sign out" not in text and "Download PDF" not in text, "the print stylesheet hides the site's chrome"
    assert len(reader.pages) == 1, f"a typical district's report fits on one page ({len(reader.pages)})"


def test_contacts_logged_in_the_month_join_the_reports_engagement(city_web: Any, services: Any) -> None:
    import datetime as dt

    from synth.contacts import ContactStore, check_contact

    leadership = city_web("leadership")
    assert leadership.get("/reports/District%201").status_code == 200  # annotates the store (no refresher here)
    period = services.live.corpus().default_period("District 1").period
    year, month = map(int, period.split("-"))
    day = dt.date(year, month, 3).isoformat()
    store, redactor = ContactStore(services.records), services.redactor
    for district, minutes, residents in (("District 1", 20, 3), ("District 1", 25, 4), ("District 2", 90, 30)):
        store.add(check_contact("school_visit", district, day, minutes, residents, "Talked about crossings."),
                  redactor, None)
    outside = dt.date(year - 1, month, 3).isoformat()  # another month: not in this report
    store.add(check_contact("school_visit", "District 1", outside, 60, 12), redactor, None)
    page = leadership.get("/reports/District%201", params={"period": period}).text
    engagement = page[page.index('id="engagement-title"'):]
    assert "<strong>2</strong> community contacts logged (45" in engagement
    assert "<strong>7</strong> residents met" in engagement  # 3 + 4, over the threshold of 5
    city = leadership.get("/reports/City-wide", params={"period": period}).text
    assert "<strong>3</strong> community contacts logged (135" in city[city.index('id="engagement-title"'):]
