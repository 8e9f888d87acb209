"""A synthetic city with exact ground truth, for the demo, the tests and the evaluations.

The city
--------
Six police districts ("District 1" ... "District 6"), each with its own streets, landmarks, parks, youth
centres, meeting venues and two note-takers. Residents raise concerns from a city-wide taxonomy of ten
themes (`THEMES`, read from ``data/themes.yaml``). Feedback arrives through four channels, in the formats the
ingest readers accept:

* ``notes/<meeting_id>.md`` - one kitchen-table meeting per file (~40% of records): a ``Key: value`` header,
  a blank line, then the note-taker's prose, 60-180 words (1-4 concerns, typos, off-topic chatter,
  paraphrases; sometimes bullets, sometimes two paragraphs - so the body itself may contain a blank line and
  the header ends at the FIRST blank line). ~30% use the standard form, which adds ``Top concerns`` and
  ``Overall sentiment`` header lines and has a shorter body (40-120 words).
* ``comments/web_form.csv`` (columns ``id,kind,text,district,location,date,channel``),
  ``comments/survey.jsonl`` and ``comments/email.json`` - short comments (1-3 sentences, usually 1-2
  concerns). A handful of web-form texts contain commas, double quotes and newlines.

How a record is made
--------------------
Every record is planned first (kind, district, date), then the plan is sorted by date so ids and meeting
numbers run chronologically. For each record the generator draws the number of concerns, draws that many
distinct themes from weights that depend on (district, month) - this is where the planted stories live
(`STORIES`) - and draws one sentiment per concern from a theme-specific mix (also story-dependent). The text
is then assembled from the phrase banks in ``samplecity/data/``, so the truth is what was generated, never an
estimate.

Wording varies with the seed
----------------------------
So that nothing can be tuned to one fixed set of sentences, each seed writes its own city: every concern has
fixed clauses (themes.yaml) and sentence frames with alternatives (frames.yaml, ``[a|b|c]``), and the seed's
`Lexicon` (grammar.py) ranks every option list its own way, so one city favours "the lamps on Elm are out" and
another "most of the streetlights along Elm have been dead since last month". Meeting notes come in note-taker
styles (notes.py: plain, third-person "reported", long prose, terse shorthand, bullets, lower case with
typos); each note-taker has a usual style drawn from the seed. Every phrasing says exactly its theme and its
concern's sentiment (tests/test_sample.py checks every frame expansion). The wording draws from its own
random generator, so rewording never changes the plan or the truth. ``python -m samplecity.variety`` measures
how different two seeds' sentences are.

Planted stories (`STORIES`, one per district): lighting leads District 3 and surges in the last two months;
speeding dominates District 5; response times worsen in District 2 in the last month (more, and nearly all
negative); graffiti fades steadily in District 1; youth programs are praised in District 4; parks in
District 6 turn from mostly negative to mostly positive (and more talked about) from mid-period.

Sentiment rule
--------------
Each concern has its own label: ``negative`` (complaint), ``positive`` (praise), ``neutral`` (a question) or
``mixed`` (praise and complaint in one breath). A record's overall sentiment is derived from its concerns:
score = (#positive concerns) - (#negative concerns), neutral and mixed count 0; score > 0 -> positive,
score < 0 -> negative, score == 0 -> neutral. (So all-positive -> positive, all-negative -> negative,
otherwise the majority of the polar concerns, ties -> neutral.) Standard-form notes also carry the
note-taker's own ``Overall sentiment`` line: ``mixed`` if the note has a mixed concern or both a positive and
a negative one, otherwise the derived label; it is kept in the truth as ``form_sentiment``.

Personal data and prompt injection
----------------------------------
Exactly ``pii_records`` records carry planted personal data (resident and officer full names, phone numbers
in several formats, e-mail addresses, house-numbered street addresses); every planted string is listed in
the truth. No other record contains a house-numbered address, a phone number or an e-mail address, nor a
person's name (officers are praised as "the bike patrol officers", never by name). Note-taker names appear
only in the note headers (listed in ``note_takers``). ``injection_records`` comments carry an instruction
aimed at an LLM mixed into a real complaint; their real themes still count.

Same seed and arguments -> byte-identical files (seeded `random.Random`s only, no sets, no clocks).
"""

from samplecity.generate import generate_city
from samplecity.plan import NOTE_WORDS, month_list
from samplecity.truth import (
    CityTruth,
    PlantedStory,
    RecordTruth,
    ThemeTruth,
    load_truth,
    overall_sentiment,
    theme_truth,
)
from samplecity.vocabulary import DISTRICT_NAMES, THEME_IDS, THEMES, Theme

__all__ = [
    "DISTRICT_NAMES",
    "NOTE_WORDS",
    "THEMES",
    "THEME_IDS",
    "CityTruth",
    "PlantedStory",
    "RecordTruth",
    "Theme",
    "ThemeTruth",
    "generate_city",
    "load_truth",
    "month_list",
    "overall_sentiment",
    "theme_truth",
]
