"""Names the capitalisation-driven parts miss: names in lower case or capitals ("mr. jorge alvarado", "my
neighbour tom", "JORGE ALVARADO"), and names written in another script inside an English text ("Иван Петров",
"王伟"). Both rely on the census name lists (`Gazetteer`), not on the model.
"""

from __future__ import annotations

import regex
from presidio_analyzer import LocalRecognizer, RecognizerResult

from synth.redact.gazetteer import Gazetteer, fold
from synth.redact.vocabulary import (
    CIVIC,
    KNOWN_WORDS,
    NAME_LEADS,
    PARK_NOUNS,
    PLACE_NOUNS,
    SPEECH_VERBS,
    TITLES,
    alternation,
    lookup,
)

_WORD = r"[\p{L}\p{M}]+(?:['’-][\p{L}\p{M}]+)*"
_TITLE_THEN_WORDS = regex.compile(
    r"(?<![\w])(?i:" + alternation(TITLES) + r")\.?,?\s+"
    r"(?i:my\s+|our\s+)?(" + _WORD + r"(?:\s+" + _WORD + r"){0,2})")
_LEAD_THEN_WORDS = regex.compile(
    r"(?<![\w])(?i:" + alternation(NAME_LEADS) + r"),?\s+(" + _WORD + r"(?:\s+" + _WORD + r"){0,2})")
_WORDS_THEN_VERB = regex.compile(r"(" + _WORD + r"(?:\s+" + _WORD + r"){0,1})\s+(?i:"
                                 + alternation(SPEECH_VERBS) + r")\b")
_ANY_WORD = regex.compile(_WORD)
_OTHER_SCRIPT = regex.compile(  # words in a script other than Latin: 王伟, Иван Петров, محمد علي, Γιώργος
    r"(?:(?!\p{Latin})[\p{L}][\p{M}]*)+(?:[\s·・'’-]+(?:(?!\p{Latin})[\p{L}][\p{M}]*)+){0,3}")
_LATIN_LETTER = regex.compile(r"\p{Latin}")
_OTHER_LETTER = regex.compile(r"(?!\p{Latin})\p{L}")


class AnyCaseNameRecognizer(LocalRecognizer):
    """PERSON for name words in any case: after a title or cue ("officer smith", "my neighbour tom", "call
    lucy"), before a speech verb ("jorge said"), a given name and a surname ("maria gonzalez", "JORGE
    ALVARADO"), and a lone given name that is no English word ("me and lucy")."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        super().__init__(supported_entities=["PERSON"], name="synth_any_case_name")
        self._names = gazetteer

    def load(self) -> None:  # noqa: D102
        pass

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: D102
        spans: list[tuple[int, int]] = []
        for pattern in (_TITLE_THEN_WORDS, _LEAD_THEN_WORDS):
            for m in pattern.finditer(text):
                spans.extend(self._leading_names(m, 1))
        for m in _WORDS_THEN_VERB.finditer(text):  # capitalised words before a verb are CueNameRecognizer's
            words = list(_ANY_WORD.finditer(text, m.start(1), m.end(1)))
            while words and not self._names.is_strong_name_word(words[0].group()):
                words.pop(0)
            if words and all(self._names.is_name_word(w.group()) for w in words):
                spans.append((words[0].start(), words[-1].end()))
        spans.extend(self._pairs_and_given_names(text))
        return [RecognizerResult("PERSON", start, end, 0.6) for start, end in spans]

    def _leading_names(self, m: regex.Match[str], group: int) -> list[tuple[int, int]]:
        words = list(_ANY_WORD.finditer(m.string, m.start(group), m.end(group)))
        kept = []
        for word in words:
            if not self._cued_word(word.group()):
                break
            kept.append(word)
        return [(kept[0].start(), kept[-1].end())] if kept else []

    def _cued_word(self, word: str) -> bool:
        """After a cue, a word that could be a name: a name word or unknown, not a known civic or common word."""
        low = fold(word)
        if low in KNOWN_WORDS or low in CIVIC or len(low) < 2:
            return False
        return self._names.is_name_word(word) or self._names.is_unknown(word)

    def _pairs_and_given_names(self, text: str) -> list[tuple[int, int]]:
        words = list(_ANY_WORD.finditer(text))
        spans = []
        k = 0
        while k < len(words):
            word = words[k].group()
            if word[0].isupper() and not word.isupper():  # capitalised words are the model's
                k += 1
                continue
            following = words[k + 1].group() if k + 1 < len(words) else ""
            adjacent = k + 1 < len(words) and text[words[k].end():words[k + 1].start()].strip() == ""
            if (adjacent and self._names.is_given(word) and self._names.is_name_word(following)
                    and (self._names.is_strong_name_word(word) or self._names.is_strong_name_word(following))):
                spans.append((words[k].start(), words[k + 1].end()))
                k += 2
                continue
            if (word.islower() and self._names.is_popular_given(word) and self._names.is_strong_name_word(word)
                    and lookup(following) not in PLACE_NOUNS | PARK_NOUNS):  # "catherine dr" is a street
                spans.append(words[k].span())
            k += 1
        return spans


class OtherScriptNameRecognizer(LocalRecognizer):
    """PERSON for a run of words in a non-Latin script inside a mostly Latin text: in English notes, such a
    run is a name written in its own script ("Иван Петров", "王伟", "محمد علي"). A text mostly in another
    script is left alone (its names are not covered)."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], name="synth_other_script_name")

    def load(self) -> None:  # noqa: D102
        pass

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: D102
        other = len(_OTHER_LETTER.findall(text))
        if not other or other > len(_LATIN_LETTER.findall(text)):
            return []
        return [RecognizerResult("PERSON", m.start(), m.end(), 0.6) for m in _OTHER_SCRIPT.finditer(text)]
