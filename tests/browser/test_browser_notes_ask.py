"""The officer's note form on a phone and the Ask page, driven in Chromium as a person would, on the sample city
and on a real Polis conversation; axe-core on every page they show."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from tests.browser.conftest import POLIS_DISTRICT, Site, assert_accessible, sign_in

PHONE_NUMBER = "555-201-7788"


def _fill_note(page: Any, district: str, text: str, *, concerns: tuple[str, ...] = (), other: str = "",
               sentiment: str = "Negative") -> None:
    page.get_by_label("District", exact=True).fill(district)
    page.get_by_label("Date", exact=True).fill(dt.date.today().isoformat())
    page.get_by_label("Meeting (optional)", exact=True).fill("Kitchen table, Elm block")
    page.get_by_label("Attendees", exact=True).fill("7")
    for label in concerns:
        page.get_by_role("checkbox", name=label).check()
    if other:
        page.get_by_label(re.compile("^Other concerns")).fill(other)
    page.get_by_role("radio", name=sentiment).check()
    page.get_by_label("Notes", exact=True).fill(text)


def _log_note_and_see_it_counted(site: Site, phone: Any, role: str, district: str, concerns: tuple[str, ...]) -> None:
    before = site.district_records(district)
    sign_in(phone, site, role)
    if role == "note_taker":
        assert phone.url.endswith("/notes/new"), "a note-taker lands on the note form after sign-in"
    else:
        phone.goto(site.url("/notes/new"))
    assert_accessible(phone)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the form scrolls sideways on a phone ({width}px wide)"
    _fill_note(phone, district, f"Residents asked for more patrols near the school. Call Ms Ortega on "
                                f"{PHONE_NUMBER} about the broken lamp. ({role}, {phone.url[-8:]})",
               concerns=concerns, other="school drop-off parking")
    phone.get_by_role("button", name="Save note").click()
    status = phone.get_by_role("status")
    assert "Your note is counted" in status.inner_text()
    assert int(phone.locator("#district-records").inner_text()) == before + 1
    assert site.district_records(district) == before + 1
    recent = phone.locator(".recent-notes").inner_text()
    assert "Residents asked for more patrols" in recent
    assert PHONE_NUMBER not in recent, "the saved note is redacted"
    assert_accessible(phone)
    mine = site.api(f"/records?district={district.replace(' ', '+')}&kind=meeting_note&limit=500", role)
    assert any("more patrols near the school" in r["text"] and PHONE_NUMBER not in r["text"]
               for r in mine["records"])


def test_a_note_taker_logs_a_meeting_on_a_phone_and_it_is_counted(city_site: Site, phone: Any) -> None:
    _log_note_and_see_it_counted(city_site, phone, "note_taker", "District 2", ("Street lighting",))


def test_a_coordinator_logs_a_meeting_for_a_new_district(city_site: Site, phone: Any) -> None:
    _log_note_and_see_it_counted(city_site, phone, "coordinator", "Harbour Ward", ())


def test_the_note_form_says_what_to_fix_and_keeps_what_was_typed(city_site: Site, phone: Any) -> None:
    sign_in(phone, city_site, "note_taker")
    before = city_site.district_records("District 4")
    phone.get_by_label("District", exact=True).fill("District 4")
    phone.get_by_label("Date", exact=True).fill("2099-01-01")
    phone.get_by_label("Notes", exact=True).fill("Speeding on Main Street again.")
    phone.get_by_role("button", name="Save note").click()
    assert phone.evaluate("document.getElementById('date').validity.rangeOverflow"), "the browser stops it first"
    assert phone.url.endswith("/notes/new") and not phone.get_by_role("alert").count()
    phone.evaluate("document.querySelector('form.stacked-form[action=\"/notes/new\"]').noValidate = true")
    phone.get_by_role("button", name="Save note").click()  # past the browser: the server says the same
    alert = phone.get_by_role("alert").inner_text()
    assert "The note was not saved" in alert and "in the future" in alert
    assert phone.get_by_label("Notes", exact=True).input_value() == "Speeding on Main Street again."
    assert city_site.district_records("District 4") == before
    assert_accessible(phone)


def test_pages_refuse_roles_that_may_not_use_them(city_site: Site, desktop: Any) -> None:
    sign_in(desktop, city_site, "note_taker")
    response = desktop.goto(city_site.url("/questions"))
    assert response.status == 403
    assert "may not open this page" in desktop.locator("main").inner_text()
    assert_accessible(desktop)
    desktop.context.clear_cookies()
    sign_in(desktop, city_site, "leadership")
    assert desktop.goto(city_site.url("/notes/new")).status == 403
    desktop.context.clear_cookies()
    desktop.goto(city_site.url("/questions"))
    assert "/signin" in desktop.url, "signed out, a page sends the visitor to sign in"


def _ask(page: Any, question: str) -> str:
    page.get_by_role("textbox", name=re.compile("question|follow-up", re.I)).fill(question)
    page.get_by_role("button", name="Ask").click()
    page.wait_for_load_state()
    return str(page.locator("article.answer").inner_text())


def test_leadership_asks_a_question_and_a_follow_up(city_site: Site, desktop: Any) -> None:
    sign_in(desktop, city_site, "leadership")
    desktop.goto(city_site.url("/questions"))
    assert_accessible(desktop)
    answer = _ask(desktop, "How many records mentioned street lighting in District 3?")
    figures = desktop.locator("table.figures tbody tr")
    assert figures.count() >= 1
    assert "District 3" in answer and "Coverage:" in answer
    conversation = desktop.locator("input[name=conversation_id]").input_value()
    assert re.fullmatch(r"[A-Za-z0-9_-]+", conversation)
    first_figure = figures.first.inner_text()
    assert_accessible(desktop)

    follow_up = _ask(desktop, "and in District 5?")
    assert "District 5" in follow_up
    assert "lighting" in follow_up.lower(), "the follow-up keeps the theme of the question before it"
    assert desktop.locator("input[name=conversation_id]").input_value() == conversation
    assert "How many records mentioned street lighting in District 3?" in desktop.locator(".earlier").inner_text()
    assert desktop.locator("table.figures tbody tr").first.inner_text() != first_figure
    assert_accessible(desktop)


def test_an_open_question_cites_records_that_open(city_site: Site, desktop: Any) -> None:
    sign_in(desktop, city_site, "coordinator")
    desktop.goto(city_site.url("/questions"))
    _ask(desktop, "What do residents say about speeding?")
    links = desktop.locator("ol.citations a")
    assert links.count() >= 1
    record_id = links.first.inner_text()
    links.first.click()
    desktop.wait_for_load_state()
    assert record_id in desktop.locator("main").inner_text()
    assert_accessible(desktop)


def test_a_real_polis_conversation_can_be_asked_about_and_noted(polis_site: Site, desktop: Any, phone: Any) -> None:
    sign_in(desktop, polis_site, "leadership")
    desktop.goto(polis_site.url("/questions"))
    answer = _ask(desktop, f"What are residents in {POLIS_DISTRICT} most worried about?")
    assert "Status: answered" in answer and "Coverage:" in answer and POLIS_DISTRICT in answer
    assert desktop.locator("table.figures tbody tr").count() >= 1
    assert_accessible(desktop)
    _log_note_and_see_it_counted(polis_site, phone, "note_taker", POLIS_DISTRICT, ())
