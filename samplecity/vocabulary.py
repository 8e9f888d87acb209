"""The generator's phrase tables and geography, read from the YAML files under samplecity/data/.

Everything here is data: the themes with their phrase banks (themes.yaml, frames.yaml), the districts
(districts.yaml), the prose around concerns and the note-taker styles' wording (prose.yaml) and the planted
personal data (personal_data.yaml). The generator draws from these tuples by position, so their order is part
of the output: same files, same seed -> same city. Entries may hold ``[a|b]`` alternatives (samplecity/grammar.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

import yaml

from synth.models import Sentiment

NEG, POS, NEU, MIX = Sentiment.negative, Sentiment.positive, Sentiment.neutral, Sentiment.mixed
SENTIMENT_ORDER = (NEG, POS, NEU, MIX)
RECORD_SENTIMENTS = (POS, NEU, NEG)


def load_data(name: str) -> Any:
    """A YAML file shipped in samplecity/data/."""
    return yaml.safe_load(resources.files("samplecity").joinpath(f"data/{name}").read_text("utf-8"))


def data_text(name: str) -> str:
    """A file shipped in samplecity/data/, verbatim."""
    return resources.files("samplecity").joinpath(f"data/{name}").read_text("utf-8")


def _strings(values: list[str]) -> tuple[str, ...]:
    return tuple(values)


def _by_sentiment(table: Mapping[str, list[str]]) -> dict[Sentiment, tuple[str, ...]]:
    return {Sentiment(label): _strings(values) for label, values in table.items()}


# ---------------------------------------------------------------------------------------------------------
# Themes and their phrase banks.
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Theme:
    id: str
    label: str
    description: str
    weight: float  # city-wide base weight when drawing themes
    mix: tuple[float, float, float, float]  # P(negative, positive, neutral, mixed) for one concern
    form_labels: tuple[str, ...]  # how a note-taker writes it in "Top concerns"
    lead_ins: tuple[str, ...]  # note-only topic sentences
    clauses: Mapping[Sentiment, tuple[str, ...]]  # fixed sentences; the first few are the truth's examples
    frames: Mapping[Sentiment, tuple[str, ...]]  # sentence frames with [a|b] alternatives (grammar.py)

    def phrasings(self, sentiment: Sentiment) -> tuple[str, ...]:
        """Every bank entry that says this theme with this sentiment."""
        return self.clauses[sentiment] + self.frames.get(sentiment, ())


_FRAMES: dict[str, Any] = load_data("frames.yaml")


def _theme(row: dict[str, Any]) -> Theme:
    mix = row["mix"]
    return Theme(
        id=row["id"], label=row["label"], description=row["description"], weight=float(row["weight"]),
        mix=(mix[NEG.value], mix[POS.value], mix[NEU.value], mix[MIX.value]),
        form_labels=_strings(row["form_labels"]), lead_ins=_strings(row["lead_ins"]),
        clauses=_by_sentiment(row["clauses"]), frames=_by_sentiment(_FRAMES.get(row["id"], {})))


THEMES: tuple[Theme, ...] = tuple(_theme(row) for row in load_data("themes.yaml")["themes"])
THEME_BY_ID: dict[str, Theme] = {t.id: t for t in THEMES}
THEME_IDS: tuple[str, ...] = tuple(t.id for t in THEMES)

# ---------------------------------------------------------------------------------------------------------
# Geography.
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DistrictGeo:
    name: str
    streets: tuple[str, ...]
    places: tuple[str, ...]
    parks: tuple[str, ...]
    centers: tuple[str, ...]
    venues: tuple[str, ...]
    note_takers: tuple[str, ...]


_DISTRICT_ROWS: list[dict[str, Any]] = load_data("districts.yaml")["districts"]
DISTRICTS: tuple[DistrictGeo, ...] = tuple(
    DistrictGeo(row["name"], *(_strings(row[k]) for k in ("streets", "places", "parks", "centers", "venues",
                                                          "note_takers")))
    for row in _DISTRICT_ROWS)
DISTRICT_NAMES: tuple[str, ...] = tuple(d.name for d in DISTRICTS)
DISTRICT_VOLUME: tuple[float, ...] = tuple(float(row["volume"]) for row in _DISTRICT_ROWS)

# ---------------------------------------------------------------------------------------------------------
# Prose around the concerns. None of these sentences raises a theme.
# ---------------------------------------------------------------------------------------------------------

_PROSE: dict[str, Any] = load_data("prose.yaml")
NOTE_INTROS = _strings(_PROSE["note_intros"])
NOTE_ATTRIBUTIONS = _strings(_PROSE["note_attributions"])
NOTE_QUESTION_LEADS = _strings(_PROSE["note_question_leads"])
NOTE_SECOND_ATTRIBUTIONS = _strings(_PROSE["note_second_attributions"])
NOTE_AGREEMENT = _strings(_PROSE["note_agreement"])
NOTE_CHATTER = _strings(_PROSE["note_chatter"])
NOTE_CLOSINGS = _strings(_PROSE["note_closings"])
NOTE_FILLERS = _strings(_PROSE["note_fillers"])
COMMENT_OPENERS = _strings(_PROSE["comment_openers"])
EMAIL_GREETINGS = _strings(_PROSE["email_greetings"])
EMAIL_SIGNOFFS = _strings(_PROSE["email_signoffs"])
COMMENT_TAILS: Mapping[Sentiment, tuple[str, ...]] = _by_sentiment(_PROSE["comment_tails"])
COMMENT_FILLERS = _strings(_PROSE["comment_fillers"])
QUOTED_REMARKS = _strings(_PROSE["quoted_remarks"])
MISSPELLINGS: Mapping[str, str] = dict(_PROSE["misspellings"])  # applied as typos
INJECTIONS = _strings(_PROSE["injections"])
NUMBER_WORDS = _strings(_PROSE["number_words"])
COMMENT_LEADS: Mapping[Sentiment, tuple[str, ...]] = _by_sentiment(_PROSE["comment_leads"])
# Note-taker styles.
REPORTED_LEADS: Mapping[Sentiment, tuple[str, ...]] = _by_sentiment(_PROSE["reported_leads"])
REPORTED_SECOND = _strings(_PROSE["reported_second"])
LONG_INTROS = _strings(_PROSE["long_intros"])
LONG_CONNECTORS = _strings(_PROSE["long_connectors"])
LONG_ELABORATIONS: Mapping[Sentiment, tuple[str, ...]] = _by_sentiment(_PROSE["long_elaborations"])
TERSE_INTROS = _strings(_PROSE["terse_intros"])
TERSE_LEADS = _strings(_PROSE["terse_leads"])
TERSE_QUESTION_LEADS = _strings(_PROSE["terse_question_leads"])
TERSE_SECOND = _strings(_PROSE["terse_second"])
TERSE_AGREEMENT = _strings(_PROSE["terse_agreement"])
ABBREVIATIONS: Mapping[str, str] = dict(_PROSE["abbreviations"])
BULLET_MARKERS = _strings(_PROSE["bullet_markers"])

# ---------------------------------------------------------------------------------------------------------
# Planted personal data.
# ---------------------------------------------------------------------------------------------------------

PiiType = Literal["resident_name", "officer_name", "phone", "email", "address"]
PII_TYPES: tuple[PiiType, ...] = ("resident_name", "officer_name", "phone", "email", "address")
_PII: dict[str, Any] = load_data("personal_data.yaml")
RESIDENT_FIRST = _strings(_PII["resident_first"])
RESIDENT_LAST = _strings(_PII["resident_last"])
OFFICER_FIRST = _strings(_PII["officer_first"])
OFFICER_LAST = _strings(_PII["officer_last"])
AREA_CODES = _strings(_PII["area_codes"])
EMAIL_DOMAINS = _strings(_PII["email_domains"])
PII_NOTE_TEMPLATES: Mapping[str, tuple[str, ...]] = {k: _strings(v) for k, v in _PII["note_templates"].items()}
PII_COMMENT_TEMPLATES: Mapping[str, tuple[str, ...]] = {
    k: _strings(v) for k, v in _PII["comment_templates"].items()}
