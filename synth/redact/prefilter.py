"""The prefilter: which words the NER model must look at, and the short windows around them it reads."""

from __future__ import annotations

import bisect
import re

from synth.redact.vocabulary import (
    ACRONYMS,
    AMBIGUOUS_MONTHS,
    CHUNK,
    CIVIC,
    COMMON,
    PERSON_FOLLOWERS,
    PLACE_NOUNS,
    STOP,
    TIME_WORDS,
    TITLE_ABBREVIATIONS,
    TITLES,
    WORD,
    Lexicon,
    lookup,
)

CONTEXT_WORDS = 4  # words of context either side of a looked-at word: the CNN sees 4 tokens each way


_BOUNDARY = re.compile(r"""[.!?]+["'”’)\]]*\s+|\s*\n\s*""")
_LAST_WORDS = re.compile(r"(?:(\w+)\s+)?(\w+)\W*$")
_RUN_NEXT = re.compile(r"\.?[ \t]+([^\W\d_]+(?:['’-][^\W\d_]+)*)")
_OPENERS = frozenset(':;"“(—–')


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence; no cut after a title abbreviation ("Sgt.") or an initial ("J.")."""
    spans, start = [], 0
    for m in _BOUNDARY.finditer(text):
        if "\n" not in m.group() and _is_abbreviation(text, max(start, m.start() - 24), m.start() + 1):
            continue
        end = m.start() + len(m.group().rstrip())
        if text[start:end].strip():
            spans.append((start, end))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


def _is_abbreviation(text: str, start: int, end: int) -> bool:
    """Whether the word before the period at end - 1 is a title or an initial, not a street's "Dr."."""
    m = _LAST_WORDS.search(text, start, end)
    if not m:
        return False
    before, word = m.group(1) or "", m.group(2)
    if len(word) == 1:
        return word.isupper()
    return word.lower() in TITLE_ABBREVIATIONS and not (word.lower() == "dr" and before[:1].isupper())


class NamePrefilter:
    """Finds the words the NER model must look at (see "Why the prefilter is safe" in the package docstring)."""

    def __init__(self, lexicon: Lexicon) -> None:
        self._lexicon = lexicon

    def candidates(self, text: str) -> list[tuple[int, int]]:
        """Character ranges of looked-at words (whole sentences where there is no case signal)."""
        ranges: list[tuple[int, int]] = []
        for start, end in sentence_spans(text):
            ranges.extend((start + a, start + b) for a, b in self._in_sentence(text[start:end]))
        return ranges

    def _in_sentence(self, sentence: str) -> list[tuple[int, int]]:
        words = list(WORD.finditer(sentence))
        if not words:
            return []
        if not words[0].group()[0].isupper() or (len(words) > 1 and sentence.upper() == sentence):
            return [(0, len(sentence))]  # no case signal
        return [m.span() for k, m in enumerate(words) if m.group()[0].isupper() and self._looked_at(sentence, words, k)]

    def _looked_at(self, sentence: str, words: list[re.Match[str]], k: int) -> bool:
        m, word = words[k], words[k].group()
        low, previous = lookup(word), lookup(words[k - 1].group()) if k else ""
        if previous in TITLES:
            return True
        if len(word) == 1 or low in TITLES or low in STOP or low in CIVIC or in_place_name(sentence, m.end()):
            return False
        initial = k == 0 or not _OPENERS.isdisjoint(sentence[words[k - 1].end():m.start()])
        if word.isupper():
            return low not in ACRONYMS and not (initial and low in COMMON)
        if low in AMBIGUOUS_MONTHS:
            return previous not in TIME_WORDS and not any(c.isdigit() for c in sentence[m.end():m.end() + 3])
        if not initial:
            return True
        if low in COMMON:
            return False
        if low not in self._lexicon:  # the lexicon holds no NAME_WORDS
            return True
        return k + 1 < len(words) and lookup(words[k + 1].group()) in PERSON_FOLLOWERS


def in_place_name(sentence: str, end: int) -> bool:
    """Whether the capitalised word ending at `end` starts a run of capitalised words ending in a place noun
    ("Martin Luther King Jr Blvd", "Jefferson Middle School")."""
    while m := _RUN_NEXT.match(sentence, end):
        word = m.group(1)
        if not word[0].isupper():
            return False
        if lookup(word) in PLACE_NOUNS:
            return True
        end = m.end()
    return False


def context_windows(text: str, ranges: list[tuple[int, int]], context: int = CONTEXT_WORDS,
                    ) -> list[tuple[int, int]]:
    """Merged (start, end) windows holding each range and `context` whitespace-separated words either side."""
    chunks = [m.span() for m in CHUNK.finditer(text)]
    starts = [s for s, _ in chunks]
    windows: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        first = max(bisect.bisect_right(starts, start) - 1 - context, 0)
        last = min(bisect.bisect_left(starts, end) - 1 + context, len(chunks) - 1)
        window = (chunks[first][0], chunks[last][1])
        if windows and window[0] <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(windows[-1][1], window[1]))
        else:
            windows.append(window)
    return windows
