"""The redactors (`PresidioRedactor`, `RegexRedactor`), what they return and how one is chosen by name."""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import spacy
from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import ConflictResolutionStrategy, OperatorConfig

from synth.errors import ConfigError
from synth.redact.casefree import (
    AnyCaseNameRecognizer,
    OtherScriptNameRecognizer,
    coordinated_names,
    trailing_name_words,
)
from synth.redact.gazetteer import Gazetteer
from synth.redact.identifiers import identifier_recognizers
from synth.redact.ner import end_at_newline, is_person, load_ner
from synth.redact.prefilter import NamePrefilter, context_windows
from synth.redact.recognizers import contact_recognizers, name_recognizers, repeated_mentions
from synth.redact.vocabulary import Lexicon

logger = logging.getLogger(__name__)

TOKENS = {
    "PERSON": "[PERSON]",
    "PHONE_NUMBER": "[PHONE]",
    "EMAIL_ADDRESS": "[EMAIL]",
    "STREET_ADDRESS": "[ADDRESS]",
    "LICENSE_PLATE": "[PLATE]",
    "DATE_OF_BIRTH": "[DOB]",
    "ID_NUMBER": "[ID_NUMBER]",
    "BADGE_NUMBER": "[BADGE]",
}
ENTITIES = list(TOKENS)
_WINDOW_CACHE_SIZE = 200_000  # windows' NER results kept (digest -> spans); cleared when full

@dataclass(frozen=True)
class Redacted:
    text: str  # redacted text
    counts: dict[str, int] = field(default_factory=dict)  # entity type -> number replaced


class Redactor(Protocol):
    name: str

    def redact_batch(self, texts: list[str]) -> list[Redacted]: ...




def _operators() -> dict[str, OperatorConfig]:
    return {entity: OperatorConfig("replace", {"new_value": token}) for entity, token in TOKENS.items()}


def _analyze(text: str, recognizers: list[EntityRecognizer]) -> list[RecognizerResult]:
    # presidio types nlp_artifacts as required but pattern recognizers take None
    return [r for recognizer in recognizers for r in recognizer.analyze(text, ENTITIES)]  # type: ignore[call-arg]


def _anonymize(text: str, results: list[RecognizerResult], engine: AnonymizerEngine,
               operators: dict[str, OperatorConfig]) -> Redacted:
    if not results:
        return Redacted(text, {})
    done = engine.anonymize(text, results, operators,  # type: ignore[arg-type]  # same class, two packages
                            conflict_resolution=ConflictResolutionStrategy.REMOVE_INTERSECTIONS)
    return Redacted(done.text, dict(Counter(item.entity_type for item in done.items)))


class RegexRedactor:
    """Contacts and identifiers only (phones, e-mail, street addresses, plates, dates of birth, national ids,
    badges), no NER: fast, but names stay (weaker on names)."""

    name = "regex"

    def __init__(self) -> None:
        self._recognizers = contact_recognizers() + identifier_recognizers()
        self._engine = AnonymizerEngine()
        self._operators = _operators()

    def redact_batch(self, texts: list[str]) -> list[Redacted]:
        return [_anonymize(t, _analyze(t, self._recognizers), self._engine, self._operators) for t in texts]


class PresidioRedactor:
    """Default: presidio recognizers + spaCy NER (PERSON) around the words that could be names."""

    name = "presidio"

    def __init__(self) -> None:
        self._nlp = load_ner()
        self._lexicon = Lexicon.from_spacy(self._nlp)
        self._gazetteer = Gazetteer.from_spacy(self._nlp)
        self._prefilter = NamePrefilter(self._lexicon)
        self._recognizers = (contact_recognizers() + identifier_recognizers()
                             + name_recognizers(self._lexicon, self._gazetteer.is_misspelt)
                             + [AnyCaseNameRecognizer(self._gazetteer), OtherScriptNameRecognizer()])
        self._engine = AnonymizerEngine()
        self._operators = _operators()
        # the model's reading of a window depends on the window alone: notes repeat their boilerplate
        self._window_persons: dict[bytes, tuple[tuple[int, int], ...]] = {}

    def redact_batch(self, texts: list[str]) -> list[Redacted]:
        found = [_analyze(t, self._recognizers) for t in texts]
        for i, result in self._ner_persons(texts):
            found[i].append(result)
        for text, results in zip(texts, found, strict=True):
            results.extend(repeated_mentions(text, results))
            results.extend(coordinated_names(text, results, self._gazetteer))
            results.extend(trailing_name_words(text, results, self._gazetteer))
        return [_anonymize(t, r, self._engine, self._operators) for t, r in zip(texts, found, strict=True)]

    def _ner_persons(self, texts: list[str]) -> Iterator[tuple[int, RecognizerResult]]:
        jobs = []  # (text index, window start, window key, looked-at ranges)
        persons: dict[bytes, tuple[tuple[int, int], ...]] = {}  # window key -> its PERSON spans
        unread: dict[bytes, str] = {}
        for i, text in enumerate(texts):
            ranges = self._prefilter.candidates(text)
            for start, end in context_windows(text, ranges):
                window = text[start:end]
                key = _window_key(window)
                jobs.append((i, start, key, ranges))
                if key in self._window_persons:
                    persons[key] = self._window_persons[key]
                elif key not in persons:
                    unread[key] = window
        logger.debug("NER on %d of %d windows (%d characters) of %d texts", len(unread), len(jobs),
                     sum(map(len, unread.values())), len(texts))
        for key, doc in zip(unread, self._nlp.pipe(unread.values(), batch_size=256), strict=True):
            persons[key] = tuple(self._person_spans(doc))
        if len(self._window_persons) + len(unread) > _WINDOW_CACHE_SIZE:
            self._window_persons.clear()
        self._window_persons.update((key, persons[key]) for key in unread)
        for i, offset, key, ranges in jobs:
            for start, end in persons[key]:
                if _overlaps(offset + start, offset + end, ranges):
                    yield i, RecognizerResult("PERSON", offset + start, offset + end, 0.85)

    def _person_spans(self, doc: spacy.tokens.Doc) -> Iterator[tuple[int, int]]:
        """(start, end) in the window of each PERSON span the name lists back."""
        for ent in doc.ents:
            if is_person(ent, self._gazetteer):
                yield ent.start_char, end_at_newline(doc.text, ent.start_char, ent.end_char)


def _window_key(window: str) -> bytes:
    """A digest, so the cache of NER results holds no resident's words."""
    return hashlib.blake2b(window.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _overlaps(start: int, end: int, ranges: list[tuple[int, int]]) -> bool:
    return any(start < r_end and r_start < end for r_start, r_end in ranges)


_REGISTRY: dict[str, Callable[[], Redactor]] = {"presidio": PresidioRedactor, "regex": RegexRedactor}


def build_redactor(kind: str) -> Redactor:
    """The redactor registered under `kind` ("presidio" or "regex"); loads its model now."""
    try:
        factory = _REGISTRY[kind]
    except KeyError:
        choices = ", ".join(sorted(_REGISTRY))
        raise ConfigError(f"unknown redactor '{kind}': choose one of {choices}") from None
    return factory()
