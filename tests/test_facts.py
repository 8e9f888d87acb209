"""District facts: each definition checked exactly on small hand-made rows, plus properties on random rows."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter

import pytest

from synth.period import Period, month_of
from synth.readout import percent
from synth.synthesis.display import display_forms, display_numbers
from synth.synthesis.facts import (
    CITY_WIDE,
    NO_DISTRICT,
    FactConfig,
    FactRow,
    build_city_sheet,
    build_fact_sheet,
    periods_in,
)
from synth.synthesis.models import (
    OTHER_THEME,
    Annotation,
    Concern,
    FactSheet,
    SentimentLabel,
    SentimentScore,
    Theme,
    ThemeFacts,
)
from synth.synthesis.significance import two_proportion_p_value

THEMES = {t.id: t for t in [Theme(id="t_light", label="Street lighting"),
                            Theme(id="t_speed", label="Speeding"), Theme(id="t_park", label="Parks"),
                            Theme(id="t_bike", label="Bike patrol")]}
SEPT = dt.date(2026, 9, 10)
AUG = dt.date(2026, 8, 10)
SCORES: dict[SentimentLabel, float] = {"positive": 0.6, "neutral": 0.0, "negative": -0.6}


def c(theme: str, label: SentimentLabel = "negative", score: float | None = None, text: str | None = None,
      ) -> tuple[str, SentimentLabel, float, str]:
    """A concern spec: theme, label, score (default by label), text (default: about the theme)."""
    return (theme, label, SCORES[label] if score is None else score,
            text if text is not None else f"Residents talked at length about {theme} on their block.")


def row(rid: str, *concerns: tuple[str, SentimentLabel, float, str], district: str | None = "D1",
        date: dt.date | None = SEPT, kind: str = "comment", meeting: str | None = None,
        note_taker: str | None = None, attendees: int | None = None,
        overall: SentimentLabel = "negative") -> FactRow:
    ann = Annotation(record_id=rid, annotator="test:v1",
                     sentiment=SentimentScore(label=overall, score=SCORES[overall]),
                     concerns=[Concern(index=i, text=text, theme_id=theme,
                                       sentiment=SentimentScore(label=label, score=score))
                               for i, (theme, label, score, text) in enumerate(concerns)])
    return FactRow(record_id=rid, district=district, date=date, kind=kind, meeting_id=meeting,
                   note_taker=note_taker, attendee_count=attendees,
                   text="Whole record text: " + " ".join(t for *_, t in concerns), annotation=ann)


def period_rows(prefix: str, date: dt.date, n: int, counts: dict[str, int], district: str = "D1",
                ) -> list[FactRow]:
    """n records; record i raises every theme whose count exceeds i (others raise only OTHER)."""
    out = []
    for i in range(n):
        concerns = [c(t) for t, k in sorted(counts.items()) if i < k] or [c(OTHER_THEME)]
        out.append(row(f"{prefix}{i:03d}", *concerns, district=district, date=date))
    return out


def by_id(sheet: FactSheet) -> dict[str, ThemeFacts]:
    return {t.id: t for t in sheet.themes}


def sheet(rows: list[FactRow], period: str = "2026-09", district: str | None = "D1",
          config: FactConfig | None = None, **kw: object) -> FactSheet:
    return build_fact_sheet(rows, THEMES, district=district, period=period, config=config or FactConfig(),
                            **kw)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------ periods


def test_months_and_periods() -> None:
    assert month_of(dt.date(2026, 9, 30)) == "2026-09"
    assert Period.parse("2026-01").previous().key == "2025-12"
    assert Period.parse("2026-10").previous().key == "2026-09"
    assert Period.parse("2026-01").previous() == Period.parse("2025-12")
    assert Period.parse("2026-02..2026-04").previous().key == "2025-11..2026-01"
    span = Period.parse("2028-02")
    assert (span.start, span.end) == (dt.date(2028, 2, 1), dt.date(2028, 2, 29))
    span = Period.parse("2025-11..2026-01")
    assert (span.start, span.end) == (dt.date(2025, 11, 1), dt.date(2026, 1, 31))
    for bad in ("2026-13", "2026-9", "2026-09..2026-08", "2026-09..", "Sept"):
        with pytest.raises(ValueError):
            Period.parse(bad).previous()
    rows = [row("a", date=dt.date(2026, 9, 1)), row("b", date=dt.date(2025, 12, 31)), row("c", date=None),
            row("d", date=dt.date(2026, 9, 30))]
    assert periods_in(rows) == ["2025-12", "2026-09"]


def test_period_range_covers_its_months_and_compares_with_the_same_length_before() -> None:
    rows = [row("jun", c("t_light"), date=dt.date(2026, 6, 30)),
            row("jul", c("t_light"), date=dt.date(2026, 7, 1)),
            row("aug", c("t_light"), date=dt.date(2026, 8, 1)),
            row("sep", c("t_speed"), date=dt.date(2026, 9, 30)),
            row("oct", c("t_speed"), date=dt.date(2026, 10, 1)),
            row("none", c("t_speed"), date=None)]
    s = sheet(rows, period="2026-08..2026-09")
    assert (s.period, s.previous_period) == ("2026-08..2026-09", "2026-06..2026-07")
    assert (s.period_start, s.period_end) == (dt.date(2026, 8, 1), dt.date(2026, 9, 30))
    assert s.records == 2
    assert {t.id: t.mentions for t in s.themes} == {"t_light": 1, "t_speed": 1}
    assert by_id(s)["t_light"].change.previous_mentions == 2  # type: ignore[union-attr]
    assert sheet(rows, period="2026-09..2026-09").period == "2026-09"


# ------------------------------------------------------------------------------------------------- counts


def test_records_meetings_and_residents_reached() -> None:
    rows = [
        row("n1", c("t_light"), kind="meeting_note", meeting="m1", attendees=12, note_taker="nt_a"),
        # a second note of the same meeting: the meeting counts once, at its largest attendee count
        row("n2", c("t_light"), kind="meeting_note", meeting="m1", attendees=15, note_taker="nt_b"),
        row("n3", c("t_speed"), kind="meeting_note", meeting="m2", attendees=8),
        row("n4", c("t_speed"), kind="meeting_note", meeting="m3", attendees=None),
        row("w1", c("t_park", "positive"), kind="comment", overall="positive"),
        row("e1", c(OTHER_THEME), kind="email", overall="neutral"),
        # meeting "m1" of another district is another meeting
        row("x1", c("t_light"), district="D2", kind="meeting_note", meeting="m1", attendees=40),
        row("x2", c("t_light"), kind="meeting_note", meeting="m9", attendees=99, date=AUG),  # other month
        row("x3", c("t_light"), kind="comment", date=None),  # no date: in no period
    ]
    s = sheet(rows)
    assert s.district == "D1"
    assert s.records == 6
    assert s.meetings == 3
    assert s.residents_reached == 15 + 8 + 0
    assert s.records_by_kind == {"comment": 1, "email": 1, "meeting_note": 4}
    assert list(s.records_by_kind) == sorted(s.records_by_kind)
    assert s.sentiment == {"positive": 1, "neutral": 1, "negative": 4}
    city = build_city_sheet(rows, THEMES, period="2026-09")
    assert city.district == CITY_WIDE
    assert (city.records, city.meetings, city.residents_reached) == (7, 4, 15 + 8 + 40)  # m1 of D2 is its own


def test_mentions_share_and_theme_sentiment() -> None:
    rows = [
        # two concerns of one theme: one mention, one record's sentiment (its strongest concern's, negative)
        row("r1", c("t_light", "negative", -0.5), c("t_light", "positive", 0.3), c(OTHER_THEME)),
        row("r2", c("t_light", "neutral", 0.1), c("t_speed", "negative", -0.9)),
        row("r3", c(OTHER_THEME, "positive")),
    ]
    s = sheet(rows)
    assert [t.id for t in s.themes] == ["t_light", "t_speed"]
    light, speed = s.themes
    assert (light.mentions, light.share) == (2, 0.6667)
    assert light.sentiment == {"positive": 0, "neutral": 1, "negative": 1}  # records, adding up to mentions
    assert sum(light.sentiment.values()) == light.mentions
    assert light.net_sentiment == round(((-0.5 + 0.3) / 2 + 0.1) / 2, 4) == 0.0  # mean of the records' means
    assert (speed.mentions, speed.share, speed.net_sentiment) == (1, 0.3333, -0.9)
    assert OTHER_THEME not in {t.id for t in s.themes}
    assert all(t.change is None for t in s.themes) and s.previous_period is None  # first period
    with_other = {**THEMES, OTHER_THEME: Theme(id=OTHER_THEME, label="Other")}
    assert build_fact_sheet(rows, with_other, district="D1", period="2026-09") == s  # never a theme


def test_shares_round_half_up_from_the_exact_fraction() -> None:
    rows = period_rows("r", SEPT, 32, {"t_light": 1, "t_speed": 5})
    s = sheet(rows)
    assert by_id(s)["t_light"].share == 0.0313  # 1/32 = 0.03125 (Python's round() would give 0.0312)
    assert by_id(s)["t_speed"].share == 0.1563  # 5/32 = 0.15625
    assert sheet([]).records == 0 and sheet([]).themes == []
    assert percent(1, 8) == "13%" and percent(5, 8) == "63%" and percent(0, 0) == "0%"


def test_themes_sorted_by_mentions_then_label() -> None:
    rows = period_rows("r", SEPT, 6, {"t_speed": 2, "t_park": 2, "t_light": 5, "t_bike": 1})
    assert [t.id for t in sheet(rows).themes] == ["t_light", "t_park", "t_speed", "t_bike"]


# ------------------------------------------------------------------------------------------------- change


def test_z_test_matches_a_hand_calculation() -> None:
    rows = period_rows("a", AUG, 40, {"t_light": 5}) + period_rows("s", SEPT, 40, {"t_light": 15})
    change = by_id(sheet(rows))["t_light"].change
    assert change is not None
    p1, p0, pooled = 15 / 40, 5 / 40, 20 / 80
    z = (p1 - p0) / math.sqrt(pooled * (1 - pooled) * (1 / 40 + 1 / 40))
    assert change.p_value == pytest.approx(math.erfc(abs(z) / math.sqrt(2)), rel=1e-9)
    assert change.p_value == pytest.approx(0.00982, abs=1e-5)
    assert (change.previous_mentions, change.previous_share, change.delta_share) == (5, 0.125, 0.25)
    assert change.significant and change.direction == "up"


def test_fisher_exact_for_small_counts_matches_a_hand_calculation() -> None:
    # 6 of 20 vs 0 of 20: expected mentions 3 < 5, so Fisher's exact test. Two-sided: tables at least as
    # unlikely as the observed one are k=6 and k=0 (symmetric margins).
    p_hand = 2 * math.comb(20, 6) / math.comb(40, 6)
    assert two_proportion_p_value(6, 20, 0, 20) == pytest.approx(p_hand, rel=1e-9)
    rows = period_rows("a", AUG, 20, {}) + period_rows("s", SEPT, 20, {"t_light": 6})
    assert by_id(sheet(rows))["t_light"].change.p_value == pytest.approx(p_hand, rel=1e-9)  # type: ignore
    assert two_proportion_p_value(5, 40, 5, 40) == pytest.approx(1.0)


def test_test_needs_min_records_in_both_periods_and_min_mentions_in_one() -> None:
    few_before = period_rows("a", AUG, 9, {"t_light": 0, "t_speed": 1}) + period_rows(
        "s", SEPT, 40, {"t_light": 30, "t_speed": 2})
    light = by_id(sheet(few_before))["t_light"]
    assert light.change is not None and light.change.p_value is None
    assert not light.change.significant and light.change.direction == "flat"
    assert light.change.delta_share == 0.75
    assert light.status == "new"  # 0 before, >= min_mentions now: the test is not needed for "new"
    few_mentions = period_rows("a", AUG, 40, {"t_light": 0}) + period_rows("s", SEPT, 40, {"t_light": 4})
    change = by_id(sheet(few_mentions))["t_light"].change
    assert change is not None and change.p_value is None and change.direction == "flat"
    assert by_id(sheet(few_mentions))["t_light"].status == "steady"
    lenient = FactConfig(min_records=9, min_mentions=4)
    assert by_id(sheet(few_before, config=lenient))["t_light"].change.p_value is not None  # type: ignore


def test_statuses_new_emerging_fading_steady_and_fading_to_zero() -> None:
    before = {"t_light": 5, "t_speed": 15, "t_bike": 10, "t_park": 0}
    now = {"t_light": 15, "t_speed": 5, "t_bike": 10, "t_park": 6}
    rows = period_rows("a", AUG, 40, before) + period_rows("s", SEPT, 40, now)
    s = sheet(rows)
    assert s.previous_period == "2026-08"
    status = {t.id: t.status for t in s.themes}
    assert status == {"t_light": "emerging", "t_speed": "fading", "t_bike": "steady", "t_park": "new"}
    assert by_id(s)["t_speed"].change.direction == "down"  # type: ignore[union-attr]
    assert by_id(s)["t_bike"].change.p_value == pytest.approx(1.0)  # type: ignore[union-attr]

    gone = period_rows("a", AUG, 30, {"t_speed": 10, "t_bike": 2}) + period_rows(
        "s", SEPT, 30, {"t_light": 3})
    s = sheet(gone)
    speed = by_id(s)["t_speed"]
    assert (speed.mentions, speed.share, speed.status, speed.quotes) == (0, 0.0, "fading", [])
    assert speed.change is not None and speed.change.previous_mentions == 10 and speed.change.significant
    assert "t_bike" not in by_id(s)  # gone too, but not significantly: not listed
    assert [t.id for t in s.themes] == ["t_light", "t_speed"]


def test_no_records_before_means_first_period() -> None:
    rows = period_rows("s", SEPT, 30, {"t_light": 10}) + period_rows(
        "x", AUG, 30, {"t_light": 1}, district="D2")  # another district's past is not this district's
    s = sheet(rows)
    assert s.previous_period is None
    assert by_id(s)["t_light"].change is None and by_id(s)["t_light"].status == "steady"


# --------------------------------------------------------------------------------- highlights and dominance


def test_praise_is_a_theme_whose_records_are_mostly_positive() -> None:
    rows = [row(f"p{i}", c("t_park", "positive", 0.5)) for i in range(3)]
    rows += [row(f"q{i}", c("t_park", "neutral", 0.0)) for i in range(2)]  # park: 3 of 5 positive
    rows += [row(f"b{i}", c("t_bike", "positive" if i % 2 else "negative", 0.5 if i % 2 else -0.5))
             for i in range(6)]  # bike: 3 of 6, exactly half: not praise
    rows += [row(f"l{i}", c("t_light", "positive", 0.9)) for i in range(2)]  # light: all, but only 2 records
    # speed: 4 positive records, one of them with a weaker negative concern too; 1 negative record
    rows += [row(f"s{i}", c("t_speed", "positive", 0.6), *([c("t_speed", "negative", -0.2)] if i == 0 else []))
             for i in range(4)]
    rows += [row("s9", c("t_speed", "negative", -0.8))]
    s = by_id(sheet(rows))
    assert {t: f.tone for t, f in s.items()} == {"t_park": "praise", "t_bike": "worry", "t_light": "worry",
                                                  "t_speed": "praise"}
    assert s["t_speed"].sentiment == {"positive": 4, "neutral": 0, "negative": 1}
    full = sheet(rows)
    assert [t.id for t in full.highlights] == ["t_park", "t_speed"]  # in the order of themes
    assert full.highlights == [t for t in full.themes if t.tone == "praise"]


def test_dominance_by_meeting_then_by_note_taker() -> None:
    rows = [row(f"m{i}", c("t_light"), meeting="mtg1", note_taker=f"nt_{i}") for i in range(4)]
    rows += [row("m4", c("t_light"), meeting="mtg2", note_taker="nt_x")]
    # t_speed: five meetings, four notes by one note-taker
    rows += [row(f"n{i}", c("t_speed"), meeting=f"sp{i}", note_taker="nt_a") for i in range(4)]
    rows += [row("n4", c("t_speed"), meeting="sp4", note_taker="nt_b")]
    # t_park: 3 of 5 from one meeting is exactly 0.6, not more
    rows += [row(f"k{i}", c("t_park"), meeting="pk" if i < 3 else None) for i in range(5)]
    # t_bike: all from one meeting, but only 4 mentions
    rows += [row(f"b{i}", c("t_bike"), meeting="bk", note_taker="nt_b") for i in range(4)]
    s = by_id(sheet(rows))
    assert (s["t_light"].dominated_by, s["t_light"].dominance_share) == ("meeting", 0.8)
    assert (s["t_speed"].dominated_by, s["t_speed"].dominance_share) == ("note_taker", 0.8)
    assert (s["t_park"].dominated_by, s["t_park"].dominance_share) == (None, None)
    assert (s["t_bike"].dominated_by, s["t_bike"].dominance_share) == (None, None)
    # a record with two concerns of the theme counts once toward dominance, too
    twice = [row(f"t{i}", c("t_light"), c("t_light"), meeting="big") for i in range(3)]
    twice += [row(f"u{i}", c("t_light"), meeting=f"o{i}") for i in range(2)]
    assert (by_id(sheet(twice))["t_light"].dominated_by, by_id(sheet(twice))["t_light"].dominance_share) == (
        None, None)


# -------------------------------------------------------------------------------------------------- quotes

R1 = "The streetlights on the corner are out again."
R2 = "Lights out near the park, it is very dark."
LONG = "It is dark everywhere " * 15  # 330 chars: too long to quote
R6 = "It is dark everywhere on Birch Street after nine at night, and people trip."


def quote_rows() -> list[FactRow]:
    return [
        row("r1", c("t_light", text=R1), c("t_speed", text="Cars race down the hill every night."),
            meeting="m1"),
        row("r2", c("t_light", text=R2), meeting="m1"),
        row("r3", c("t_light", text="Dark."), kind="comment"),
        row("r4", c("t_light", "positive", text="Thanks for fixing the lights by the school."),
            kind="comment"),
        row("r5", c("t_light", text="  the streetlights on the corner are OUT   again. "), kind="comment"),
        row("r6", c("t_light", text=R6), meeting="m2"),
        row("r7", c("t_light", text=LONG), meeting="m3"),
    ]


def test_quotes_are_concern_texts_distinct_and_chosen_by_a_stable_rule() -> None:
    light = by_id(sheet(quote_rows()))["t_light"]
    # only quotable statements ("Dark." is too short, LONG too long); majority negative first, shorter first:
    # R2 (m1), then R1 is skipped (m1 quoted), r5 (a different record; its text differs from R2's), R6
    assert [(q.record_id, q.text) for q in light.quotes] == [
        ("r2", R2), ("r5", "the streetlights on the corner are OUT   again."), ("r6", R6)]
    four = by_id(sheet(quote_rows(), config=FactConfig(quotes_per_theme=6)))["t_light"]
    assert [q.record_id for q in four.quotes] == ["r2", "r5", "r6", "r4"]  # r1: same text as r5
    speed = by_id(sheet(quote_rows()))["t_speed"]
    assert [q.text for q in speed.quotes] == ["Cars race down the hill every night."]  # not the whole record


def test_quotes_fill_from_a_quoted_meeting_only_when_nothing_else_is_left() -> None:
    rows = [row(f"r{i}", c("t_light", text=f"Meeting note {i}: the alley behind the shops is dark."), meeting="m1")
            for i in range(4)]
    rows.append(row("z", c("t_light", text="A web comment says the alley by the bus stop is dark."),
                    kind="comment"))
    quotes = by_id(sheet(rows))["t_light"].quotes
    assert [q.record_id for q in quotes] == ["r0", "z", "r1"]


def test_a_record_flagged_as_addressing_a_model_is_never_quoted() -> None:
    rows = quote_rows()
    r2 = rows[1]
    rows[1] = FactRow(**{**r2.__dict__, "annotation": r2.annotation.model_copy(update={"flagged": True})})
    light = by_id(sheet(rows))["t_light"]
    assert "r2" not in [q.record_id for q in light.quotes]
    assert light.mentions == 7  # still counted, only not quoted
    assert [q.record_id for q in light.quotes] == ["r1", "r6", "r4"]


def test_quote_scores_rank_first() -> None:
    scores = {("r1", 0): 0.9, ("r4", 0): 0.8, ("r6", 0): -1.0}
    light = by_id(sheet(quote_rows(), scores=scores))["t_light"]
    # the theme's majority is negative, so r4's praise (score 0.8) waits behind every negative candidate: r1 by
    # score, r6 scored (-1.0) before unscored ones; r5's text is r1's; then r2, although r1 holds its meeting
    assert [q.record_id for q in light.quotes] == ["r1", "r6", "r2"]
    with pytest.raises(ValueError):
        sheet(quote_rows(), scores={("r1", 0): math.nan})


# ---------------------------------------------------------------------------------- determinism and city


def random_rows(seed: int, n: int = 400) -> list[FactRow]:
    rnd = random.Random(seed)
    theme_ids = [*sorted(THEMES), OTHER_THEME]
    labels: list[SentimentLabel] = ["positive", "neutral", "negative"]
    rows = []
    for i in range(n):
        concerns = []
        for _ in range(rnd.randint(0, 4)):
            label = rnd.choice(labels)
            text = rnd.choice(["Too dark on Elm.", "Speeders near the school every morning, please act.",
                               "The park is lovely now that the patrols come by.", "x" * 250])
            concerns.append(c(rnd.choice(theme_ids), label, round(rnd.uniform(-1, 1), 3), text))
        month = rnd.choice([7, 8, 9])
        rows.append(row(
            f"r{i:04d}", *concerns, district=rnd.choice(["D1", "D2", "D3", None]),
            date=None if rnd.random() < 0.05 else dt.date(2026, month, rnd.randint(1, 28)),
            kind=rnd.choice(["meeting_note", "comment", "email"]),
            meeting=rnd.choice([None, f"m{rnd.randint(1, 8)}"]),
            note_taker=rnd.choice([None, "nt_a", "nt_b"]),
            attendees=rnd.choice([None, rnd.randint(0, 30)]), overall=rnd.choice(labels)))
    return rows


SMALL = FactConfig(min_records=5, min_mentions=2)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_same_sheet_in_any_row_order(seed: int) -> None:
    rows = random_rows(seed)
    for period in ("2026-09", "2026-08..2026-09"):
        expected = [build_fact_sheet(rows, THEMES, district=d, period=period, config=SMALL).model_dump_json()
                    for d in ("D1", "D2", None)]
        expected.append(build_city_sheet(rows, THEMES, period=period, config=SMALL).model_dump_json())
        for k in range(3):
            shuffled = rows[:]
            random.Random(k).shuffle(shuffled)
            got = [build_fact_sheet(shuffled, THEMES, district=d, period=period,
                                    config=SMALL).model_dump_json() for d in ("D1", "D2", None)]
            got.append(build_city_sheet(shuffled, THEMES, period=period, config=SMALL).model_dump_json())
            assert got == expected


@pytest.mark.parametrize("seed", range(8))
def test_districts_add_up_to_the_city(seed: int) -> None:
    rows = random_rows(seed)
    for period in ("2026-09", "2026-07..2026-09"):
        city = build_city_sheet(rows, THEMES, period=period, config=SMALL)
        parts = [build_fact_sheet(rows, THEMES, district=d, period=period, config=SMALL)
                 for d in ("D1", "D2", "D3", None)]
        for t in THEMES:
            city_t = by_id(city).get(t)
            assert sum(by_id(p)[t].mentions for p in parts if t in by_id(p)) == (
                city_t.mentions if city_t else 0)
            for label in ("positive", "neutral", "negative"):
                assert sum(by_id(p)[t].sentiment[label] for p in parts if t in by_id(p)) == (
                    city_t.sentiment[label] if city_t else 0)
        assert sum(p.records for p in parts) == city.records
        assert sum(p.meetings for p in parts) == city.meetings
        assert sum(p.residents_reached for p in parts) == city.residents_reached
        assert sum((Counter(p.records_by_kind) for p in parts), Counter()) == Counter(city.records_by_kind)
        # the leading theme of a district is its first theme with mentions
        for p in parts[:3]:
            first = next((t.id for t in p.themes if t.mentions), None)
            assert city.leading_theme_by_district.get(p.district) == first


def test_city_sheet_leading_theme_ties_by_label() -> None:
    rows = [row("a1", c("t_light"), district="D1"), row("a2", c("t_speed"), district="D1"),  # tie: label
            row("b1", c("t_speed"), district="D2"), row("b2", c("t_speed"), district="D2"),
            row("b3", c("t_light"), c("t_light"), district="D2"),
            row("c1", c(OTHER_THEME), district="D3"),  # no theme: no leading theme
            row("n1", c("t_park"), district=None), row("n2", c("t_park"), district=None),
            row("o1", c("t_park"), district="D1", date=AUG)]
    city = build_city_sheet(rows, THEMES, period="2026-09")
    assert city.leading_theme_by_district == {"D1": "t_speed", "D2": "t_speed"}
    assert list(city.leading_theme_by_district) == ["D1", "D2"]
    assert {t.id: t.mentions for t in city.themes} == {"t_speed": 3, "t_light": 2, "t_park": 2}
    unassigned = build_fact_sheet(rows, THEMES, district=None, period="2026-09")
    assert unassigned.district == NO_DISTRICT and unassigned.records == 2
    assert sheet(rows).leading_theme_by_district == {}


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown themes"):
        sheet([row("a", c("t_nope"))])
    with pytest.raises(ValueError, match="twice"):
        sheet([row("a", c("t_light")), row("a", c("t_speed"))])
    with pytest.raises(ValueError):
        build_fact_sheet([], {"t_x": Theme(id="t_y", label="Y")}, district="D1", period="2026-09")


# ------------------------------------------------------------------------------------------------- display


def test_display_numbers_agree_with_the_sheet() -> None:
    rows = period_rows("a", AUG, 40, {"t_light": 5, "t_speed": 15}) + period_rows(
        "s", SEPT, 40, {"t_light": 17, "t_speed": 5})
    rows.append(row("mt", c(OTHER_THEME), kind="meeting_note", meeting="m1", attendees=1234))
    s = sheet(rows)
    forms = display_forms(s)
    assert forms["records"] == "41" and forms["residents_reached"] == "1234"
    assert forms["themes.t_light.share"] == "41%"  # 17/41 = 41.46%
    assert forms["themes.t_light.previous_share"] == "13%"  # 5/40 = 12.5% -> 13%
    assert forms["themes.t_light.delta_points"] == "+28"  # 41 - 13: the displayed numbers add up
    assert forms["themes.t_speed.delta_points"] == "-26"  # 12% - 38%
    nums = display_numbers(s)
    assert {"41", "1234", "1,234", "41%", "13%", "+28", "28", "-26", "26", "17", "5", "2026-09", "2026-08",
            "2026", "-0.60", "0.60"} <= nums
    assert "42%" not in nums
