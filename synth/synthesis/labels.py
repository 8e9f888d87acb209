"""Readable names for discovered themes, without an LLM: a short phrase drawn from the theme's own text.

A keyword list ("cars / car / city") is not a name. A theme is named by the noun phrase (one to three
adjectives and nouns ending in a noun, found by spaCy's tagger) that its spans use far more than other
themes' spans do, preferring phrases over single words, and never:

* starting or ending with a stop word ("of the", "need to"),
* holding a place name (a word the texts write capitalised in mid-sentence: "Salem", "Crompton Park") or a
  redaction placeholder,
* drawn from fewer than two spans (one resident's turn of phrase is not the theme).

With an LLM configured, `llm_labels.py` renames themes; this is the offline name and the fallback.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from synth.stop_words import ENGLISH_STOP_WORDS
from synth.synthesis.models import OTHER_THEME

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
# Function words and the filler of civic feedback: a phrase may hold them inside ("speeding on the main
# road") but not start or end with them.
_EDGE_STOP = frozenset(ENGLISH_STOP_WORDS | {"also", "etc", "maybe", "lot", "lots", "please", "really", "get",
                                              "gets", "got", "need", "needs", "want", "wants", "like", "just",
                                              "think", "thing", "things", "way", "people", "said", "say",
                                              "says", "town", "city", "place", "area"}
                       # generic nouns of meetings and feedback: a theme named "residents" or "problem" says
                       # nothing about what the theme is
                       | {"resident", "residents", "resdt", "resdts", "neighbor", "neighbors", "neighbour",
                          "neighbours", "folks", "person", "room", "problem", "problems", "issue", "issues",
                          "concern", "concerns", "time", "times", "meeting", "meetings", "note", "notes",
                          "report", "reports", "pattern", "rate", "year", "years", "day", "days", "week",
                          "weeks", "month", "months", "night", "question", "questions", "comment", "comments",
                          "attendee", "attendees", "group", "everyone", "someone", "help", "lot", "kind", "sort",
                          "part", "point", "idea", "ideas", "option", "options", "need", "stuff"}
                       # nouns that name an amount or a want of something else ("lack of leadership")
                       | {"lack", "number", "amount", "variety", "level", "levels", "type", "types", "plenty"})
_MIN_SPANS = 2
_PHRASE_BONUS = {1: 1.0, 2: 2.5, 3: 3.0}  # a phrase says more than a word; three words rarely beat two


def proper_words(texts: Sequence[str]) -> set[str]:
    """Lower-cased words the texts mostly write capitalised after a sentence's first word: place names,
    people's and organisations' names. A word capitalised everywhere it appears is taken as a name, and so is
    an acronym ("BG", "WKU": a town's or a college's initials; a lower-cased acronym is no name either)."""
    capitalised: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    acronyms: set[str] = set()
    for text in texts:
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            words = _WORD.findall(sentence)
            shouted = sum(w.isupper() for w in words) > len(words) / 2  # a sentence typed in capitals
            for i, w in enumerate(words):
                if w.isupper():
                    if not shouted:
                        acronyms.add(w.lower())
                    continue
                if i == 0:
                    continue
                seen[w.lower()] += 1
                capitalised[w.lower()] += w[0].isupper()
    return {w for w, n in seen.items() if capitalised[w] / n > 0.5} | acronyms


_NOUN, _MODIFIERS = "NOUN", {"NOUN", "ADJ"}
_MAX_TAGGED = 300  # spans per group tagged for its name (the tagger reads ~600 sentences a second)


def noun_phrases(texts: Sequence[str]) -> list[list[str]]:
    """Each text's candidate names: runs of one to three adjectives and nouns ending in a noun, lower-cased
    ("affordable senior housing", "bike lanes", "traffic")."""
    from synth.redact.ner import part_of_speech

    out = []
    for tagged in part_of_speech(list(texts)):
        found = []
        for i in range(len(tagged)):
            for n in (1, 2, 3):
                run = tagged[i:i + n]
                if len(run) == n and run[-1][1] == _NOUN and all(pos in _MODIFIERS for _, pos in run):
                    found.append(" ".join(w.lower() for w, _ in run))
        out.append(found)
    return out


def _allowed(phrase: str, proper: set[str]) -> bool:
    words = phrase.split()
    return (words[0] not in _EDGE_STOP and words[-1] not in _EDGE_STOP
            and not any(w in proper or w in {"person", "redacted"} for w in words)
            and len(set(words)) == len(words))


def phrase_labels(texts: Sequence[str], groups: Sequence[str]) -> dict[str, str]:
    """Group -> a short noun phrase naming it (groups other than OTHER_THEME); a group with no usable phrase
    is left out, and the caller falls back to another name."""
    return {g: name.phrase for g, name in named_groups(texts, groups).items()}


@dataclass(frozen=True)
class GroupName:
    phrase: str
    share: float  # of the group's spans holding the phrase
    concentration: float  # of all spans holding the phrase, the share in this group


def named_groups(texts: Sequence[str], groups: Sequence[str]) -> dict[str, GroupName]:
    """Group -> its name, how many of its spans hold it, and how much the name belongs to this group. A group
    whose best name is rare in it or common everywhere ("residents", "problem") is not one topic."""
    names = sorted(set(groups) - {OTHER_THEME})
    if not names:
        return {}
    proper = proper_words(texts)
    picked = [i for g in names for i in [j for j, x in enumerate(groups) if x == g][:_MAX_TAGGED]]
    phrases = noun_phrases([texts[i] for i in picked])
    vocab = sorted({p for ps in phrases for p in ps if _allowed(p, proper)})
    if not vocab:
        return {}
    column = {p: j for j, p in enumerate(vocab)}
    row = {g: i for i, g in enumerate(names)}
    per_group = np.zeros((len(names), len(vocab)))
    for i, ps in zip(picked, phrases, strict=True):
        for p in set(ps):
            if p in column:
                per_group[row[groups[i]], column[p]] += 1
    sizes = np.array([sum(1 for i in picked if groups[i] == g) for g in names], dtype=float)
    # share of the group's spans holding the phrase x how concentrated the phrase is in this group
    share = per_group / np.maximum(sizes[:, None], 1)
    concentration = per_group / np.maximum(per_group.sum(axis=0), 1)
    bonus = np.array([_PHRASE_BONUS.get(len(p.split()), 1.0) for p in vocab])
    score = share * concentration * bonus
    out: dict[str, GroupName] = {}
    for i, g in enumerate(names):
        score[i, per_group[i] < _MIN_SPANS] = 0
        j = int(score[i].argmax())
        if score[i, j] > 0:
            out[g] = GroupName(vocab[j], float(share[i, j]), float(concentration[i, j]))
    return out
