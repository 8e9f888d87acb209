"""The theme editor in Chromium, as a coordinator uses it: tick two themes, choose the one to keep, read the
preview of the counts, apply, and find the merged theme's count equal to the previewed one; on the sample city
and on a real Polis conversation. axe-core on the editor and the preview. The two smallest themes are merged
(never the lighting theme the note-form test ticks), so the other tests sharing the site read the same pages.
Screenshots: docs/screenshots/themes.png and themes-preview.png with SYNTH_WRITE_SCREENSHOTS=1."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.browser.conftest import WRITING_SCREENSHOTS, Site, assert_accessible, sign_in
from tests.paths import REPO

KEEP_OUT = {"street_lighting"}  # tests/browser/test_browser_notes_ask.py ticks "Street lighting"


def _rows(page: Any) -> dict[str, tuple[str, int, str]]:
    """Theme id -> (label, mentions, counted as) as the editor's table shows them."""
    out = {}
    for row in page.locator("table.themes-table tbody tr").all():
        tid = row.get_attribute("data-theme-id")
        label = row.get_by_role("rowheader").inner_text().split("\n")[0].strip()
        cells = row.get_by_role("cell").all()
        out[tid] = (label, int(row.locator("td.mentions").inner_text()), cells[-2].inner_text())
    return out


def _settled_rows(page: Any, site: Site, seconds: float = 90) -> dict[str, tuple[str, int, str]]:
    """The table once the server has annotated what the tests before this one added (two reads a few seconds
    apart agree): the previewed counts are compared with the counts after the merge, so no refresh may fall
    between them."""
    deadline = time.monotonic() + seconds
    rows = _rows(page)
    while time.monotonic() < deadline:
        time.sleep(4)  # the background refresher looks every 2 s
        page.goto(site.url("/themes"))
        again = _rows(page)
        if again == rows:
            return rows
        rows = again
    raise AssertionError(f"the theme counts kept changing for {seconds:.0f} s")


@pytest.mark.parametrize("site_name", ["city_site", "polis_site"])
def test_a_coordinator_merges_two_themes_and_sees_the_previewed_count(site_name: str, request: Any,
                                                                      desktop: Any) -> None:
    site: Site = request.getfixturevalue(site_name)
    page = desktop
    sign_in(page, site, "coordinator")
    page.get_by_role("link", name="Themes").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Themes", exact=True).is_visible()
    assert_accessible(page)
    if WRITING_SCREENSHOTS and site_name == "city_site":
        page.screenshot(path=str(REPO / "docs" / "screenshots" / "themes.png"), full_page=True)

    rows = _settled_rows(page, site)
    small = sorted((n, tid) for tid, (_, n, kind) in rows.items()
                   if n > 0 and kind == "concern" and tid not in KEEP_OUT)
    assert len(small) >= 2, f"fewer than two themes with mentions on {site_name}"
    (_, folded), (_, kept) = small[0], small[1]
    for tid in (folded, kept):
        page.get_by_role("checkbox", name=f"Merge {rows[tid][0]}", exact=True).check()
    page.get_by_label("Theme to keep").select_option(kept)
    page.get_by_role("button", name="Preview merge").click()
    page.wait_for_load_state()

    assert page.get_by_role("heading", level=1).inner_text().startswith("Preview: Merge")
    merged = int(page.locator("#merged-count").inner_text())
    assert int(page.locator(f"#preview-{folded} td").first.inner_text()) > 0
    assert int(page.locator(f"#preview-{folded} td.after").inner_text()) == 0
    assert_accessible(page)
    if WRITING_SCREENSHOTS and site_name == "city_site":
        page.screenshot(path=str(REPO / "docs" / "screenshots" / "themes-preview.png"), full_page=True)
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()

    assert page.get_by_role("status").inner_text() == "Themes merged."
    after = _rows(page)
    assert folded not in after and after[kept][1] == merged, "the merged count is the previewed one"
    assert re.search(rf"{site.users['coordinator']} · Merged {re.escape(folded)} into",
                     page.locator("ol.edit-log li").first.inner_text())
    assert all(t["id"] != folded for t in site.api("/themes"))
    assert_accessible(page)
