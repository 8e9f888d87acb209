"""Upload a file and log a contact, driven in Chromium as a person would, on the sample city and on a real Polis
conversation: a CSV dropped on the upload page, its progress to the end and its bad row listed with the reason;
a contact logged at a phone's size and counted on the home page. axe-core on every page they show.

Shared sites: the upload adds records to a district of its own ("Upload Ward"), and the contact checks relative
changes, so the other tests' counts stay as they were."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import POLIS_DISTRICT, WRITING_SCREENSHOTS, Site, assert_accessible, sign_in
from tests.paths import REPO

SITES = ["city_site", "polis_site"]
UPLOAD_DISTRICT = "Upload Ward"
PHONE_NUMBER = "555-201-7788"


def _site(request: pytest.FixtureRequest, name: str) -> Site:
    return request.getfixturevalue(name)


def _shots(tmp_path: Path) -> Path:
    out = REPO / "docs" / "screenshots" if WRITING_SCREENSHOTS else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    return out


def _csv(tag: str) -> str:
    """Two good rows, undated (so no site's latest month moves for the tests after these), and one bad date."""
    return ("id,text,district,date\n"
            f"{tag}-1,The underpass lights have been out for a week,{UPLOAD_DISTRICT},\n"
            f"{tag}-2,Cars race past the school at pick-up time,{UPLOAD_DISTRICT},2026-13-40\n"
            f"{tag}-3,Thanks to the officers who came to the youth club,{UPLOAD_DISTRICT},\n")


@pytest.mark.parametrize("site_name", SITES)
def test_upload_a_file_see_its_progress_end_and_its_bad_row_listed(request: pytest.FixtureRequest, site_name: str,
                                                                   desktop: Any, tmp_path: Path) -> None:
    site = _site(request, site_name)
    before = site.district_records(UPLOAD_DISTRICT)
    sign_in(desktop, site, "coordinator")
    desktop.get_by_role("link", name="Upload").click()
    assert desktop.url.endswith("/ingest")
    assert_accessible(desktop)
    tag = f"drop-{site_name}"
    # Dropped on the page, as from a file manager: the script puts the file in the form and lists it.
    drop = desktop.evaluate_handle("""([name, body]) => {
        const data = new DataTransfer();
        data.items.add(new File([body], name, {type: "text/csv"}));
        return data;
    }""", ["ward survey.csv", _csv(tag)])
    desktop.dispatch_event("#drop-zone", "drop", {"dataTransfer": drop})
    assert "ward survey.csv" in desktop.locator("#chosen-files").inner_text()
    desktop.get_by_role("button", name="Upload").click()
    desktop.wait_for_url(re.compile(r"/ingest/[0-9a-f]{32}$"))
    desktop.get_by_role("heading", name="Upload finished").wait_for(timeout=60_000)  # polled, then reloaded
    assert desktop.locator("#count-stored").inner_text() == "2"
    assert desktop.locator("#count-rejected").inner_text() == "1"
    cells = desktop.locator("table.rejections tbody tr").first.locator("td").all_inner_texts()
    assert cells[:3] == ["ward survey.csv", "2", "date"] and cells[3]
    assert "2026-13-40" not in desktop.content()
    assert_accessible(desktop)
    if site_name == "city_site":
        desktop.screenshot(path=str(_shots(tmp_path) / "ingest.png"), full_page=True)
    assert site.district_records(UPLOAD_DISTRICT) == before + 2


def test_without_javascript_the_form_posts_and_the_job_page_reloads_itself(city_site: Site, browser: Any,
                                                                          tmp_path: Path) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, city_site, "admin")
        page.goto(city_site.url("/ingest"))
        csv = tmp_path / "plain.csv"
        csv.write_text(_csv("plain"), encoding="utf-8")
        page.set_input_files("#files", str(csv))
        page.get_by_label("District (for rows without one)").fill(UPLOAD_DISTRICT)
        page.get_by_role("button", name="Upload").click()
        page.wait_for_url(re.compile(r"/ingest/[0-9a-f]{32}$"))
        page.get_by_role("heading", name="Upload finished").wait_for(timeout=60_000)  # the meta refresh
        assert page.locator("#count-rejected").inner_text() == "1"
    finally:
        context.close()


def _activity(site: Site, desktop: Any, district: str, month: str) -> tuple[int, int, int]:
    """(contacts, minutes, residents met) in the home page's engagement table (0s when the month is absent)."""
    desktop.goto(site.url("/?period=all"))
    cell = desktop.locator(f'td[data-district="{district}"][data-month="{month}"] .contacts-line')
    if not cell.count():
        return 0, 0, 0
    contacts, minutes, met = (int(n) for n in re.findall(r"\d+", cell.inner_text()))
    return contacts, minutes, met


@pytest.mark.parametrize("site_name", SITES)
def test_log_a_contact_from_a_phone_and_see_it_on_the_home_page(request: pytest.FixtureRequest, site_name: str,
                                                                phone: Any, desktop: Any, tmp_path: Path) -> None:
    site = _site(request, site_name)
    district = POLIS_DISTRICT if site_name == "polis_site" else "District 5"
    month = dt.date.today().strftime("%Y-%m")
    sign_in(desktop, site, "leadership")
    before = _activity(site, desktop, district, month)
    sign_in(phone, site, "note_taker")
    phone.get_by_role("link", name="Log a contact").click()
    assert phone.url.endswith("/contacts/new")
    assert_accessible(phone)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the form scrolls sideways on a phone ({width}px wide)"
    phone.get_by_role("radio", name="School visit").check()
    phone.get_by_label("District", exact=True).fill(district)
    phone.get_by_label("Minutes", exact=True).fill("30")
    phone.get_by_label("Residents met", exact=True).fill("12")
    what = phone.get_by_label(re.compile("^What happened"))
    if site_name == "city_site":
        what.fill("Assembly on bike safety for year 6")
        phone.screenshot(path=str(_shots(tmp_path) / "contact.png"), full_page=True)
    what.fill(f"Assembly on bike safety; head asked us to call {PHONE_NUMBER}")
    box = phone.get_by_role("button", name="Save contact").bounding_box()
    assert box and box["height"] >= 44, "a big tap target"
    phone.get_by_role("button", name="Save contact").click()
    status = phone.get_by_role("status").inner_text()
    assert "School visit" in status and district in status
    assert PHONE_NUMBER not in phone.content() and "Assembly on bike safety" in phone.content()
    assert_accessible(phone)
    phone.get_by_role("link", name="Log another contact").click()
    assert phone.get_by_label("District", exact=True).input_value() == district, "the last district is remembered"
    after = _activity(site, desktop, district, month)
    assert after == (before[0] + 1, before[1] + 30, before[2] + 12)
    assert_accessible(desktop)
