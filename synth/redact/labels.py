"""Personal data inside labels: source ids and file names ("notes_jorge_alvarado.md", an id that is an e-mail).

Labels are not prose, so the text redactor is not run on them (it would read "NEAS PTS 693 - Q1" or
"polis-bowling_green-53" as names); instead a label holds personal data when it holds an e-mail address or a
census given name followed by a surname ("jorge_alvarado", "Maria-Garcia"). A file name keeps its shape with the
name replaced ("notes_[PERSON].md"); a source id holding one becomes `id_<salted hash>`, stable for the same id
and salt, so duplicates and conflicts are still recognised and the name is never kept. Not caught: a name whose
given name is not in the census lists ("dmitri_volkov"), or a surname alone.
"""

from __future__ import annotations

import functools
import hashlib
import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
_SEPARATOR = re.compile(r"[\s_.\-]+")
ID_PREFIX = "id_"


@functools.cache
def _lists() -> tuple[frozenset[str], dict[str, int], frozenset[str]]:
    from synth.redact.gazetteer import NOUN_NAMES, given_names, surnames

    return given_names() - NOUN_NAMES, surnames(), NOUN_NAMES


def _name_spans(label: str) -> list[tuple[int, int]]:
    from synth.redact.gazetteer import fold

    given, family, noun_names = _lists()
    words = list(_WORD.finditer(label))
    spans: list[tuple[int, int]] = []
    for first, second in zip(words, words[1:], strict=False):
        between = label[first.end():second.start()]
        if not _SEPARATOR.fullmatch(between) or (spans and spans[-1][1] > first.start()):
            continue
        last = fold(second[0])
        surname = last in family or last.replace("'", "") in family
        if fold(first[0]) in given and surname and last not in noun_names:
            spans.append((first.start(), second.end()))
    return spans


def redact_label(label: str) -> str:
    """`label` with e-mail addresses and given-name-plus-surname pairs replaced by placeholders."""
    label = _EMAIL.sub("[EMAIL]", label)
    for start, end in reversed(_name_spans(label)):
        label = label[:start] + "[PERSON]" + label[end:]
    return label


def pseudonymize_source_id(source_id: str, salt: str) -> str:
    """The id itself when it holds no personal data, else `id_<hash>`."""
    if redact_label(source_id) == source_id:
        return source_id
    return ID_PREFIX + hashlib.sha256((salt + "\x1f" + source_id).encode()).hexdigest()[:16]
