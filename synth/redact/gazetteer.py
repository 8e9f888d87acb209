"""Name lists: US census given names and surnames (the `names` package ships the Census Bureau's 1990 files),
the English words of the spaCy model's WordNet tables, and what they say about a word.

A word is a *name word* when it is a given name, or a surname that is not also an English word ("Alvarado",
"Szczepanski" are; "Chestnut", "Cave" are not). Accents are folded before a lookup ("Szczepański").
"""

from __future__ import annotations

import functools
import importlib.resources

import spacy

from synth.redact.vocabulary import ACRONYMS, CIVIC, KNOWN_WORDS, NAME_WORDS, STOP, Lexicon, lookup, word_set
from synth.words import fold

_GIVEN_FILES = ("dist.female.first", "dist.male.first")
_SURNAME_FILE = "dist.all.last"


COMMON_SURNAME_RANK = 2000  # the 2,000 most frequent surnames: Brown, Hall, West, Walker ...
RARE_SURNAME_RANK = 20000  # past this rank a lone surname is more often a place or a brand ("Natcher")


@functools.cache
def _census(name: str) -> dict[str, int]:
    """Name -> rank (1 = most frequent) in one census file."""
    text = importlib.resources.files("names").joinpath(name).read_text(encoding="ascii")
    return {parts[0].lower(): int(parts[3]) for parts in map(str.split, text.splitlines()) if len(parts) == 4}


def _given_raw() -> frozenset[str]:
    return frozenset(_census(_GIVEN_FILES[0]).keys() | _census(_GIVEN_FILES[1]).keys())


_CONTRACTIONS = ("n't", "'re", "'ve", "'ll", "'d", "'m")
POPULAR_GIVEN_RANK = 1000  # within each census file (female, male)
SLIP_SAFE_GIVEN_RANK = 500  # a given name this frequent is never read as a misspelt word ("jorge", "lucy")


@functools.cache
def popular_given_names() -> frozenset[str]:
    """The POPULAR_GIVEN_RANK most frequent female and male given names ("lucy", "tom"; not "aide", "min")."""
    return frozenset(name for file in _GIVEN_FILES for name, rank in _census(file).items()
                     if rank <= POPULAR_GIVEN_RANK) & given_names()


@functools.cache
def slip_safe_given_names() -> frozenset[str]:
    """The SLIP_SAFE_GIVEN_RANK most frequent female and male given names."""
    return frozenset(name for file in _GIVEN_FILES for name, rank in _census(file).items()
                     if rank <= SLIP_SAFE_GIVEN_RANK) & given_names()


@functools.cache  # static data: computed once per process (ingest asks per row, ask per question)
def given_names() -> frozenset[str]:
    """Census given names, without the stop words and civic words its files also hold ("in", "many")."""
    return _given_raw() - STOP - KNOWN_WORDS - ACRONYMS - (CIVIC - NAME_WORDS)


def surnames() -> dict[str, int]:
    return _census(_SURNAME_FILE)


# Given names that are also everyday nouns: in lower case they are read as the noun ("the bill", "a rose").
NOUN_NAMES = word_set("""
    angel april art ash august autumn babe baby bay bill birch bishop brook buck bud candy carol chance charity
    chip clay cliff crystal daisy dale dawn dean destiny dot duke earl eve faith fern forest gale gene ginger
    glen grace guy harmony hazel heath holly honey hope hunter iris ivy jack jade jasmine jay jewel joy judge
    june king lady lane lily major march may mercy olive page patience pearl penny prince queen rain ray river
    robin rock rose ruby sky star storm summer trinity violet will winter
    van numbers brandy mac dick tad basil beau ivory laurel opal pansy rod sherry flora melody max kitty dolly
    billy bobby hank ken ted toby tory trey reed cole chad heather myrtle rex rosemary chi sang sung teddy
    sonny carol mason carter walker tanner fletcher freeman jasper viola angelica georgette savannah john
    johnny sally patsy mickey joe""")


def english_lexicon(nlp: spacy.language.Language) -> Lexicon:
    """Nouns, verbs, adjectives and adverbs with their regular inflections ("talked", "houses")."""
    lookups = nlp.get_pipe("lemmatizer").lookups  # type: ignore[attr-defined]
    index, exceptions = lookups.get_table("lemma_index"), lookups.get_table("lemma_exc")
    rules = lookups.get_table("lemma_rules")
    pos = ("noun", "verb", "adj", "adv")
    return Lexicon({p: frozenset(index[p]) for p in pos}, frozenset(w for p in pos for w in exceptions.get(p, {})),
                   {p: [tuple(rule) for rule in rules.get(p, [])] for p in pos})


def english_words(nlp: spacy.language.Language) -> tuple[frozenset[str], frozenset[str]]:
    """(every English word, the English words a given name in lower case is read as). Every WordNet lemma and
    listed inflection in the model's lemmatizer tables, plus the hand-written known words; WordNet also lists
    people ("lucy", "paul"), so the second set keeps only the nouns that are no given name, and NOUN_NAMES."""
    lookups = nlp.get_pipe("lemmatizer").lookups  # type: ignore[attr-defined]
    index, exceptions = lookups.get_table("lemma_index"), lookups.get_table("lemma_exc")
    base = set(KNOWN_WORDS | STOP | NOUN_NAMES)
    for pos in ("verb", "adj", "adv"):
        base.update(w for w in index[pos] if "_" not in w)
        base.update(exceptions.get(pos, {}))
    nouns = {w for w in index["noun"] if "_" not in w} | set(exceptions.get("noun", {}))
    return frozenset(base | nouns), frozenset(base | (nouns - popular_given_names()))


def common_words(nlp: spacy.language.Language, plain_english: frozenset[str], inflected: Lexicon) -> frozenset[str]:
    """The English words of 3+ letters a misspelt word is read as: those the model's vocabulary holds (the words
    of the text it was trained on, so common ones; not most of WordNet's rare words), inflected forms too
    ("dealers"), no given name."""
    given = given_names()
    seen = {s for s in nlp.vocab.strings if len(s) > 2 and s.isascii() and s.isalpha() and s.islower()}
    return frozenset(w for w in seen if w in plain_english or (w not in given and w in inflected)) | frozenset(
        w for w in KNOWN_WORDS | STOP if len(w) > 2)


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def one_slip_away(word: str) -> set[str]:
    """Every string one slip from `word`: a letter dropped, added or replaced, or two adjacent letters swapped.
    A word of three letters is close to too many others: only a letter it lacks ("kds" for "kids")."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    if len(word) < 4:
        return {a + c + b for a, b in splits for c in _LETTERS}
    return ({a + b[1:] for a, b in splits if b} | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
            | {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
            | {a + c + b for a, b in splits for c in _LETTERS})


class Gazetteer:
    """Answers "could this word be part of a person's name?" from the census lists and the English words."""

    def __init__(self, english: frozenset[str], plain_english: frozenset[str], inflected: Lexicon,
                 verbs_and_adjectives: Lexicon, common: frozenset[str] = frozenset()) -> None:
        # the census files hold a few everyday words as given names ("nice", "kind"): not names here
        self._given = frozenset(w for w in given_names() if w not in verbs_and_adjectives)
        self._popular = popular_given_names()
        self._surnames = surnames()
        self._english = english
        self._plain = plain_english
        self._inflected = inflected
        self._verbs_and_adjectives = verbs_and_adjectives
        self._common = common
        self._slip_safe = slip_safe_given_names()
        self._slip_cache: dict[str, frozenset[str]] = {}  # folded word -> readings
        self._word_readings: dict[str, frozenset[str]] = {}  # word as written -> readings
        self._misspelt_cache: dict[str, bool] = {}
        self._english_cache: dict[str, bool] = {}
        self._maybe_cache: dict[str, bool] = {}

    @classmethod
    def from_spacy(cls, nlp: spacy.language.Language) -> Gazetteer:
        english, plain = english_words(nlp)
        inflected = english_lexicon(nlp)
        return cls(english, plain, inflected, Lexicon.from_spacy(nlp), common_words(nlp, plain, inflected))

    def is_english(self, word: str) -> bool:
        low = fold(word)
        known = self._english_cache.get(low)
        if known is None:
            if len(self._english_cache) > 500_000:  # a long-running service sees new words without end
                self._english_cache.clear()
            known = self._english_cache[low] = self._is_english(low)
        return known

    def could_be_name(self, word: str) -> bool:
        """Cheap first test: a given name, a surname, or no English word."""
        known = self._maybe_cache.get(word)
        if known is None:
            if len(self._maybe_cache) > 500_000:
                self._maybe_cache.clear()
            low = fold(word)
            known = self._maybe_cache[word] = (low in self._given or self.is_surname(word)
                                               or not self.is_english(word))
        return known

    def _is_english(self, low: str) -> bool:
        if low[1:2] == "'" and low[:1] in "od":  # O'Brien, D'Souza
            return False
        if low.endswith(_CONTRACTIONS):  # haven't, they're
            return True
        return low in self._english or (low not in self._given and low in self._inflected)

    def is_given(self, word: str) -> bool:
        return fold(word) in self._given

    def _surname_rank(self, word: str) -> int | None:
        low = fold(word)  # the census writes O'Brien as OBRIEN
        return self._surnames.get(low) or self._surnames.get(low.replace("'", "").replace("-", ""))

    def is_surname(self, word: str) -> bool:
        return self._surname_rank(word) is not None

    def is_listed_noun_or_name(self, word: str) -> bool:
        """In the census lists and, if English, only as a noun ("Angus", "Morrison"; not "Bowling", "Cave")."""
        low = fold(word)
        return (low in self._given or self.is_surname(word)) and low not in self._verbs_and_adjectives

    def is_common_surname(self, word: str) -> bool:
        """Among the COMMON_SURNAME_RANK most frequent, English word or not ("Morrison", "Walker")."""
        return (self._surname_rank(word) or COMMON_SURNAME_RANK + 1) <= COMMON_SURNAME_RANK

    def is_name_word(self, word: str) -> bool:
        """A given name, or a surname that is not an English word."""
        low = fold(word)
        return low in self._given or (self.is_surname(word) and not self.is_english(word))

    def is_lone_name_word(self, word: str) -> bool:
        """Enough on its own: a given name or a surname among the RARE_SURNAME_RANK most frequent."""
        low = fold(word)
        return low in self._given or ((self._surname_rank(word) or RARE_SURNAME_RANK + 1) <= RARE_SURNAME_RANK
                                      and not self.is_english(word))

    def is_thing_word(self, word: str) -> bool:
        """An English word, or a misspelt one, that is no name: not a given name, not one of NAME_WORDS, not a
        common surname ("Investor", "Waste", "Wste", "Course"; not "Brown", "Walker")."""
        low = fold(word)
        return (len(low) > 2 and (self.is_english(word) or self.is_misspelt(word)) and low not in self._given
                and low not in NAME_WORDS
                and low not in STOP and (self._surname_rank(word) or COMMON_SURNAME_RANK + 1) > COMMON_SURNAME_RANK)

    def is_strong_name_word(self, word: str) -> bool:
        """A name word that reads as no English word in lower case ("jorge", "lucy", "alvarado"; not "will",
        "grace", "bill", "young")."""
        low = fold(word)
        return (self.is_name_word(word) and low not in self._plain
                and not (low.endswith("s") and low[:-1] in self._plain))

    def is_popular_given(self, word: str) -> bool:
        return fold(word) in self._popular

    def is_unknown(self, word: str) -> bool:
        """Neither an English word nor in the lists ("Oluwaseun", "Adeyemi"), nor a misspelt English word."""
        low = fold(word)
        return not (self.is_english(word) or low in self._given or self.is_surname(word) or self.is_misspelt(word))

    def readings(self, word: str) -> frozenset[str]:
        """The common English words one slip from `word`, if it has 3+ letters and is no English word itself
        ("goone": gone, goose ...)."""
        found = self._word_readings.get(word)  # as written: most calls are for words seen before
        if found is None:
            if len(self._word_readings) > 500_000:
                self._word_readings.clear()
            found = self._word_readings[word] = self._folded_readings(word)
        return found

    def _folded_readings(self, word: str) -> frozenset[str]:
        low = fold(word)
        if not (len(low) > 2 and low.isascii() and low.isalpha()):
            return frozenset()
        found = self._slip_cache.get(low)
        if found is None:
            if len(self._slip_cache) > 500_000:
                self._slip_cache.clear()
            found = self._slip_cache[low] = (frozenset() if self.is_english(word)
                                             else frozenset(one_slip_away(low) & self._common))
        return found

    def is_misspelt(self, word: str) -> bool:
        """A word one slip from a common English word (`readings`): in lower case also a census name ("goone",
        "kds", "siad"), a given name only if past the SLIP_SAFE_GIVEN_RANK most frequent and one slip from a
        known word or an English verb, adjective or adverb ("yong": young; not "jorge", "lucy", "abby": abbey);
        capitalised only a word in no list ("Bnak", "Schooi"; not "Raman", "Bello")."""
        known = self._misspelt_cache.get(word)
        if known is None:
            if len(self._misspelt_cache) > 500_000:
                self._misspelt_cache.clear()
            known = self._misspelt_cache[word] = self._is_misspelt(word)
        return known

    def _is_misspelt(self, word: str) -> bool:
        if not self.readings(word):
            return False
        low = fold(word)
        if word.islower():
            return low not in self._slip_safe and (low not in self._given or any(
                w in KNOWN_WORDS or w in self._verbs_and_adjectives for w in self.readings(word)))
        return not (low in self._given or self.is_surname(word))

    def could_be_slip(self, word: str) -> bool:
        """A surname or a word in no list, one slip from a common English word ("Geren", "Bak"; not "Zoë")."""
        return bool(self.readings(word)) and fold(word) not in self._given

    def reads_as_one_of(self, word: str, words: frozenset[str]) -> bool:
        """In `words`, or a slip from one of them and no name that stands alone ("couty" for "county")."""
        return lookup(word) in words or (not words.isdisjoint(self.readings(word))
                                         and not self.is_lone_name_word(word))
