"""What a reader sees: one function per kind of number, and every view (the summary table, the narrative,
the prompt, the grounding check) states a theme's change alike."""

from __future__ import annotations

import datetime as dt
import re
from fractions import Fraction

import pytest

from synth import readout
from synth.synthesis.display import display_forms, sheet_numbers, theme_points
from synth.synthesis.facts import build_fact_sheet
from synth.synthesis.grounding import Narrative, check_narrative
from synth.synthesis.narrative import NarrativeResult, prompt_variables, write_narrative
from synth.synthesis.report_text import to_markdown, to_text
from synth.synthesis.summary import build_summary
from tests.test_facts import THEMES, c, row
from tests.test_grounding import index_for


def test_counts() -> None:
    assert readout.count(40) == "40" and readout.count(0) == "0"
    assert readout.count(1, "record") == "1 record" and readout.count(2, "record") == "2 records"
    assert readout.count(3, "reply", "replies") == "3 replies"


def test_shares_round_half_up_from_the_exact_value() -> None:
    assert readout.share(Fraction(2, 3)) == "67%" and readout.share(Fraction(1, 8)) == "13%"
    assert readout.percent(5, 8) == "63%" and readout.percent(0, 0) == "0%"
    assert readout.share(0.125) == "13%"  # a stored share is the decimal it prints as (round() would say 12)
    assert readout.share(0.66) == "66%" and readout.share(1) == "100%"
    assert readout.percent_value(0.345) == 35


def test_changes_are_the_difference_of_the_displayed_shares() -> None:
    # 30% now (0.296) against 34% before (0.344): exactly -4.8 points, stated as 30 - 34 = -4
    assert readout.change_points(Fraction(37, 125), Fraction(43, 125)) == -4
    assert readout.change_points(0.4146, 0.125) == 28  # 41% - 13%, not round(28.96) = 29
    assert readout.signed_points(-4) == "-4" and readout.signed_points(0) == "+0"
    assert readout.table_change(-4) == "-4 pts" and readout.table_change(12) == "+12 pts"
    assert readout.change_words(-4) == "down 4 points" and readout.change_words(12) == "up 12 points"
    assert readout.change_words(0) == "level" and readout.points(-4) == "4 points"
    assert [readout.direction(p) for p in (3, 0, -3)] == ["up", "none", "down"]


def test_scores_and_periods() -> None:
    assert readout.signed(0.345) == "+0.35" and readout.signed(-0.6) == "-0.60" and readout.signed(0) == "+0.00"
    assert readout.period_label("2026-11") == "November 2026"
    assert readout.period_label("2026-09..2026-11") == "September–November 2026"
    assert readout.period_label(None) == readout.period_label("all") == "all dates"
    with pytest.raises(ValueError, match="2026-13"):
        readout.period_label("2026-13")


# --- the "-5 pts" in the table vs "down 4 points" in the narrative -----------------------------------------

OCT, NOV = dt.date(2026, 10, 15), dt.date(2026, 11, 15)


def _rows() -> list:
    """District 1, lighting: 43 of 125 records in October (34.4%), 37 of 125 in November (29.6%). The exact
    change is -4.8 points; the displayed shares are 34% and 30%, so every view must say 4 points."""
    rows = []
    for month, day, raising in (("o", OCT, 43), ("n", NOV, 37)):
        for i in range(125):
            light = c("t_light", "negative", text=f"The street lights are out again on block {i}.")
            rows.append(row(f"{month}{i:03d}", light if i < raising else c("t_speed"), date=day,
                            meeting=f"{month}m{i % 9}"))
    return rows


def test_the_table_and_the_narrative_state_the_same_change() -> None:
    sheet = build_fact_sheet(_rows(), THEMES, district="D1", period="2026-11")
    light = next(t for t in sheet.themes if t.id == "t_light")
    assert light.change is not None and light.change.delta_share == -0.048  # the stored exact change: -4.8
    forms = display_forms(sheet)
    assert (forms["themes.t_light.share"], forms["themes.t_light.previous_share"]) == ("30%", "34%")
    assert forms["themes.t_light.delta_points"] == "-4" and theme_points(light.mentions, sheet.records,
                                                                          light.change) == -4
    assert "4 points" in sheet_numbers(sheet) and "5 points" not in sheet_numbers(sheet)
    assert '"points": "4 points"' in prompt_variables(sheet)["facts_json"]

    narrative: NarrativeResult = write_narrative(sheet, index_for(sheet), None)
    assert ("They also worried about Street lighting, in 37 records (30%), down 4 points from 34% in October 2026, "
            "within normal variation") in narrative.text
    summary = build_summary(sheet, narrative, fp="x", annotator="test")
    md = to_markdown(summary)
    cells = next(line for line in md.splitlines() if line.startswith("| Street lighting |")).split("|")
    table_points = int(re.fullmatch(r" ([+-]\d+) pts.*", cells[4])[1])  # type: ignore[index]
    said = re.search(r"Street lighting, in .*?, (up|down) (\d+) points", md)
    assert said is not None
    narrative_points = int(said[2]) * (1 if said[1] == "up" else -1)
    assert table_points == narrative_points == -4  # was "-5 pts" in the table: round(-4.8)
    assert md.startswith("## D1, November 2026\n")
    assert to_text(summary).startswith("D1, November 2026: 125 records from 9 meetings\n")
    assert "  - Street lighting: 37 records (30%), down 4 points, within normal variation; " in to_text(summary)


def test_a_range_is_named_by_its_label_in_the_narrative_and_passes_the_checks() -> None:
    rows = []
    for prefix, day, raising in (("o", dt.date(2025, 10, 3), 30), ("n", dt.date(2025, 11, 3), 30),
                                 ("d", dt.date(2025, 12, 3), 30), ("j", dt.date(2026, 1, 3), 10)):
        for i in range(40):
            rows.append(row(f"{prefix}{i:03d}", c("t_light", text=f"The street lights are out again on block {i}.")
                            if i < raising else c("t_speed"), date=day, meeting=f"{prefix}m{i % 7}"))
    sheet = build_fact_sheet(rows, THEMES, district="D1", period="2025-12..2026-01")
    assert (sheet.period, sheet.previous_period) == ("2025-12..2026-01", "2025-10..2025-11")  # JSON keeps keys
    result = write_narrative(sheet, index_for(sheet), None)
    assert result.text.startswith("This summary covers D1 for December 2025–January 2026.")
    assert "down 25 points from 75% in October–November 2025" in result.text  # 40/80 = 50% now
    assert check_narrative(Narrative(sentences=result.sentences), sheet, index_for(sheet)) == []
    assert "| Street lighting | 40 | 50% | -25 pts, a significant fall |" in to_markdown(
        build_summary(sheet, result, fp="x", annotator="test"))
