"""'You said, we did' and the monthly report in Chromium, as a coordinator would use them, on the sample city
and on a real Polis conversation: add an action from a theme on the district page, see it overdue on the board,
complete it, see it beside its theme and in the report; print the report. axe-core on every page; screenshots
of the board and the report with SYNTH_WRITE_SCREENSHOTS=1. Actions change no count other tests read."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.browser.conftest import POLIS_DISTRICT, WRITING_SCREENSHOTS, Site, assert_accessible, sign_in
from tests.paths import REPO

DISTRICTS = {"city": "District 3", "polis": POLIS_DISTRICT}


@pytest.fixture(params=["city", "polis"])
def site(request: pytest.FixtureRequest) -> tuple[Site, str]:
    return request.getfixturevalue(f"{request.param}_site"), DISTRICTS[request.param]


def _district_page(page: Any, site: Site, district: str) -> None:
    page.goto(site.url(f"/districts/{quote(district, safe='')}"))
    assert page.get_by_role("heading", name=district, level=1).is_visible()


def test_add_and_complete_an_action_and_see_it_beside_its_theme_and_in_the_report(
        site: tuple[Site, str], desktop: Any) -> None:
    site_, district = site
    title = f"Walk the route with residents {secrets.token_hex(3)}"
    sign_in(desktop, site_, "coordinator")
    _district_page(desktop, site_, district)
    first_theme = desktop.locator("#worries-title ~ .cards article.card").first
    theme = first_theme.locator("h3").inner_text()
    first_theme.get_by_role("link", name=re.compile("^Add an action")).click()
    assert desktop.get_by_label("District").input_value() == district, "the link prefills the district"
    assert desktop.locator("#a-theme option:checked").inner_text() == theme, "and the theme"
    assert_accessible(desktop)
    desktop.get_by_label("Title").fill(title)
    desktop.get_by_label(re.compile("^Owner")).fill("Community team")
    desktop.get_by_label(re.compile("^Due date")).fill((dt.date.today() - dt.timedelta(days=2)).isoformat())
    desktop.get_by_role("button", name="Add action").click()

    card = desktop.locator("article.action", has_text=title)
    assert card.locator(".badge-overdue").inner_text() == "Overdue", "past due and still planned"
    assert desktop.locator("#col-planned").locator("..").locator("article.action", has_text=title).count() == 1
    assert_accessible(desktop)
    card.get_by_label("Status").select_option("done")
    card.get_by_label(re.compile("^Completion note")).fill("Walked it on Tuesday with twelve residents.")
    card.get_by_role("button", name=re.compile("^Update")).click()
    done = desktop.locator("#col-done").locator("..").locator("article.action", has_text=title)
    assert done.count() == 1 and not done.locator(".badge-overdue").count()
    assert any(a["title"] == title for a in site_.api(f"/actions?district={quote(district)}&status=done", "leadership"))

    _district_page(desktop, site_, district)
    beside = desktop.locator("article.card", has=desktop.get_by_role("heading", name=theme, exact=True))
    assert title in beside.locator(".theme-actions").inner_text() and "Done" in beside.inner_text()

    desktop.get_by_role("link", name="Monthly report for the public").click()
    report = desktop.locator("#done-title").locator("..")
    assert title in report.inner_text() and "Walked it on Tuesday" in report.inner_text()
    assert "How we protect privacy" in desktop.content()
    assert_accessible(desktop)


def _more_actions(site: Site, district: str) -> None:
    """A planned action past its due date and one in progress, so the board's screenshot shows each kind."""
    auth = {"Authorization": f"Bearer {site.tokens['coordinator']}"}
    themes = [t for t in site.api("/themes") if t["is_concern"]]
    for title, theme, due, status in [("Ask the council to repair the lamps by the underpass", themes[0], -3,
                                       "planned"), ("Monthly walkabout with the youth club", themes[1], 20,
                                                    "in_progress")]:
        res = httpx.post(site.url("/actions"), headers=auth, timeout=60, json={
            "district": district, "theme_id": theme["id"], "title": title, "owner": "Neighbourhood team",
            "due": (dt.date.today() + dt.timedelta(days=due)).isoformat(), "status": status})
        assert res.status_code == 201, res.text


def test_print_the_report(site: tuple[Site, str], desktop: Any, phone: Any, tmp_path: Path) -> None:
    site_, district = site
    sign_in(desktop, site_, "coordinator")
    desktop.goto(site_.url(f"/reports/{quote(district, safe='')}"))
    assert desktop.get_by_role("heading", level=1).inner_text().startswith(district)
    assert desktop.get_by_role("button", name="Print").is_visible(), "the script shows the Print button"
    assert desktop.locator(".site-header").is_visible()
    assert_accessible(desktop)
    desktop.emulate_media(media="print")
    assert not desktop.locator(".site-header").is_visible() and not desktop.get_by_role("button",
                                                                                      name="Print").is_visible()
    printed = desktop.pdf(format="A4")
    assert printed.startswith(b"%PDF")
    desktop.emulate_media(media="screen")
    pdf = desktop.request.get(desktop.url.split("#")[0] + ("&" if "?" in desktop.url else "?") + "format=pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")

    sign_in(phone, site_, "coordinator")
    phone.goto(site_.url("/actions"))
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the board scrolls sideways on a phone ({width}px wide)"
    assert_accessible(phone)
    if WRITING_SCREENSHOTS and site_.data_dir.parent.name.startswith("city-site"):
        out = REPO / "docs" / "screenshots"
        _more_actions(site_, district)
        desktop.reload()
        desktop.screenshot(path=str(out / "report.png"), full_page=True)
        desktop.goto(site_.url("/actions"))
        desktop.screenshot(path=str(out / "actions.png"), full_page=True)
