"""What a coordinator reads (`--format text|md|json`): worries and praise apart, each theme with its change and
significance stated as the narrative states it, its records' sentiment and quotes; meeting counts only when
there are meetings; the city's view with each district's leading theme."""

from __future__ import annotations

import datetime as dt
import re

from synth.synthesis.facts import FactRow, build_city_sheet, build_fact_sheet
from synth.synthesis.grounding import Narrative, check_narrative
from synth.synthesis.models import FactSheet
from synth.synthesis.narrative import write_narrative
from synth.synthesis.quote_quality import is_quotable
from synth.synthesis.report_text import QUOTES_SHOWN, to_markdown, to_text
from synth.synthesis.summary import Summary, as_json, build_summary
from tests.test_facts import THEMES, c, row

AUG, SEPT = dt.date(2026, 8, 12), dt.date(2026, 9, 12)
SPEED_WORDS = ["Cars race down Elm every night after ten.", "Drivers speed past the school at pickup time.",
               "Someone will get hurt on Oak Street soon."]


def rows(meetings: bool = False) -> list[FactRow]:
    """D1 over two months: lighting (worry) rises significantly, speeding (worry) is level-ish, parks are
    praised in September; one lighting record is too short to quote."""
    out = []
    for month, day, lights in (("a", AUG, 10), ("s", SEPT, 30)):
        for i in range(60):
            concerns = []
            if i < lights:
                text = "Dark." if i == 0 else f"The streetlight at corner {i} has been out for weeks."
                concerns.append(c("t_light", "negative", text=text))
            if i % 3 == 0:
                concerns.append(c("t_speed", "negative", text=SPEED_WORDS[i % len(SPEED_WORDS)]))
            if month == "s" and 40 <= i < 46:
                concerns.append(c("t_park", "positive" if i < 44 else "neutral",
                                  text=f"The new playground in the park is lovely, thank you {i}."))
            out.append(row(f"{month}{i:02d}", *concerns, date=day, meeting=f"{month}m{i % 4}" if meetings else None,
                           attendees=12 if meetings else None))
    return out


def summary_of(sheet: FactSheet, fact_rows: list[FactRow]) -> Summary:
    index = {r.record_id: (r.district, set(r.annotation.themes)) for r in fact_rows}
    narrative = write_narrative(sheet, index, None)
    assert check_narrative(Narrative(sentences=narrative.sentences), sheet, index) == []  # every number checked
    return build_summary(sheet, narrative, fp="x", annotator="test")


def test_worries_and_praise_apart_in_every_format() -> None:
    fact_rows = rows()
    s = summary_of(build_fact_sheet(fact_rows, THEMES, district="D1", period="2026-09"), fact_rows)
    text, md, doc = to_text(s), to_markdown(s), as_json(s)
    worries, praise = text.split("  Worries:\n")[1].split("  Praise:\n")
    assert "Street lighting" in worries and "Speeding" in worries and "Parks" not in worries
    assert ("Parks: 6 records (10%), up 10 points, a significant rise, new this period; 4 positive, 2 neutral, "
            "0 negative") in praise
    assert md.index("### Worries") < md.index("| Street lighting |") < md.index("### Praise") < md.index("| Parks |")
    assert doc["highlights"] == ["t_park"] and set(doc["worries"]) == {"t_light", "t_speed"}
    assert {t["id"]: t["tone"] for t in doc["themes"]} == {"t_light": "worry", "t_speed": "worry", "t_park": "praise"}
    assert "On the positive side, residents praised Parks: 4 of its 6 records were positive." in s.narrative
    assert "Residents worried most about Street lighting" in s.narrative


def test_theme_sentiment_counts_records_not_sentences() -> None:
    extra = row("s99", c("t_light", "negative", text="The streetlight on Ash is out."),
                c("t_light", "positive", score=0.2, text="The one on Birch was fixed, thank you."), date=SEPT)
    fact_rows = [*rows(), extra]
    s = summary_of(build_fact_sheet(fact_rows, THEMES, district="D1", period="2026-09"), fact_rows)
    light = next(t for t in s.themes if t.id == "t_light")
    assert light.sentiment == {"positive": 0, "neutral": 0, "negative": 31}  # s99: its stronger concern
    for t in s.themes:
        assert sum(t.sentiment.values()) == t.mentions, t.label


def test_the_change_and_its_significance_read_alike_in_the_narrative_and_the_theme_lines() -> None:
    fact_rows = rows()
    s = summary_of(build_fact_sheet(fact_rows, THEMES, district="D1", period="2026-09"), fact_rows)
    text = to_text(s)
    light = next(t for t in s.themes if t.id == "t_light")
    assert light.change_words == "up 33 points, a significant rise"  # 10/60 = 17% -> 30/60 = 50%
    assert "  - Street lighting: 30 records (50%), up 33 points, a significant rise; " in text
    said = re.search(r"Street lighting, in 30 of 60 records \(50%\), (up|down) (\d+) points from 17% in "
                     r"August 2026, ([a-z ]+)\.", s.narrative)
    assert said is not None and f"{said[1]} {said[2]} points, {said[3]}" == light.change_words
    speed = next(t for t in s.themes if t.id == "t_speed")
    assert speed.change_words == "level, within normal variation" and "steady" not in text
    assert "| Street lighting | 30 | 50% | +33 pts, a significant rise |" in to_markdown(s)


def test_quotes_are_shown_in_quotation_marks_and_are_quotable() -> None:
    fact_rows = rows()
    s = summary_of(build_fact_sheet(fact_rows, THEMES, district="D1", period="2026-09"), fact_rows)
    text, md = to_text(s), to_markdown(s)
    for t in s.themes:
        assert len(t.quotes) >= 1 and all(is_quotable(q.text) for q in t.quotes)
        shown = [q.text for q in t.quotes[:QUOTES_SHOWN]]
        assert all(f'      "{q}"' in text for q in shown)
        assert f"- **{t.label}**: " + " / ".join(f'"{q}"' for q in shown) in md
        assert all(f'"{q.text}"' not in text for q in t.quotes[QUOTES_SHOWN:])
    assert '"Dark."' not in text


def test_meetings_and_residents_only_when_the_data_has_meetings() -> None:
    plain = rows()
    s = summary_of(build_fact_sheet(plain, THEMES, district="D1", period="2026-09"), plain)
    assert to_text(s).startswith("D1, September 2026: 60 records\n") and "meeting" not in to_markdown(s)
    met = rows(meetings=True)
    m = summary_of(build_fact_sheet(met, THEMES, district="D1", period="2026-09"), met)
    assert to_text(m).startswith("D1, September 2026: 60 records from 4 meetings (48 residents reached)\n")
    assert "60 records from 4 meetings (48 residents reached)." in to_markdown(m)


def test_the_city_view_names_each_districts_leading_theme() -> None:
    d1 = rows()
    d2 = [row(f"x{i}", c("t_speed", text=SPEED_WORDS[i % 3]), district="D2", date=SEPT) for i in range(8)]
    city_rows = [*d1, *d2]
    s = summary_of(build_city_sheet(city_rows, THEMES, period="2026-09"), city_rows)
    assert s.district == "City-wide" and s.counts.records == 68
    assert "  Leading theme by district: D1: Street lighting; D2: Speeding" in to_text(s)
    assert "| D2 | Speeding |" in to_markdown(s) and as_json(s)["leading_theme_by_district"] == {
        "D1": "t_light", "D2": "t_speed"}


def test_the_period_basis_is_shown_when_the_period_was_chosen() -> None:
    fact_rows = rows()
    s = summary_of(build_fact_sheet(fact_rows, THEMES, district="D1", period="2026-09"), fact_rows)
    chosen = s.model_copy(update={"period_basis": "September 2026, the latest month with records for D1"})
    assert "  Period: September 2026, the latest month with records for D1\n" in to_text(chosen)
    assert "Period: September 2026, the latest month with records for D1." in to_markdown(chosen)
    assert "Period:" not in to_text(s)
