"""Names the capitalisation-driven parts miss: names in lower case or capitals ("mr. jorge alvarado", "my
neighbour tom", "JORGE ALVARADO"), and names written in another script inside an English text ("Иван Петров",
"王伟"). Both rely on the census name lists (`Gazetteer`), not on the model.
"""

from __future__ import annotations

import re

import regex
from presidio_analyzer import LocalRecognizer, RecognizerResult

from synth.redact.gazetteer import NOUN_NAMES, Gazetteer, fold
from synth.redact.prefilter import in_place_name
from synth.redact.vocabulary import (
    CIVIC,
    KNOWN_WORDS,
    NAME_LEADS,
    NAME_WORDS,
    PARK_NOUNS,
    PERSON_FOLLOWERS,
    PLACE_NOUNS,
    SPEECH_VERBS,
    STOP,
    TITLE_ABBREVIATIONS,
    TITLES,
    lookup,
    word_set,
)

_WORD = r"[^\W\d_]+(?:['’-][^\W\d_]+)*"  # letters of any script, with inner ' or -
_CUES = (TITLES | frozenset(lead for lead in NAME_LEADS if " " not in lead)  # "officer", "call", "dear"
         | word_set("named officers deputies sergeants detectives neighbors neighbours"))
_PHRASE_CUES = {("my", "name", "is"), ("this", "is"), ("i", "am"), ("name", "is"), ("name", "was"),
                ("names", "are"), ("names", "were")}
_PHRASE_ENDS = {p[-1] for p in _PHRASE_CUES}
_HOUSEHOLD = word_set("family families household clan")
# Titles that stand before a name, and only a name: after one, a frequent surname in lower case is a name even
# when it is also an English word ("mrs jones", "officer smith", "sgt brown"). Not kin words or "chief"
# ("my son young", "chief complaint").
_NAME_TITLES = TITLE_ABBREVIATIONS | word_set("""officer sergeant detective lieutenant captain corporal deputy
    commander trooper inspector sheriff miss mayor councilmember councilman councilwoman councilor councillor
    alderman alderwoman commissioner pastor reverend doctor father rabbi imam""")
_TAKES_A_PERSON = word_set("""with by thank thanks told asked called met saw emailed texted contacted spoke
    phoned visited""")
_AFTER_CUE = re.compile(r"\.?[,:]?\s+\Z")
_BETWEEN = re.compile(r"\s+\Z")
_ANY_WORD = re.compile(_WORD)
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
        self._cues: dict[str, bool] = {}  # word -> whether it is a cue (`_is_cue`)

    def load(self) -> None:  # noqa: D102
        pass

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: D102
        words = list(_ANY_WORD.finditer(text))
        lows = [w.group().lower() for w in words]
        spans: list[tuple[int, int]] = []
        for k, low in enumerate(lows):
            if self._is_cue(low) or (low in _PHRASE_ENDS and any(tuple(lows[k - len(p) + 1:k + 1]) == p
                                                            for p in _PHRASE_CUES)):
                spans.extend(self._after_cue(text, words, k))
            elif low in SPEECH_VERBS:
                spans.extend(self._before_verb(text, words, k))
        spans.extend(self._pairs_and_given_names(text, words))
        spans.extend(self._households(words, lows))
        spans.extend(self._someone_from(words, lows))
        return [RecognizerResult("PERSON", start, end, 0.6) for start, end in spans]

    def _is_cue(self, low: str) -> bool:
        """A title or cue, also misspelt ("my coussin Bilal")."""
        known = self._cues.get(low)
        if known is None:
            if len(self._cues) > 500_000:
                self._cues.clear()
            known = self._cues[low] = low in _CUES or (low not in KNOWN_WORDS
                                                       and self._names.reads_as_one_of(low, _CUES))
        return known

    def _someone_from(self, words: list[re.Match[str]], lows: list[str]) -> list[tuple[int, int]]:
        """A capitalised given name before "from" introduces a person ("Carol from the HOA", "Dave from next
        door"); also a strong name word in lower case ("jenny from the block")."""
        out = []
        for k in range(1, len(words)):
            if lows[k] != "from":
                continue
            word = words[k - 1].group()
            low = lows[k - 1]
            if low in KNOWN_WORDS or low in CIVIC or word.isupper() or len(low) < 3:
                continue
            if (word[0].isupper() and self._names.is_given(word)) or self._names.is_strong_name_word(word):
                out.append(words[k - 1].span())
        return out

    def _households(self, words: list[re.Match[str]], lows: list[str]) -> list[tuple[int, int]]:
        """A capitalised word before "family", "household" ... is a surname ("the Okonjo family")."""
        return [words[k - 1].span() for k in range(1, len(words)) if lows[k] in _HOUSEHOLD
                and words[k - 1].group()[0].isupper() and not words[k - 1].group().isupper()
                and lows[k - 1] not in KNOWN_WORDS and lows[k - 1] not in CIVIC
                and not self._names.is_thing_word(words[k - 1].group())]

    def _after_cue(self, text: str, words: list[re.Match[str]], k: int) -> list[tuple[int, int]]:
        """Up to three words that could be names right after a title or cue ("officer jenkins", "call lucy")."""
        abbreviation = words[k].group().lower() in TITLE_ABBREVIATIONS  # "Sgt. West"; not "nurse. Kind"
        titled = words[k].group().lower() in _NAME_TITLES
        k += 1
        if k < len(words) and words[k].group().lower() in ("my", "our"):
            k += 1
        kept: list[re.Match[str]] = []
        while k < len(words) and len(kept) < 3:
            gap = _AFTER_CUE if not kept or _is_initial(kept[-1]) else _BETWEEN
            between = gap.match(text, words[k - 1].end(), words[k].start())
            word = words[k].group()
            if not between or ("." in between.group() and not (abbreviation or kept)):
                break
            if not (_is_initial(words[k]) or self._cued_word(word)
                    or (not kept and titled and self._titled_surname(word, abbreviation))
                    or (kept and word.islower() and self._names.is_surname(word)  # "bob smith"; not "tom said"
                        and word not in SPEECH_VERBS and word not in STOP and word not in PERSON_FOLLOWERS
                        and self._names.is_listed_noun_or_name(word)  # not "father brown led"
                        and self._name_despite_slip(word))):
                break
            kept.append(words[k])
            k += 1
        while kept and _is_initial(kept[-1]):
            kept.pop()
        return [(kept[0].start(), kept[-1].end())] if kept else []

    def _before_verb(self, text: str, words: list[re.Match[str]], k: int) -> list[tuple[int, int]]:
        """One or two name words right before a speech verb ("jorge said", "priya raman asked")."""
        before = [j for j in (k - 2, k - 1) if j >= 0]
        before = [j for j in before if all(_BETWEEN.match(text, words[i].end(), words[i + 1].start())
                                           for i in range(j, k))]
        while before and not self._names.is_strong_name_word(words[before[0]].group()):
            before.pop(0)
        if any(_is_acronym(text, words[j].group()) for j in before):  # "the HOA raised", "PTA asked"
            return []
        if before and all(self._names.is_name_word(words[j].group()) and self._name_despite_slip(words[j].group())
                          for j in before):
            return [(words[before[0]].start(), words[before[-1]].end())]
        return []

    def _cued_word(self, word: str) -> bool:
        """After a cue, a word that could be a name: a name word or unknown, not a known civic or common word."""
        low = fold(word)
        if low in KNOWN_WORDS or low in CIVIC or len(low) < 2:
            return False
        if word.islower():  # "officer jenkins", "call lucy"; not "officer haven't", "i am carer", "resident siad",
            # "the officer will"
            return (self._names.is_name_word(word) and self._name_despite_slip(word)
                    and low not in PERSON_FOLLOWERS)
        return (self._names.is_name_word(word) or self._names.is_unknown(word)
                or self._names.is_listed_noun_or_name(word))

    def _titled_surname(self, word: str, abbreviation: bool) -> bool:
        """Right after a title: a frequent surname that is also an English word ("jones", "smith", "white"), in
        lower case, unless it is a word that commonly follows a title ("officer said", "officer will"). After a
        spelt-out title it must not read as a verb or adjective ("mrs white", "officer smith"; not "officer
        young people")."""
        low = fold(word)
        return (word.islower() and self._names.is_common_surname(word) and low not in KNOWN_WORDS
                and low not in PERSON_FOLLOWERS and low not in STOP
                and (abbreviation or self._names.is_listed_noun_or_name(word)))

    def _name_despite_slip(self, word: str) -> bool:
        """With a cue, a misspelt word is still a name if it is a given name or a surname frequent enough to
        stand alone ("my neighbour yong", "officer ruiz"; not "resident siad")."""
        return not self._names.is_misspelt(word) or self._names.is_lone_name_word(word)

    def _pairs_and_given_names(self, text: str, words: list[re.Match[str]]) -> list[tuple[int, int]]:
        spans = []
        k = 0
        while k < len(words):
            word = words[k].group()
            if not self._names.could_be_name(word) or (self._names.is_misspelt(word)
                                                       and not self._slip_in_pair(words, k)):
                k += 1
                continue
            following = words[k + 1].group() if k + 1 < len(words) else ""
            adjacent = k + 1 < len(words) and text[words[k].end():words[k + 1].start()] in (" ", "\u00a0")
            if word[0].isupper() and not word.isupper():
                if adjacent and self._capitalised_pair(text, words, k):
                    spans.append((words[k].start(), words[k + 1].end()))
                    k += 2
                else:
                    k += 1
                continue
            same_case = word.islower() == following.islower() and word.isupper() == following.isupper()
            if adjacent and same_case and self._lower_pair(word, following):
                spans.append((words[k].start(), words[k + 1].end()))
                k += 2
                continue
            if (word.islower() and len(word) > 2 and self._names.is_popular_given(word)  # not "al", "ed"
                    and self._names.is_strong_name_word(word) and not self._names.is_misspelt(word)
                    and lookup(following) not in PLACE_NOUNS | PARK_NOUNS):  # "catherine dr" is a street
                spans.append(words[k].span())
            k += 1
        return spans


    def _slip_in_pair(self, words: list[re.Match[str]], k: int) -> bool:
        return any(i >= 0 and j < len(words) and self._pair_despite_slip(words[i].group(), words[j].group())
                   for i, j in ((k - 1, k), (k, k + 1)))

    def _pair_despite_slip(self, first: str, second: str) -> bool:
        """A pair with a misspelt word is still a name next to a word that is a name without doubt (a strong name
        word or a word in no list, itself not misspelt: "priya raman"), or as a given name and a name that stands
        alone (`is_lone_name_word`: "will barnes"); not "long goone", "young kds", "yong kids"."""
        names = self._names
        if any(self._clear_name_word(w) for w in (first, second) if not names.is_misspelt(w)):
            return True
        return names.is_given(first) and names.is_lone_name_word(second)

    def _clear_name_word(self, word: str) -> bool:
        names = self._names
        return (len(word) > 3 and not names.is_misspelt(word)
                and (names.is_strong_name_word(word) or names.is_unknown(word)))

    def _lower_pair(self, first: str, second: str) -> bool:
        """A given name and a name word, one of them no English word ("jorge alvarado", "maria gonzalez"), or a
        given name and a word in no list ("magdalena wisniewska"); a word in no list followed by a surname that
        is no English word ("priya raman"); two long words in capitals, each a surname that is no English word
        or in no list ("TARIQ MAHMOOD")."""
        names = self._names
        if (names.is_misspelt(first) or names.is_misspelt(second)) and not self._pair_despite_slip(first, second):
            return False  # "long goone"; not "priya raman", "will barnes"
        if names.is_given(first) and (names.is_name_word(second) or (len(second) > 2 and names.is_unknown(second))):
            return names.is_strong_name_word(first) or names.is_strong_name_word(second) or names.is_unknown(second)
        if first.isupper() and _shouted_unknown(first) and _shouted_unknown(second):  # "TARIQ MAHMOOD"
            return all(names.is_unknown(w) or names.is_strong_name_word(w) for w in (first, second))
        return (first.islower() and len(first) > 2 and len(second) > 2 and names.is_unknown(first)
                and names.is_strong_name_word(second))

    def _capitalised_pair(self, text: str, words: list[re.Match[str]], k: int) -> bool:
        """A given name and a surname ("Grace Hall", "Will Parker") or two words that are neither English nor
        in the lists ("Dmitri Volkov"), that do not start a place's name ("Martin Luther King Jr Blvd")."""
        first, second = words[k].group(), words[k + 1].group()
        if not second[:1].isupper() or second.isupper() or first[:2].isupper() or lookup(first) != first.lower():
            return False  # not an acronym or a possessive ("BG's Kummer")
        if any(lookup(w)[:-1] in PLACE_NOUNS for w in (first, second)):  # "Tuckertown Rds"
            return False
        if self._names.reads_as_one_of(second, PLACE_NOUNS | PARK_NOUNS):  # "Warren Couty"
            return False
        if fold(first) in KNOWN_WORDS or fold(first) in CIVIC - NAME_WORDS or lookup(first) in PARK_NOUNS:
            return False
        if fold(second) in KNOWN_WORDS or fold(second) in CIVIC or lookup(second) in PARK_NOUNS:
            # "Cherry Ward", "Lincoln Hall" are places, unless a verb or preposition that takes a person comes
            # right before ("spoke with Grace Hall")
            before = words[k - 1].group().lower() if k else ""
            return (fold(second) in NAME_WORDS and before in _TAKES_A_PERSON and self._names.is_given(first)
                    and _BETWEEN.match(text, words[k - 1].end(), words[k].start()) is not None)
        if self._names.is_thing_word(second) or in_place_name(text, words[k + 1].end()):
            return False
        after = words[k + 2].group() if k + 2 < len(words) else ""
        if after[:1].isupper() and (self._names.is_thing_word(after) or lookup(after) in PARK_NOUNS):
            return False
        names = self._names
        if names.is_given(first) and names.is_surname(second):
            return True
        return (len(first) > 2 and len(second) > 2 and names.is_unknown(first)
                and (names.is_unknown(second) or names.is_strong_name_word(second)))


def _shouted_unknown(word: str) -> bool:
    """A word in capitals long enough, and with vowels enough, to be a name rather than an acronym."""
    return len(word) >= 4 and sum(c in "AEIOUY" for c in word) >= 2


def _is_acronym(text: str, word: str) -> bool:
    """A short all-capitals word in a text that is not all capitals ("HOA", "PTA"; not "HOA" in "CALL HOA")."""
    return word.isupper() and len(word) <= 4 and not text.isupper()


def _is_initial(word: re.Match[str]) -> bool:
    """A capital letter and a period: "K." in "Signed: K. Oyelaran"."""
    return len(word.group()) == 1 and word.group().isupper() and word.string[word.end():word.end() + 1] == "."


class OtherScriptNameRecognizer(LocalRecognizer):
    """PERSON for a run of words in a non-Latin script inside a mostly Latin text: in English notes, such a
    run is a name written in its own script ("Иван Петров", "王伟", "محمد علي"). A text mostly in another
    script is left alone (its names are not covered)."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], name="synth_other_script_name")

    def load(self) -> None:  # noqa: D102
        pass

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: D102
        if text.isascii():
            return []
        other = len(_OTHER_LETTER.findall(text))
        if not other or other > len(_LATIN_LETTER.findall(text)):
            return []
        return [RecognizerResult("PERSON", m.start(), m.end(), 0.6) for m in _OTHER_SCRIPT.finditer(text)]


_NEXT_CAPITALISED = regex.compile(r" (\p{Lu}[\p{Ll}\p{M}]+(?:['’-][\p{L}\p{M}]+)*)(?![\w'’-])")


def trailing_name_words(text: str, results: list[RecognizerResult], names: Gazetteer) -> list[RecognizerResult]:
    """A found name runs on over the capitalised words right after it that could end a name: short words
    ("Nguyễn Văn An") and name words or unknown words that are no known or civic word."""
    extended = []
    for r in results:
        if r.entity_type != "PERSON":
            continue
        end = r.end
        while m := _NEXT_CAPITALISED.match(text, end):
            word = m.group(1)
            low = lookup(word)
            if low in PLACE_NOUNS or low in PARK_NOUNS or low in TITLES or (low in CIVIC and low not in NAME_WORDS):
                break
            could_end_a_name = low not in KNOWN_WORDS and (names.is_name_word(word) or names.is_unknown(word))
            if not (len(word) <= 3 or could_end_a_name):
                break
            end = m.end()
        if end > r.end:
            extended.append(RecognizerResult("PERSON", r.start, end, r.score))
    return extended


_LIST_ITEMS = 8
_LIST_SEPARATOR = r"(?:\s*,\s*(?:and\s+|&\s*)?|\s+(?:and|&|or)\s+)"
_NEXT_IN_LIST = re.compile(_LIST_SEPARATOR + r"(" + _WORD + r")(?![\w'’-])")
_PREVIOUS_IN_LIST = re.compile(r"(?<![\w'’-])(" + _WORD + r")" + _LIST_SEPARATOR + r"\Z")


def coordinated_names(text: str, results: list[RecognizerResult], names: Gazetteer) -> list[RecognizerResult]:
    """Single capitalised words listed with a found name are names too ("Steph, Mum, [PERSON], Michelle,
    Vicky", "[PERSON] and Freya"), if they are given names, surnames or in no list; not "Mum", "Physio"."""
    found = []
    for r in results:
        if r.entity_type != "PERSON":
            continue
        end, items = r.end, 0
        while (m := _NEXT_IN_LIST.match(text, end)) and items < _LIST_ITEMS:  # past "Mum" in "Ben, Mum, Vicky"
            if _listed_name(m.group(1), names):
                found.append(RecognizerResult("PERSON", m.start(1), m.end(1), 0.5))
            end, items = m.end(1), items + 1
        start, items = r.start, 0
        while (m := _PREVIOUS_IN_LIST.search(text, max(start - 40, 0), start)) and items < _LIST_ITEMS:
            if _listed_name(m.group(1), names):
                found.append(RecognizerResult("PERSON", m.start(1), m.end(1), 0.5))
            start, items = m.start(1), items + 1
    return found


def _listed_name(word: str, names: Gazetteer) -> bool:
    low = lookup(word)
    if not word[0].isupper() or word.isupper() or low in KNOWN_WORDS or low in CIVIC or low in NOUN_NAMES:
        return False
    return names.is_name_word(word) or names.is_unknown(word) or names.is_misspelt(word)  # "Steph" (step)
