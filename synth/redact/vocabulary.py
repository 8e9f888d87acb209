"""The word lists the name recognizers and the prefilter share, and the model's `Lexicon` of English
verbs, adjectives and adverbs. Except NAME_WORDS, no set here may hold a given name (see "Why the prefilter is
safe" in synth/redact/__init__.py).
"""

from __future__ import annotations

import re

import spacy
from spacy.lang.en.stop_words import STOP_WORDS

from synth.civic_words import (  # noqa: F401  (re-exported: the redactor's modules import them from here)
    CIVIC,
    PARK_NOUNS,
    PLACE_NOUNS,
    STREET_SUFFIXES,
    TITLE_ABBREVIATIONS,
    TITLES,
    word_set,
)
from synth.words import lookup  # noqa: F401  (re-exported: the redactor's modules import it from here)

AMBIGUOUS_MONTHS = word_set("april may june august")  # a month only next to a number or after TIME_WORDS
TIME_WORDS = word_set("in since by until till before after during through early late mid next last this each")
ACRONYMS = word_set("""
    ok pd dot dpw ada hoa cctv id pm am tv us usa ems er dui suv led eta faq rsvp cpr aed gps nypd lapd cpd
    sfpd spd ice fbi dea atf k9 ups usps fema hud cdbg cip pta ymca ywca vfw naacp aclu irs dmv da adu lgbtq
    bipoc nhs gp covid""")
STOP = (frozenset(STOP_WORDS) - {"will", "may"}) | word_set("i'm i've i'd i'll")
# Words that start sentences in civic notes, written by hand.
COMMON = STOP | word_set("""
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
NAME_WORDS = word_set("""
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
SPEECH_VERBS = word_set("""
    said says asked asks called calls reported reports mentioned complained noted stated explained told
    wrote emailed texted suggested added shared thanked requested urged raised described agreed replied
    responded answered commented spoke presented volunteered offered confirmed promised recommended argued
    claimed insisted warned lives lived""")
# Before a name: contact verbs, introductions, sign-offs ("call Dana", "my name is Tyrone", "Regards, Jo").
NAME_LEADS = word_set("""
    call called contact contacted text texted email emailed ask asked thank thanks thanked tell told met meet
    i'm i’m signed sincerely regards cheers hi hello hey dear hola""") | {"my name is", "this is", "i am"}
# After these, a sentence-initial common word is used as a name ("Mark was great", "Grace said").
PERSON_FOLLOWERS = SPEECH_VERBS | word_set("is was has had and did does will would can could")
# Hand-written words that are not names: common words, titles, civic words that are not also surnames.
KNOWN_WORDS = COMMON | TITLES | (CIVIC - word_set("hall ward park west north south east lane way church"))
PLURAL_ENDINGS = ("ers", "ents", "ants", "ies", "ees", "ists", "ians", "ors")  # "Organizers said"


def alternation(words: frozenset[str]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


def with_capitals(words: frozenset[str]) -> frozenset[str]:
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


# Word patterns the recognizers and the prefilter share.
NEXT_WORD = re.compile(r"[ \t]+(\w+)")
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")  # letters, with inner ' or - (O'Brien, Nguyen-Tran)
CHUNK = re.compile(r"\S+")
