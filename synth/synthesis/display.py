"""The display form of every number of a fact sheet, and the numbers a narrative of it may state.

`display_forms` gives the one display string of each number, formatted by synth/readout.py (counts as
integers, shares as whole percentages ``"42%"`` rounded half up from the exact mentions / records, net
sentiment with 2 decimals and a sign); `display_numbers` is every number string a narrative may contain.
Narratives, tables and the grounding check all use them. A change is shown in percentage points as the
difference of the two displayed percentages (`readout.change_points`, so "from 30% to 42%, up 12 points"
always adds up, and the summary table says "+12 pts"). A previous share is displayed from its stored
4-decimal value (the sheet does not carry the previous period's record count). P-values are not display
numbers: a narrative says "a significant rise", not the p-value.

`sheet_numbers` is the same set in the grounding check's canonical form: counts "40", percents "42%",
changes "12 points" (unsigned), decimals unsigned ("0.35").
"""

from __future__ import annotations

from collections.abc import Mapping

from synth import readout
from synth.period import Period
from synth.synthesis.models import FactSheet, ThemeChange, ThemeFacts


def theme_points(mentions: int, records: int, change: ThemeChange | None) -> int | None:
    """A theme's change since the previous period in whole points, as the narrative, the prompt, the
    grounding check and the summary table all state it (None without a previous period): its displayed
    share now (mentions / records) minus its displayed previous share."""
    if change is None:
        return None
    return readout.change_points(readout.ratio(mentions, records), change.previous_share)


def change_verdict(change: ThemeChange) -> str:
    """What the significance test says about a change, in words every view uses after the points:
    "a significant rise", "a significant fall", "within normal variation", or "too few records to test"
    (when the samples were below the test's minimum sizes)."""
    if change.significant:
        return "a significant rise" if change.direction == "up" else "a significant fall"
    return "too few records to test" if change.p_value is None else "within normal variation"


def change_phrase(mentions: int, records: int, change: ThemeChange | None) -> str | None:
    """ "up 9 points, within normal variation": a theme's change and its significance as the theme lines
    state it (the narrative says the same, with the previous share in between); None without a previous
    period."""
    points = theme_points(mentions, records, change)
    if points is None or change is None:
        return None
    return f"{readout.change_words(points)}, {change_verdict(change)}"


def display_forms(sheet: FactSheet) -> dict[str, str]:
    """The display string of each number in a sheet, by name: ``"records"``, ``"records_by_kind.comment"``,
    ``"themes.<id>.share"`` (``"42%"``), ``"themes.<id>.previous_share"``, ``"themes.<id>.delta_points"``
    (difference of the displayed percentages, signed), ``"themes.<id>.net_sentiment"`` (``"+0.35"``) ..."""
    count = readout.count
    forms: dict[str, str] = {"period": sheet.period, "records": count(sheet.records),
                             "meetings": count(sheet.meetings),
                             "residents_reached": count(sheet.residents_reached),
                             "themes_raised": count(sum(1 for t in sheet.themes if t.mentions)),
                             "highlights": count(len(sheet.highlights))}
    if sheet.period_start is not None and sheet.period_end is not None:
        forms |= {"period_start": sheet.period_start.isoformat(), "period_end": sheet.period_end.isoformat()}
    if sheet.previous_period:
        forms["previous_period"] = sheet.previous_period
    forms |= {f"records_by_kind.{k}": count(v) for k, v in sheet.records_by_kind.items()}
    forms |= {f"sentiment.{k}": count(v) for k, v in sheet.sentiment.items()}
    for t in sheet.themes:
        p = f"themes.{t.id}."
        forms |= {p + "mentions": count(t.mentions), p + "share": readout.percent(t.mentions, sheet.records),
                  p + "net_sentiment": readout.signed(t.net_sentiment)}
        forms |= {f"{p}sentiment.{k}": count(v) for k, v in t.sentiment.items()}
        if t.dominance_share is not None:
            forms[p + "dominance_share"] = readout.share(t.dominance_share)
        if (points := theme_points(t.mentions, sheet.records, t.change)) is not None and t.change is not None:
            forms |= {p + "previous_mentions": count(t.change.previous_mentions),
                      p + "previous_share": readout.share(t.change.previous_share),
                      p + "delta_points": readout.signed_points(points)}
    return forms


def display_numbers(sheet: FactSheet) -> set[str]:
    """Every number string a narrative about ``sheet`` may legitimately contain: the display forms, counts
    also with thousands separators, signed numbers also without their sign, the months of the period and
    their years."""
    out: set[str] = set()
    for value in display_forms(sheet).values():
        out.add(value)
        if value.isdigit():
            out.add(f"{int(value):,}")
        if value[:1] in "+-" and len(value) > 1:
            out.add(value[1:])
    span = Period.parse(sheet.period)
    months = [] if span.is_all else span.months()
    if sheet.previous_period:
        months += Period.parse(sheet.previous_period).months()
    out.update(months)
    out.update(m[:4] for m in months)
    return out


# --- the grounding check's canonical form -----------------------------------------------------------------

_DATE_FORMS = {"period", "period_start", "period_end", "previous_period"}  # checked as dates, not numbers


def canonical_number(name: str, display: str) -> str | None:
    """The canonical form of display form `display` of number `name` (a `display_forms` key):
    counts "40", percents "42%", changes "12 points" (unsigned), decimals unsigned ("+0.35" -> "0.35");
    None for the period's dates."""
    if name in _DATE_FORMS:
        return None
    if name.endswith("delta_points"):
        return readout.points(int(display))
    return display.lstrip("+-")


def theme_forms(forms: Mapping[str, str], theme_id: str) -> dict[str, str]:
    """One theme's display forms by short name: "mentions", "share", "delta_points", "sentiment.positive"."""
    prefix = f"themes.{theme_id}."
    return {k[len(prefix) :]: v for k, v in forms.items() if k.startswith(prefix)}


def sheet_themes(sheet: FactSheet) -> dict[str, ThemeFacts]:
    """The sheet's themes and praised themes by id, each once."""
    themes: dict[str, ThemeFacts] = {}
    for theme in [*sheet.themes, *sheet.highlights]:
        themes.setdefault(theme.id, theme)
    return themes


def numbers_by_owner(sheet: FactSheet) -> tuple[set[str], dict[str, set[str]]]:
    """(numbers about the sheet as a whole, numbers about each theme), in canonical form."""
    forms = display_forms(sheet)
    per_theme: dict[str, set[str]] = {}
    claimed: set[str] = set()
    for tid in sheet_themes(sheet):
        own = theme_forms(forms, tid)
        claimed |= {f"themes.{tid}.{k}" for k in own}
        per_theme[tid] = {c for k, v in own.items() if (c := canonical_number(k, v)) is not None}
    sheet_level = {c for k, v in forms.items() if k not in claimed and (c := canonical_number(k, v)) is not None}
    return sheet_level, per_theme


def sheet_numbers(sheet: FactSheet) -> set[str]:
    """Every number a narrative of this sheet may state, canonical: "40", "42%", "12 points", "0.35"."""
    sheet_level, per_theme = numbers_by_owner(sheet)
    return sheet_level.union(*per_theme.values())
