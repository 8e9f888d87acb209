"""The hand-labelled police-community sets (evals/data/police_notes): they load through the dataset loader, use
only the guide's theme names and sentiment values, cover four districts and three months, and hold the surge
the guide documents."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from evals.datasets import load_dataset
from evals.label_distribution import label_distribution
from tests.paths import REPO

SET_DIR = REPO / "evals" / "data" / "police_notes"
SENTIMENTS = {"positive", "negative", "neutral", "mixed"}
KINDS = {"meeting_note", "comment", "survey_response", "email"}
MONTHS = {"2026-08", "2026-09", "2026-10"}
# file, expected rows, (district, theme) of the planted surge
SETS = [("dev.csv", 240, ("Eastbrook", "burglary_theft")), ("test.csv", 160, ("District 5", "noise"))]


def guide_themes() -> set[str]:
    """Theme names from the guide's table: the backticked first cell of each row under '## Themes'."""
    text = (SET_DIR / "GUIDE.md").read_text(encoding="utf-8")
    section = text.split("## Themes", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE))


def raw_rows(name: str) -> list[dict[str, str]]:
    with (SET_DIR / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_the_guide_lists_about_eighteen_themes() -> None:
    assert 16 <= len(guide_themes()) <= 22


@pytest.mark.parametrize(("name", "rows", "surge"), SETS)
def test_set_loads_with_valid_labels(name: str, rows: int, surge: tuple[str, str], tmp_path: Path) -> None:
    dataset = load_dataset(str(SET_DIR / name), tmp_path)
    raw = raw_rows(name)
    assert len(raw) == rows
    assert len(dataset.labels) == rows, "duplicate ids collapse in the loader"
    assert len({r["id"] for r in raw}) == rows
    themes = guide_themes()
    unknown = {t for lab in dataset.labels.values() for t in lab.themes} - themes
    assert not unknown, f"theme labels not in GUIDE.md: {sorted(unknown)}"
    assert {r["sentiment"] for r in raw} <= SENTIMENTS
    assert all(lab.sentiment for lab in dataset.labels.values())
    assert {r["kind"] for r in raw} <= KINDS
    assert len({lab.district for lab in dataset.labels.values()}) == 4
    assert {lab.month for lab in dataset.labels.values()} == MONTHS
    notes = [r for r in raw if r["kind"] == "meeting_note"]
    assert 0.35 <= len(notes) / rows <= 0.65
    assert all(r["meeting_id"] and 3 <= int(r["attendee_count"]) <= 9 for r in notes)
    assert all(not r["meeting_id"] and not r["attendee_count"] for r in raw if r["kind"] != "meeting_note")


@pytest.mark.parametrize(("name", "rows", "surge"), SETS)
def test_surge_is_in_the_labels(name: str, rows: int, surge: tuple[str, str]) -> None:
    district, theme = surge
    per_month = Counter(r["date"][:7] for r in raw_rows(name)
                        if r["district"] == district and theme in r["themes"].split(";"))
    assert per_month["2026-10"] >= 6
    assert per_month["2026-10"] >= 3 * max(per_month["2026-08"], per_month["2026-09"])


def test_dev_and_test_share_no_ids_or_texts() -> None:
    dev, test = raw_rows("dev.csv"), raw_rows("test.csv")
    assert not {r["id"] for r in dev} & {r["id"] for r in test}
    assert not {r["text"] for r in dev} & {r["text"] for r in test}


def test_label_distribution_counts_themes_and_keeps_mixed_apart() -> None:
    raw = raw_rows("test.csv")
    dist = label_distribution(SET_DIR / "test.csv")
    assert dist.records == len(raw)
    assert dist.sentiments["mixed"] == sum(r["sentiment"] == "mixed" for r in raw) > 0
    assert sum(dist.themes.values()) == sum(len([t for t in r["themes"].split(";") if t]) for r in raw)
