"""The review queue in Chromium, as a coordinator uses it: open /review for a district, click "Not a concern"
on the first sentence whose verdict moves a count, and see the count change on the queue's own table (and the
API agree); on the sample city and on a real Polis conversation; axe-core on the page. The screenshot of the
queue is taken here (docs/screenshots/review.png with SYNTH_WRITE_SCREENSHOTS=1)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.browser.conftest import POLIS_DISTRICT, WRITING_SCREENSHOTS, Site, assert_accessible, sign_in
from tests.paths import REPO

# the city's last district: the other browser tests read District 2 and 3, and only assert relative counts
CITY_DISTRICT = "District 6"


def _table_count(page: Any, label: str) -> int:
    row = page.locator("#review-counts tbody tr").filter(has=page.get_by_role("cell", name=label, exact=True))
    return int(row.locator("a").inner_text()) if row.count() else 0


@pytest.mark.parametrize("which", ["city", "polis"])
def test_a_coordinator_corrects_an_assignment_and_sees_the_count_change(which: str, request: pytest.FixtureRequest,
                                                                         desktop: Any, tmp_path: Path) -> None:
    site: Site = request.getfixturevalue(f"{which}_site")
    district = CITY_DISTRICT if which == "city" else POLIS_DISTRICT
    sign_in(desktop, site, "coordinator")
    desktop.get_by_role("link", name="Review", exact=True).click()
    desktop.get_by_role("combobox", name="District").select_option(district)
    desktop.get_by_role("button", name="Show").click()
    desktop.wait_for_load_state()
    assert_accessible(desktop)
    for _ in range(5):  # the queue puts sentences that move a count first; one click should move one
        item = desktop.locator("li.review-item").filter(
            has=desktop.get_by_role("button", name="Not a concern")).first
        theme = re.search(r"Theme: (.+?) \(", item.inner_text()).group(1)  # type: ignore[union-attr]
        before = _table_count(desktop, theme)
        item.get_by_role("button", name="Not a concern").click()
        desktop.wait_for_load_state()
        status = desktop.get_by_role("status").inner_text()
        moved = re.search(rf"{re.escape(theme)} (\d+) → (\d+)", status)
        if moved:
            break
    else:
        pytest.fail("five verdicts in a row moved no count of their own theme")
    # the sentence leaves its theme; sentences like it may move too (the annotator learns from the verdict)
    assert int(moved.group(1)) == before and int(moved.group(2)) != before
    after = int(moved.group(2))
    assert _table_count(desktop, theme) == after
    assert_accessible(desktop)
    if which == "city":  # the queue after a verdict: the counts that moved, the district's table, the next items
        out = REPO / "docs" / "screenshots" if WRITING_SCREENSHOTS else tmp_path
        out.mkdir(parents=True, exist_ok=True)
        desktop.screenshot(path=str(out / "review.png"))
    summary = site.api(f"/summaries/{quote(district, safe='')}", "coordinator")  # the summary counts it too
    assert next((t["mentions"] for t in summary["themes"] if t["label"] == theme), 0) == after
