"""The dashboard read as a person reads it, in Chromium: sign in, open a district, follow a count to its
evidence and count the records listed; on the sample city and on a real Polis conversation. axe-core on each
page. Screenshots of the main pages are taken here too (written to docs/screenshots/ with
SYNTH_WRITE_SCREENSHOTS=1, which is how the committed ones were made)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.browser.conftest import POLIS_DISTRICT, WRITING_SCREENSHOTS, Site, assert_accessible, sign_in
from tests.paths import REPO


def _evidence_matches(page: Any, link: Any) -> int:
    """Click a count; the evidence page must list exactly that many records. Returns the count."""
    count = int(re.match(r"\s*(\d+)", link.inner_text()).group(1))  # type: ignore[union-attr]
    link.click()
    page.wait_for_load_state()
    assert "/evidence/records" in page.url
    shown = int(page.locator("strong[data-count]").get_attribute("data-count"))
    assert shown == count, f"the evidence page says {shown} records for a count of {count}"
    if count <= 250:  # one page of evidence
        assert page.locator("ol.records li.record").count() == count
    assert_accessible(page)
    return count


def _read_a_district(page: Any, site: Site, district: str) -> None:
    sign_in(page, site, "coordinator")
    assert page.url.rstrip("/") == site.base_url, "a coordinator lands on the overview"
    assert page.get_by_role("heading", name="City overview").is_visible()
    assert_accessible(page)

    page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=re.compile(re.escape(district)))) \
        .first.get_by_role("link", name=district).click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == district
    assert_accessible(page)

    district_page = page.url
    cards = page.locator("article.card")
    assert cards.count() >= 1, "the district shows at least one theme"
    assert _evidence_matches(page, cards.first.get_by_role("link", name=re.compile(r"^\d+ records$"))) >= 1

    page.goto(district_page)
    sentiment_links = page.locator("article.card .note a")
    if sentiment_links.count():
        _evidence_matches(page, sentiment_links.first)

    page.goto(site.url("/"))
    _evidence_matches(page, page.locator("table.heat td a").first)

    page.get_by_role("button", name=re.compile("Sign out")).click()
    page.wait_for_load_state()
    assert page.get_by_label("Password", exact=True).is_visible(), "signed out, the home page asks to sign in"


def test_sign_in_read_a_district_and_follow_counts_to_their_evidence(city_site: Site, desktop: Any) -> None:
    _read_a_district(desktop, city_site, "District 3")


def test_the_same_on_a_real_polis_conversation(polis_site: Site, desktop: Any) -> None:
    _read_a_district(desktop, polis_site, POLIS_DISTRICT)


def test_a_wrong_password_is_refused_on_an_accessible_page(city_site: Site, desktop: Any) -> None:
    desktop.goto(city_site.url("/signin"))
    desktop.get_by_label("User name", exact=True).fill(city_site.users["leadership"])
    desktop.get_by_label("Password", exact=True).fill("not the password at all")
    desktop.get_by_role("button", name="Sign in").click()
    assert "wrong user name or password" in desktop.get_by_role("alert").inner_text().lower()
    assert_accessible(desktop)


def test_screenshots_of_the_main_pages(city_site: Site, desktop: Any, phone: Any, tmp_path: Path) -> None:
    out = REPO / "docs" / "screenshots" if WRITING_SCREENSHOTS else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    desktop.goto(city_site.url("/signin"))
    desktop.screenshot(path=str(out / "signin.png"))
    sign_in(desktop, city_site, "coordinator")
    desktop.screenshot(path=str(out / "overview.png"), full_page=True)
    desktop.goto(city_site.url("/districts/District%203"))
    desktop.screenshot(path=str(out / "district.png"), full_page=True)
    desktop.locator("article.card").first.get_by_role("link", name=re.compile(r"^\d+ records$")).click()
    desktop.wait_for_load_state()
    desktop.screenshot(path=str(out / "evidence.png"))
    desktop.goto(city_site.url("/questions"))
    desktop.get_by_role("textbox", name="Your question").fill("How many meetings mentioned lighting, by district?")
    desktop.get_by_role("button", name="Ask").click()
    desktop.wait_for_load_state()
    desktop.screenshot(path=str(out / "ask.png"), full_page=True)
    sign_in(phone, city_site, "note_taker")
    phone.screenshot(path=str(out / "note-form-phone.png"), full_page=True)
    shots = sorted(out.glob("*.png"))
    assert {p.name for p in shots} >= {"ask.png", "district.png", "evidence.png", "note-form-phone.png",
                                       "overview.png", "signin.png"}  # other tests add their pages' too
    assert all(p.stat().st_size > 10_000 for p in shots), "a screenshot is blank"
