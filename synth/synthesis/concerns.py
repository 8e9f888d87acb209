"""Concern splitting: a record's redacted text -> the spans that may each raise one concern.

Meeting notes hold several concerns, usually one per sentence ("Lighting on Birch is out. Someone else said
cars fly down Elm."); comments hold one to three. We split on sentence boundaries, keeping abbreviations
("Sgt.", "St.", "Ave.") and redaction tokens intact, and drop fragments too short to carry a concern. Which
spans are real concerns and which are chatter is decided later, by the theme assigner.
"""

from __future__ import annotations

import re

from synth.civic_words import CIVIC, PARK_NOUNS, PLACE_NOUNS, TITLES, word_set

# Words that end with a period without ending the sentence.
_ABBREVIATIONS = {
    "st", "ave", "rd", "dr", "blvd", "ln", "ct", "hwy", "mt", "ft", "n", "s", "e", "w", "no", "apt",
    "mr", "mrs", "ms", "sgt", "lt", "capt", "det", "off", "ofc", "cpl", "jr", "sr", "vs", "etc", "approx",
    "a.m", "p.m", "am", "pm", "u.s", "e.g", "i.e",
}
# A sentence end (also before a lower-case start: comments are often typed without capitals), a blank line,
# or a bullet, on its own line or inline after a sentence ("... on Ash Ct. - One attendee brought ...").
# Note-takers also list concerns inline: "concerns: 1) speeding on Oak 2) lights out on Alder; bikes stolen".
_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?:[-*•]\s+)?(?=[\"'(\[]?[A-Za-z0-9\[])|\n\s*\n|\n(?=\s*[-*•]\s)"
                       r"|;\s+|\s+(?=\(?\d{1,2}\)\s)")
_MIN_CHARS = 12


def _ends_with_abbreviation(fragment: str) -> bool:
    m = re.search(r"([A-Za-z.]+)\.\s*$", fragment)
    if not m:
        return False
    word = m.group(1).lower().rstrip(".")
    # "Court St." ends a sentence as often as it abbreviates; a capitalised street word before it decides.
    return word in _ABBREVIATIONS and not word.isdigit()


def split_sentences(text: str) -> list[str]:
    """Sentence-ish spans of `text`, in order, whitespace-normalised."""
    parts: list[str] = []
    buf = ""
    pos = 0
    for m in _BOUNDARY.finditer(text):
        piece = text[pos:m.start()] + text[m.start():m.end()].rstrip()
        pos = m.end()
        buf = f"{buf} {piece}" if buf else piece
        if _ends_with_abbreviation(buf) and not _street_sentence_end(buf, text[pos:pos + 40]):
            continue
        parts.append(buf)
        buf = ""
    tail = text[pos:]
    buf = f"{buf} {tail}" if buf else tail
    parts.append(buf)
    cleaned = [re.sub(r"\s+", " ", p).strip(" -*•\t") for p in parts]
    return [p for p in cleaned if p]


_STREET_WORDS = {"st", "ave", "rd", "dr", "blvd", "ln", "ct", "hwy"}
# Lower-case words that carry a sentence on past a street abbreviation ("5th Ave. near the park", "Elm St. is
# dark"); any other lower-case word starts a new sentence in text typed without capitals ("canal st. there are").
_CONTINUATIONS = {
    "near", "by", "and", "or", "but", "at", "in", "on", "off", "to", "from", "between", "across", "past", "behind",
    "around", "along", "toward", "towards", "where", "which", "that", "who", "since", "until", "after", "before",
    "for", "with", "is", "are", "was", "were", "has", "have", "had", "gets", "got", "needs", "stays", "still",
    "too", "again", "every", "all", "late", "so", "because", "when", "while", "as", "&",
}


def _street_sentence_end(fragment: str, rest: str) -> bool:
    """'... parked on Court St. We started late' and 'along canal st. there are ...' end a sentence; 'Sgt. Bell
    said', '5th Ave. near the park' and 'the St. Anne's hall' (Saint, after an article) do not."""
    m = re.search(r"(\S+)\s+(\w+)\.\s*$", fragment)
    if not m or m.group(2).lower() not in _STREET_WORDS or m.group(1).lower() in {"the", "a"}:
        return False
    following = re.match(r"[\"'(\[]?([\w&]+)", rest)
    if not following:
        return True
    word = following.group(1)
    return word[:1].isupper() or word.lower() not in _CONTINUATIONS


def split_concerns(text: str) -> list[str]:
    """Spans that could each carry one concern: sentences long enough to say something."""
    return [s for s in split_sentences(text) if len(s) >= _MIN_CHARS]


# Note-takers report who said what ("An older gentleman said the lamps on Birch are out"). The attribution is
# about the speaker, not the concern; left in, it dominates the span's embedding and spans cluster by
# phrasing instead of topic. It is removed for embedding only; quotes keep the full span.
_ATTRIBUTION = re.compile(
    r"^(?:[^.!?]{0,70}?\b)?(?:said|says|felt|feels|mentioned|mentions|added|adds|noted|notes|asked|asks|"
    r"complained|reported|reports|thinks|thought|told us|pointed out|brought up|raised|agreed|wanted to know|"
    r"heard(?: again)?|wrote|writes|echoed|repeated|stressed|shared|explained|believes|wondered)"
    r"(?:\s+(?:that|how|about|whether|if))?\s*[,:]?\s+",
    re.IGNORECASE,
)


# "Gunshots are heard every weekend", "it was reported that": a passive verb reports the concern itself.
_PASSIVE = re.compile(r"\b(?:is|are|was|were|be|been|being|get|gets|got)\s+(?:\w+ly\s+)?\w+(?:\s+(?:again|that|how|"
                      r"about|whether|if))?\s*[,:]?\s*$", re.IGNORECASE)


def strip_attribution(span: str) -> str:
    """'A neighbor said that the lamps on Birch are out.' -> 'the lamps on Birch are out.' A quotation after
    the verb ('The dispatcher said "someone will be out soon"') is kept whole: the speaker is the topic."""
    m = _ATTRIBUTION.match(span)
    if m and len(span) - m.end() >= _MIN_CHARS and span[m.end()] not in "\"'“" and not _PASSIVE.search(
            span[:m.end()]):
        return span[m.end():]
    return span


# Place names ("Court St", "the Old Town Library") say where, not what; left in, spans about one street
# cluster together whatever their concern. Capitalised runs are masked for theming only, keeping the kind of
# place when its last word says it ("Sycamore Park" -> "the park": parks are a theme, streets are not).
_PLACE = re.compile(r"(?:\b[Tt]he\s+)?\b(?:[A-Z][a-z]+\s+)*[A-Z][a-z]+\b(?:\s+(?:St|Ave|Rd|Dr|Blvd|Ln|Ct|Way)\b\.?)?")
_PLACE_KINDS = {
    "st": "the street", "ave": "the street", "rd": "the street", "dr": "the street", "blvd": "the street",
    "ln": "the street", "ct": "the street", "way": "the street", "street": "the street", "avenue": "the street",
    "road": "the street", "park": "the park", "playground": "the playground", "school": "the school",
    "elementary": "the school", "library": "the library", "center": "the center", "centre": "the center",
    "plaza": "the plaza", "church": "the church", "station": "the station", "bridge": "the bridge",
}
# Capitalised words that are not place names: titles ("the Sgt said"), months and days ("Oct 5"), offices and
# services ("Public Works", "Nextdoor") and who residents are ("older Black residents"). Masking them took away
# what a span is about.
_NOT_PLACES = (TITLES | CIVIC | word_set("""
    black white brown latino latina latinx hispanic asian muslim jewish christian somali african caucasian
    korean chinese vietnamese""")) - PLACE_NOUNS - PARK_NOUNS
# A greeting before the first sentence ("Hello, The dealing ...") is letter chrome, not content.
_GREETING = re.compile(
    r"^(?:hello|hi|hi there|good morning|good afternoon|dear \w+|to whom it may concern),(?:\s+|\s*$)",
    re.IGNORECASE)


def _mask_place(m: re.Match[str]) -> str:
    words = m.group(0).rstrip(".").split()
    if all(w.lower() in _NOT_PLACES for w in words[words[0].lower() == "the":]):
        return m.group(0)
    if m.start() == 0 and len(words) == 1:  # a capitalised first word is usually an ordinary word
        return m.group(0)
    return _PLACE_KINDS.get(words[-1].lower(), "the place")


def says_nothing(span: str) -> bool:
    """True for a span with no words left once greeting and attribution are gone ("Dear department,"). Place
    masking is skipped: it only rewrites words into other words."""
    return not re.search(r"[^\W\d_]", strip_attribution(_GREETING.sub("", span)))


def theme_text(span: str) -> str:
    """The text a span is embedded by for theming: no greeting or attribution, place names masked."""
    return _PLACE.sub(_mask_place, strip_attribution(_GREETING.sub("", span)))
