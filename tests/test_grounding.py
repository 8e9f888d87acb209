"""Grounding checks: invented numbers, foreign or unknown citations and uncited facts are rejected.

The helpers `make_theme`, `make_sheet` and `index_for` build small fact sheets and a record index that agrees
with them; tests/test_narrative.py uses them too.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from synth.synthesis.display import sheet_numbers
from synth.synthesis.facts import FactRow, build_city_sheet, build_fact_sheet
from synth.synthesis.grounding import (
    GroundingIssue,
    Narrative,
    NarrativeSentence,
    RecordIndex,
    check_narrative,
    cited_themes,
)
from synth.synthesis.models import (
    Annotation,
    Concern,
    FactSheet,
    Quote,
    SentimentScore,
    Theme,
    ThemeChange,
    ThemeFacts,
)
from synth.synthesis.narrative import deterministic_narrative

# --- helpers -------------------------------------------------------------------------------------------


def make_theme(
    id: str,
    label: str,
    mentions: int,
    records: int,
    quotes: dict[str, str],
    *,
    previous: tuple[int, int] | None = None,  # (previous mentions, previous records)
    sentiment: tuple[int, int, int] = (0, 0, 0),  # negative, neutral, positive
    significant: bool = False,
    dominated_by: str | None = None,
    dominance_share: float | None = None,
    net: float = 0.0,
) -> ThemeFacts:
    share = mentions / records
    change = None
    if previous is not None:
        prev_share = previous[0] / previous[1]
        delta = share - prev_share
        change = ThemeChange(
            previous_mentions=previous[0], previous_share=prev_share, delta_share=delta,
            p_value=0.01 if significant else 0.4, significant=significant,
            direction="flat" if not significant else "up" if delta > 0 else "down",
        )  # fmt: skip
    neg, neu, pos = sentiment
    return ThemeFacts(
        id=id, label=label, mentions=mentions, share=share,
        sentiment={"negative": neg, "neutral": neu, "positive": pos}, net_sentiment=net, change=change,
        quotes=[Quote(record_id=r, text=t) for r, t in quotes.items()],
        dominated_by=dominated_by, dominance_share=dominance_share,  # type: ignore[arg-type]
    )  # fmt: skip


def make_sheet(
    themes: list[ThemeFacts] | None = None,
    *,
    district: str = "District 2",
    period: str = "2026-11",
    start: dt.date = dt.date(2026, 11, 1),
    end: dt.date = dt.date(2026, 11, 30),
    previous_period: str | None = "2026-10",
    records: int = 95,
    highlights: list[ThemeFacts] | None = None,
) -> FactSheet:
    if themes is None:
        themes = [traffic(records), noise(records)]
    return FactSheet(
        district=district, period=period, period_start=start, period_end=end,
        previous_period=previous_period, records=records, meetings=4, residents_reached=120,
        records_by_kind={"meeting": 60, "web_form": records - 60},
        sentiment={"negative": 50, "neutral": 30, "positive": 15},
        themes=themes, highlights=highlights or [],
    )  # fmt: skip


def traffic(records: int = 95) -> ThemeFacts:
    """40 mentions (42%), up 12 points from 30% (28 of 93), significant, net sentiment -0.35."""
    return make_theme(
        "t_traffic", "Traffic & speeding", 40, records,
        {"r_t1": "Cars speed down Main St every morning, 52 of them before 8am!", "r_t2": "Nobody stops."},
        previous=(28, 93), sentiment=(30, 7, 3), significant=True, net=-0.35,
    )  # fmt: skip


def noise(records: int = 95) -> ThemeFacts:
    """20 mentions (21%), no previous period."""
    return make_theme("t_noise", "Noise", 20, records, {"r_n1": "Loud parties on Elm every weekend."})


def index_for(sheet: FactSheet, **extra: tuple[str | None, set[str]]) -> dict[str, tuple[str | None, set[str]]]:
    """The record index a store would give: each quoted record in the sheet's district, raising its theme."""
    district = None if sheet.district == "No district" else sheet.district
    index: dict[str, tuple[str | None, set[str]]] = {}
    for theme in [*sheet.themes, *sheet.highlights]:
        for q in theme.quotes:
            index.setdefault(q.record_id, (district, set()))[1].add(theme.id)
    index.update(extra)
    return index


def one(text: str, *citations: str, district: str = "District 2") -> Narrative:
    """A narrative of an opening sentence and `text` (sentence 1)."""
    opening = NarrativeSentence(text=f"This summary covers {district} for November 2026.")
    return Narrative(sentences=[opening, NarrativeSentence(text=text, citations=list(citations))])


def kinds(issues: list[GroundingIssue]) -> list[str]:
    return [i.kind for i in issues]


def check(
    text: str, *citations: str, sheet: FactSheet | None = None, index: RecordIndex | None = None
) -> list[GroundingIssue]:
    """Issues of `text` as sentence 1 after a plain opening."""
    sheet = sheet or make_sheet()
    index = index if index is not None else index_for(sheet)
    return check_narrative(one(text, *citations, district=sheet.district), sheet, index)


# --- the deterministic narrative always passes ------------------------------------------------------------


def test_deterministic_narrative_passes() -> None:
    patrol = make_theme("t_patrol", "Foot patrols", 9, 95, {"r_p1": "Nice"}, sentiment=(0, 1, 8))
    sheet = make_sheet([traffic(), noise(), patrol], highlights=[patrol])
    narrative = deterministic_narrative(sheet)
    assert check_narrative(narrative, sheet, index_for(sheet)) == []
    texts = [s.text for s in narrative.sentences]
    assert "40 of 95 records (42%)" in texts[1]
    assert "up 12 points from 30% in October 2026, a significant rise" in texts[1]
    assert "On the positive side, residents praised Foot patrols: 8 of its 9 records were positive." in texts
    assert all(s.citations for s in narrative.sentences[1:])


_LABELS = [
    "Traffic & speeding", "Noise", "911 response times", "Parking/abandoned vehicles", "Youth programs",
    "Drugs and overdoses", "Street lighting", "Officer courtesy", "Speed cameras", "Homeless encampments",
    "Car break-ins", "Community meetings", "Records requests", "Response time",
]  # fmt: skip


def _random_sheet(rng: random.Random) -> FactSheet:
    records = rng.randint(1, 2500)
    labels = rng.sample(_LABELS, rng.randint(0, 6))
    themes = []
    for n, label in enumerate(labels):
        mentions = rng.randint(0, records)
        quotes = {
            f"r_{n}_{k}": rng.choice(["Fix it.", "Thanks, 3 officers came.", ""]) for k in range(rng.randint(0, 4))
        }
        previous = (rng.randint(0, 500), rng.randint(1, 500)) if rng.random() < 0.7 else None
        if previous and previous[0] > previous[1]:
            previous = (previous[1], previous[0])
        dominated = rng.choice([None, "meeting", "note_taker"])
        themes.append(
            make_theme(
                f"t_{n}",
                label,
                mentions,
                records,
                quotes,
                previous=previous,
                sentiment=(rng.randint(0, 50), rng.randint(0, 50), rng.randint(0, 50)),
                significant=rng.random() < 0.5,
                dominated_by=dominated,
                dominance_share=rng.random() if dominated else None,
            )  # fmt: skip
        )
    themes.sort(key=lambda t: -t.mentions)
    year, month = rng.choice([(2026, 1), (2026, 11), (2025, 12)])
    single = rng.random() < 0.5
    start = dt.date(year, 1 if not single else month, 1)
    end = dt.date(year, month, 28)
    period = f"{year}-{month:02d}" if single else f"{year}-01..{year}-{month:02d}"
    previous_period = rng.choice([None, f"{year - 1}-12", f"{year}-{max(month - 1, 1):02d}"])
    return make_sheet(
        themes, district=rng.choice(["District 2", "City-wide", "North 7", "Precinct 12"]), period=period,
        start=start, end=end, previous_period=previous_period, records=records,
        highlights=[t for t in themes if rng.random() < 0.3],
    )  # fmt: skip


@pytest.mark.parametrize("seed", range(300))
def test_deterministic_narrative_passes_on_many_sheets(seed: int) -> None:
    sheet = _random_sheet(random.Random(seed))
    narrative = deterministic_narrative(sheet)
    assert narrative.sentences
    assert check_narrative(narrative, sheet, index_for(sheet)) == []
    cited = {q.record_id for t in [*sheet.themes, *sheet.highlights] for q in t.quotes}
    assert {c for s in narrative.sentences for c in s.citations} <= cited


_THEMES = {
    "t_traffic": Theme(id="t_traffic", label="Traffic & speeding", keywords=["speeders", "red light"]),
    "t_noise": Theme(id="t_noise", label="Noise", keywords=["loud", "parties"]),
    "t_911": Theme(id="t_911", label="911 response times", keywords=["response", "waited"]),
    "t_patrol": Theme(id="t_patrol", label="Foot patrols", keywords=["officers", "walking"]),
    "t_light": Theme(id="t_light", label="Street lighting", keywords=["dark", "streetlight"]),
}
_SENTIMENT = {"positive": 0.6, "neutral": 0.0, "negative": -0.6}


def _random_rows(rng: random.Random, n: int) -> list[FactRow]:
    rows = []
    for i in range(n):
        picked = rng.sample(sorted(_THEMES), rng.randint(0, 2))
        labels = [rng.choice(["positive", "neutral", "negative"]) for _ in picked]
        concerns = [
            Concern(index=k, text=f"Residents said {_THEMES[t].label} was a problem on our street.", theme_id=t,
                    sentiment=SentimentScore(label=lab, score=_SENTIMENT[lab]))  # type: ignore[arg-type]
            for k, (t, lab) in enumerate(zip(picked, labels, strict=True))
        ]  # fmt: skip
        meeting = rng.choice([None, "m1", "m2", "m3"])
        rows.append(
            FactRow(
                record_id=f"r{i}",
                district=rng.choice(["District 1", "District 2", None]),
                date=dt.date(2026, rng.choice([10, 11]), rng.randint(1, 28)),
                kind=rng.choice(["note", "form"]),
                meeting_id=meeting,
                note_taker=rng.choice(["ann", "bo"]) if meeting else None,
                attendee_count=rng.randint(5, 40) if meeting else None,
                text=f"Record {i}: residents talked about things at some length, 3 times over.",
                annotation=Annotation(
                    record_id=f"r{i}",
                    concerns=concerns,
                    annotator="test",
                    sentiment=SentimentScore(label="neutral", score=0.0),
                ),
            )  # fmt: skip
        )
    return rows


@pytest.mark.parametrize("seed", range(25))
def test_deterministic_narrative_passes_on_real_fact_sheets(seed: int) -> None:
    """Sheets built by synth.synthesis.facts, the record index and keywords built as the pipeline does."""
    rows = _random_rows(random.Random(seed), 150)
    index = {r.record_id: (r.district, set(r.annotation.themes)) for r in rows}
    keywords = {tid: t.keywords for tid, t in _THEMES.items()}
    sheets = [build_fact_sheet(rows, _THEMES, district=d, period="2026-11") for d in ["District 1", None]]
    sheets.append(build_city_sheet(rows, _THEMES, period="2026-11"))
    for sheet in sheets:
        narrative = deterministic_narrative(sheet, theme_keywords=keywords)
        assert len(narrative.sentences) > 1
        assert check_narrative(narrative, sheet, index, theme_keywords=keywords) == []


def test_deterministic_narrative_without_themes() -> None:
    sheet = make_sheet([])
    narrative = deterministic_narrative(sheet)
    assert [s.text for s in narrative.sentences] == ["This summary covers District 2 for November 2026."]
    assert check_narrative(narrative, sheet, {}) == []


# --- numbers ---------------------------------------------------------------------------------------------


def test_sheet_numbers_are_display_forms() -> None:
    numbers = sheet_numbers(make_sheet())
    assert {"95", "4", "120", "40", "42%", "30%", "12 points", "28", "20", "21%", "30", "7", "3"} <= numbers
    assert "0.35" in numbers  # Traffic's net sentiment, sign dropped
    assert not any(n.startswith(("2026", "+", "-")) for n in numbers)  # dates are checked as dates


def test_display_follows_facts_rounding() -> None:
    """17 of 40 is exactly 42.5%: shown as 43%; the change is the difference of the shown percentages."""
    theme = make_theme("t_traffic", "Traffic", 17, 40, {"r_t1": "x"}, previous=(1, 8))  # 12.5% -> 13%
    sheet = make_sheet([theme], records=40)
    assert {"43%", "13%", "30 points"} <= sheet_numbers(sheet)
    assert check("Traffic rose 30 points from 13% to 43%.", "r_t1", sheet=sheet) == []


def test_accepts_numbers_from_the_sheet() -> None:
    assert check("Traffic & speeding came up in 40 of 95 records (42%), up 12 points from 30%.", "r_t1") == []


def test_rejects_an_invented_number() -> None:
    issues = check("Traffic & speeding came up in 52 mentions.", "r_t1")
    assert kinds(issues) == ["unknown_number"]
    assert issues[0].sentence == 1 and "'52'" in issues[0].detail and "40" in issues[0].detail


def test_rejects_a_number_of_another_theme() -> None:
    """20 is Noise's count: a sentence about Traffic may not use it."""
    assert kinds(check("Traffic came up in 20 records.", "r_t1")) == ["unknown_number"]
    assert check("Noise came up in 20 records.", "r_n1") == []


@pytest.mark.parametrize(
    "text",
    [
        "Traffic came up in forty records.",
        "Traffic came up in forty-two percent of records.",
        "Traffic rose by twelve percentage points.",
        "No one at the meetings disputed that traffic is one of the main concerns.",
        "One resident said traffic came up in 40 records.",
        "Traffic has a net sentiment of -0.35.",
    ],
)
def test_accepts_spelled_out_numbers_from_the_sheet(text: str) -> None:
    assert check(text, "r_t1") == []


@pytest.mark.parametrize(
    "text",
    [
        "Traffic came up in fifty-two records.",
        "Traffic came up in a dozen meetings.",
        "Half of all records mention traffic.",
        "Traffic came up twice as often as before.",
        "Traffic complaints doubled.",
        "Dozens of residents raised traffic.",
        "Traffic came up in 3.5 records per meeting.",
        "Traffic has a net sentiment of -0.36.",
        "Traffic came up in two hundred records.",
    ],
)
def test_rejects_spelled_out_or_computed_numbers(text: str) -> None:
    assert "unknown_number" in kinds(check(text, "r_t1"))


def test_half_is_fifty_percent() -> None:
    sheet = make_sheet([make_theme("t_traffic", "Traffic", 50, 100, {"r_t1": "x"})], records=100)
    assert check("Half of the records raised traffic.", "r_t1", sheet=sheet) == []


@pytest.mark.parametrize(
    "text",
    ["42%", "42 %", "42 percent", "42 per cent", "forty-two percent", "up 12 points",
     "up 12 percentage points", "a 12-point rise", "up 12 pp"],
)  # fmt: skip
def test_accepts_percent_and_point_forms(text: str) -> None:
    assert check(f"Traffic: {text}.", "r_t1") == []


@pytest.mark.parametrize(
    "text",
    ["43%", "40%", "40 percent", "12%", "42 points", "0.42", "42.1%"],  # wrong value or wrong kind
)
def test_rejects_wrong_percent_forms(text: str) -> None:
    assert kinds(check(f"Traffic: {text}.", "r_t1")) == ["unknown_number"]


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("In November 2026 traffic came up in 40 records.", True),
        ("Between 2026-11-01 and November 30, 2026 traffic came up in 40 records.", True),
        ("Traffic came up in 40 records, up from October 2026.", True),
        ("Traffic came up in 40 records in December 2026.", False),
        ("Traffic came up in 40 records in 2025.", False),
        ("Traffic came up in 40 records on 3 December.", False),
        ("In 2026-12 traffic came up in 40 records.", False),
    ],
)
def test_dates(text: str, ok: bool) -> None:
    assert (check(text, "r_t1") == []) is ok


def test_district_names_and_labels_are_not_numbers() -> None:
    sheet = make_sheet([make_theme("t_911", "911 response times", 40, 95, {"r_9": "Waited an hour."})])
    assert check("In District 2, 911 response times came up in 40 records.", "r_9", sheet=sheet) == []
    assert kinds(check("In District 9, traffic came up in 40 records.", "r_t1")) == ["unknown_number"]


def test_numbers_in_a_verbatim_resident_quote_are_not_claims() -> None:
    ok = 'One resident wrote about traffic: "Cars speed down Main St every morning, 52 of them".'
    assert check(ok, "r_t1") == []
    invented = 'One resident wrote about traffic: "53 of them every morning".'
    assert kinds(check(invented, "r_t1")) == ["unknown_number"]
    uncited = 'One resident wrote about traffic: "Cars speed down Main St every morning, 52 of them".'
    assert kinds(check(uncited, "r_t2")) == ["unknown_number"]


# --- citations -------------------------------------------------------------------------------------------


def test_rejects_a_missing_citation() -> None:
    issues = check("Traffic & speeding came up in 40 records.")
    assert kinds(issues) == ["missing_citation"] and issues[0].sentence == 1


def test_only_a_plain_opening_may_go_uncited() -> None:
    sheet = make_sheet()
    plain = Narrative(sentences=[NarrativeSentence(text="This summary covers District 2 for November 2026.")])
    assert check_narrative(plain, sheet, index_for(sheet)) == []
    with_number = Narrative(sentences=[NarrativeSentence(text="Residents sent 95 records.")])
    assert kinds(check_narrative(with_number, sheet, index_for(sheet))) == ["missing_citation"]
    with_theme = Narrative(sentences=[NarrativeSentence(text="Residents worry about noise.")])
    assert kinds(check_narrative(with_theme, sheet, index_for(sheet))) == ["missing_citation"]
    claim = Narrative(sentences=[NarrativeSentence(text="District 2 has no problems.")])
    issues = check_narrative(claim, sheet, index_for(sheet))
    assert kinds(issues) == ["missing_citation"] and "'has', 'no', 'problems'" in issues[0].detail
    frame = "Here is what residents of District 2 shared during November 2026 at community meetings."
    assert check_narrative(Narrative(sentences=[NarrativeSentence(text=frame)]), sheet, index_for(sheet)) == []


def test_rejects_an_unknown_citation() -> None:
    issues = check("Traffic came up in 40 records.", "r_t1", "r_made_up")
    assert kinds(issues) == ["unknown_citation"] and "r_made_up" in issues[0].detail


def test_rejects_a_citation_from_another_district() -> None:
    sheet = make_sheet()
    index = index_for(sheet, r_far=("District 5", {"t_traffic"}), r_none=(None, {"t_traffic"}))
    issues = check("Traffic came up in 40 records.", "r_far", "r_none", sheet=sheet, index=index)
    assert kinds(issues) == ["foreign_citation", "foreign_citation"]
    assert "District 5" in issues[0].detail


def test_the_no_district_sheet_cites_records_without_a_district() -> None:
    sheet = make_sheet(district="No district")
    index = index_for(sheet, r_none=(None, {"t_traffic"}), r_far=("District 5", {"t_traffic"}))
    assert check("Traffic came up in 40 records.", "r_none", sheet=sheet, index=index) == []
    assert kinds(check("Traffic came up in 40 records.", "r_far", sheet=sheet, index=index)) == ["foreign_citation"]


def test_city_wide_sheets_cite_any_district() -> None:
    sheet = make_sheet(district="City-wide")
    index = index_for(sheet, r_far=("District 5", {"t_traffic"}))
    assert check("Traffic came up in 40 records.", "r_far", sheet=sheet, index=index) == []


def test_rejects_a_citation_whose_record_does_not_raise_the_theme() -> None:
    issues = check("Traffic & speeding came up in 40 records.", "r_t1", "r_n1")
    assert kinds(issues) == ["foreign_citation"] and "r_n1" in issues[0].detail and "Traffic" in issues[0].detail


def test_a_sentence_about_two_themes_cites_records_of_either() -> None:
    assert check("Traffic (40 records) and noise (20 records) led.", "r_t1", "r_n1") == []


def test_keywords_name_a_theme() -> None:
    sheet = make_sheet()
    narrative = one("Speeders came up in 40 records.", "r_n1")
    assert check_narrative(narrative, sheet, index_for(sheet)) == []  # no theme named: any local record
    issues = check_narrative(narrative, sheet, index_for(sheet), theme_keywords={"t_traffic": ["speeder"]})
    assert kinds(issues) == ["foreign_citation"]


def test_empty_narrative_and_sentence() -> None:
    sheet = make_sheet()
    assert kinds(check_narrative(Narrative(sentences=[]), sheet, {})) == ["empty"]
    blank = Narrative(sentences=[NarrativeSentence(text="  ", citations=["r_t1"])])
    assert kinds(check_narrative(blank, sheet, index_for(sheet))) == ["empty"]


def test_city_wide_names_of_districts_are_not_numbers() -> None:
    sheet = make_sheet(district="City-wide").model_copy(
        update={"leading_theme_by_district": {"District 9": "t_traffic", "District 2": "t_noise"}}
    )
    assert check("In District 9, traffic led with 40 records.", "r_t1", sheet=sheet) == []
    assert kinds(check("In District 8, traffic led with 40 records.", "r_t1", sheet=sheet)) == ["unknown_number"]


def test_cited_themes() -> None:
    sheet = make_sheet()
    sentence = NarrativeSentence(text="Traffic and noise led.", citations=["r_n1", "r_t1", "r_zz"])
    found = [(c.record_id, c.theme_id) for c in cited_themes(sentence, sheet, index_for(sheet))]
    assert found == [("r_n1", "t_noise"), ("r_t1", "t_traffic"), ("r_zz", None)]
