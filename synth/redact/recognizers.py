"""Presidio recognizers: phones, e-mail and street addresses for every redactor; the cheap name recognizers
(after a title or cue, next to a cue verb) and repeated mentions for `PresidioRedactor`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from presidio_analyzer import EntityRecognizer, LocalRecognizer, Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.predefined_recognizers import EmailRecognizer

from synth.redact.identifiers import CaselessTrigger, TriggeredRecognizer
from synth.redact.vocabulary import (
    ACRONYMS,
    CHUNK,
    KNOWN_WORDS,
    NAME_LEADS,
    NEXT_WORD,
    PARK_NOUNS,
    PLACE_NOUNS,
    PLURAL_ENDINGS,
    SPEECH_VERBS,
    STREET_SUFFIXES,
    TITLE_ABBREVIATIONS,
    TITLES,
    WORD,
    Lexicon,
    alternation,
    lookup,
    with_capitals,
    word_set,
)

_NOT_A_HOUSE_NUMBER = (  # "District 3 Main St", "Route 9 Oak Ave", "7:30 Main St" hold no address
    r"(?=\d)(?<![\w:./#$-])(?<!(?i:district|ward|precinct|route|rte|highway|hwy|beat|sector|zone|unit|room"
    r"|suite|apt|station|bus|line|no|number|exit|channel|ch)\.?\s+)"
)
_UNIT_WORD = r",?\s+(?i:apt|apartment|unit|suite|ste|#)"
_UNIT = r"(?:\.(?=" + _UNIT_WORD + r"))?(?:" + _UNIT_WORD + r"\.?\s*#?\s*[A-Za-z0-9-]+\b)?"  # a final "." stays
_ADDRESS = (  # 412 Oak Ave, 1200 N. Main Street, 55 Elm St Apt 4, 200 5th Ave
    _NOT_A_HOUSE_NUMBER + r"\d{1,6}[A-Za-z]?(?:-\d{1,4})?\s+"
    r"(?:(?:[NSEW]|NE|NW|SE|SW|North|South|East|West)\.?\s+)?"
    r"(?:[A-Z][\w'’.-]*|\d{1,3}(?i:st|nd|rd|th))(?:\s+[A-Z][\w'’.-]*){0,3}"
    r"\s+(?i:" + alternation(STREET_SUFFIXES) + r")\b" + _UNIT
)
_ADDRESS_LOWERCASE = (  # 412 oak ave: one lowercase word and a suffix
    _NOT_A_HOUSE_NUMBER + r"\d{1,6}\s+[a-z]+\s+(?:st|street|ave|avenue|rd|road|blvd|boulevard|dr|ln|ct|pkwy)"
    r"\b" + _UNIT
)
_ADDRESS_TYPE_FIRST = (  # 19 Rue de la Paix, 4 Calle Mayor, 12 Via Roma, 7 ul. Długa; Hauptstraße 12
    _NOT_A_HOUSE_NUMBER + r"\d{1,5}[A-Za-z]?,?\s+(?i:rue|avenue|av\.|avenida|calle|carrera|via|viale|piazza|plaza"
    r"|chemin|boulevard|bd\.?|place|ul\.|ulica|rua|straat|strasse|straße)\s+(?:(?:de|del|la|le|les|des|du|da|do"
    r"|dos|das|di|della|van|von)\s+){0,2}[A-ZÀ-Þ][\w'’-]*(?:\s+[A-ZÀ-Þ][\w'’-]*){0,2}"
    r"|\b[A-ZÀ-Þ][\w-]*(?i:straße|strasse|str\.|gasse|weg|straat|laan|gatan|vej)\s+\d{1,5}[a-z]?\b"
)
_PHONE_SEPARATED = (  # 555-201-3344, (555) 201-3344, 555.201.3344, +1 555 201 3344, 1-555-201-3344
    r"(?=[+(\d])(?<![\w+])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\w-]|\.\d)"
)
_PHONE_PLAIN = r"(?=[+\d])(?<![\w+])(?:\+?1)?[2-9]\d{9}(?!\w)"  # 5552013344

_ORG_WORDS = word_set("""
    advisory association board committee council watch services program programs meeting meetings group
    forum survey parking permit permits office department dept academy training unit division patrol
    station center centre task team day night week month year feedback input safety police community""")
_UPPER = "[A-ZÀ-ÖØ-Þ]"  # an upper-case Latin-1 letter
_NAME_WORD = _UPPER + r"(?:(?:['’](?=[A-Z]))?[\w-]+(?:['’](?!s\b)[\w-]+)*|\.)"  # O'Neill, Nguyen-Tran, J.; not 's
# \K starts the match (and so the redaction) after the title. "Dr" is left to the NER model, which always
# looks at the word after a title: a pattern would have to tell it from a street ("Maple Dr. Residents").
_TITLED_NAME = (
    r"\b(?:(?i:" + alternation(TITLE_ABBREVIATIONS - {"dr"}) + r")\.?|(?i:"
    + alternation(TITLES - TITLE_ABBREVIATIONS) + r"))[,:]?\s+\K"
    r"(?!(?i:" + alternation(TITLES | _ORG_WORDS) + r")\b)" + _NAME_WORD
    + r"(?:\s+(?!(?i:" + alternation(_ORG_WORDS) + r")\b)" + _NAME_WORD + r"){0,2}"
)
_DIGIT = re.compile(r"\d")
_AT = re.compile("@")
_TITLE_TRIGGER = CaselessTrigger(r"\b(?:" + alternation(TITLES) + ")", other_texts_match=True)
_CAPITALISED_RUN = r"(" + _UPPER + r"[\w'’-]*(?:\s+" + _UPPER + r"[\w'’-]*){0,2})"


def contact_recognizers() -> list[EntityRecognizer]:
    """Phones, e-mail addresses and street addresses: the recognizers every redactor runs."""
    def recognizer(entity: str, trigger: re.Pattern[str], *patterns: tuple[str, str, float]) -> PatternRecognizer:
        return TriggeredRecognizer(trigger, entity, f"synth_{entity.lower()}", [Pattern(*p) for p in patterns])

    # every phone and street address holds a digit, every e-mail address an "@": most texts hold neither
    return [
        recognizer("PHONE_NUMBER", _DIGIT, ("us phone", _PHONE_SEPARATED, 0.7),
                   ("us phone digits", _PHONE_PLAIN, 0.5)),
        recognizer("EMAIL_ADDRESS", _AT, ("email", EmailRecognizer.PATTERNS[0].regex, 1.0)),
        recognizer("STREET_ADDRESS", _DIGIT, ("us street address", _ADDRESS, 0.6),
                   ("street type first", _ADDRESS_TYPE_FIRST, 0.6),
                   ("us street address, lowercase", _ADDRESS_LOWERCASE, 0.5)),
    ]


def name_recognizers(lexicon: Lexicon, misspelt: Callable[[str], bool] = lambda word: False) -> list[EntityRecognizer]:
    """Names the small NER model misses: after a title or cue ("Sgt. West"), next to a cue verb."""
    return [TitledNameRecognizer(), CueNameRecognizer(lexicon, misspelt)]


class TitledNameRecognizer(TriggeredRecognizer):
    """PERSON for capitalised words after a title or cue ("Sgt. West", "resident Maria"), unless the first
    of them is a known word ("nurse. Thank you"). Runs only on texts holding a title (most hold none)."""

    def __init__(self) -> None:
        super().__init__(_TITLE_TRIGGER, "PERSON", "synth_titled_name",
                         [Pattern("name after title", _TITLED_NAME, 0.85)])

    def invalidate_result(self, pattern_text: str) -> bool:  # noqa: D102
        return lookup(pattern_text.split()[0]) in KNOWN_WORDS


class CueNameRecognizer(LocalRecognizer):
    """PERSON for unknown capitalised words next to a cue: before a speech verb ("Priya said") or after a
    contact verb, introduction or sign-off ("call Dana at", "my name is Tyrone"). Words that are no names
    are trimmed from both ends ("Then Priya said" -> "Priya"), misspelt English words too ("Land Bnak says");
    a place ("Hawthorne Blvd said") or a lone plural ("Organizers said") is no name."""

    _PATTERNS = (
        re.compile(r"(?<![\w'’.-])" + _CAPITALISED_RUN + r"\s+(?:" + alternation(SPEECH_VERBS) + r")\b"),
        re.compile(r"\b(?:" + alternation(with_capitals(NAME_LEADS)) + r"),?\s+" + _CAPITALISED_RUN),
    )

    def __init__(self, lexicon: Lexicon, misspelt: Callable[[str], bool] = lambda word: False) -> None:
        super().__init__(supported_entities=["PERSON"], name="synth_cue_name")
        self._lexicon = lexicon
        self._misspelt = misspelt

    def load(self) -> None:  # noqa: D102
        pass

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: D102
        results = []
        for pattern in self._PATTERNS:
            for m in pattern.finditer(text):
                span = self._name_span(list(CHUNK.finditer(text, m.start(1), m.end(1))))
                if span:
                    results.append(RecognizerResult("PERSON", *span, 0.6))
        return results

    def _name_span(self, words: list[re.Match[str]]) -> tuple[int, int] | None:
        if lookup(words[-1].group()) in PLACE_NOUNS:
            return None
        first, last = 0, len(words)
        while first < last and self._not_a_name(words[first].group()):
            first += 1
        while last > first and self._not_a_name(words[last - 1].group()):
            last -= 1
        if first == last or (last - first == 1 and lookup(words[first].group()).endswith(PLURAL_ENDINGS)):
            return None
        return words[first].start(), words[last - 1].end()

    def _not_a_name(self, word: str) -> bool:
        low = lookup(word)
        return (low in KNOWN_WORDS or low in ACRONYMS or low in self._lexicon or any(c.isdigit() for c in word)
                or self._misspelt(word))


def repeated_mentions(text: str, results: list[RecognizerResult]) -> list[RecognizerResult]:
    """PERSON for every other occurrence of a name word already found in the text (the model may tag
    "Natasha" a person once and an organisation the next time), except in a place name ("Hawthorne Blvd")."""
    spans = [text[r.start:r.end] for r in results if r.entity_type == "PERSON"]
    names = {word for span in spans for word in WORD.findall(span)
             if len(word) > 1 and word[0].isupper() and lookup(word) not in KNOWN_WORDS}
    if not names:
        return []
    pattern = re.compile(r"(?<![\w'’-])(?:" + "|".join(map(re.escape, sorted(names))) + r")(?![\w-])")
    found = []
    for m in pattern.finditer(text):
        following = NEXT_WORD.match(text, m.end())
        if not (following and lookup(following.group(1)) in PLACE_NOUNS | PARK_NOUNS):
            found.append(RecognizerResult("PERSON", m.start(), m.end(), 0.5))
    return found
