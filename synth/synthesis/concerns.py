"""Concern splitting: a record's redacted text -> the spans that may each raise one concern.

Meeting notes hold several concerns, usually one per sentence ("Lighting on Birch is out. Someone else said
cars fly down Elm."); comments hold one to three. We split on sentence boundaries, keeping abbreviations
("Sgt.", "St.", "Ave.") and redaction tokens intact, and drop fragments too short to carry a concern. Which
spans are real concerns and which are chatter is decided later, by the theme assigner.
"""

from __future__ import annotations

import re

# Words that end with a period without ending the sentence.
_ABBREVIATIONS = {
    "st", "ave", "rd", "dr", "blvd", "ln", "ct", "hwy", "mt", "ft", "n", "s", "e", "w", "no", "apt",
    "mr", "mrs", "ms", "sgt", "lt", "capt", "det", "off", "ofc", "cpl", "jr", "sr", "vs", "etc", "approx",
    "a.m", "p.m", "am", "pm", "u.s", "e.g", "i.e",
}
_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9\[])|\n\s*\n|\n(?=\s*[-*•]\s)")
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
        if _ends_with_abbreviation(buf) and not _street_sentence_end(buf, text[pos:pos + 1]):
            continue
        parts.append(buf)
        buf = ""
    tail = text[pos:]
    buf = f"{buf} {tail}" if buf else tail
    parts.append(buf)
    cleaned = [re.sub(r"\s+", " ", p).strip(" -*•\t") for p in parts]
    return [p for p in cleaned if p]


def _street_sentence_end(fragment: str, next_char: str) -> bool:
    """'... parked on Court St. We started late' ends a sentence; 'Sgt. Bell said' does not."""
    m = re.search(r"(\w+)\.\s*$", fragment)
    if not m:
        return False
    word = m.group(1).lower()
    street_words = {"st", "ave", "rd", "dr", "blvd", "ln", "ct", "hwy"}
    return word in street_words and next_char.isupper()


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


def strip_attribution(span: str) -> str:
    """'A neighbor said that the lamps on Birch are out.' -> 'the lamps on Birch are out.'"""
    m = _ATTRIBUTION.match(span)
    if m and len(span) - m.end() >= _MIN_CHARS:
        return span[m.end():]
    return span


# Place names ("Court St", "the Old Town Library") say where, not what; left in, spans about one street
# cluster together whatever their concern. Mid-sentence capitalised runs are masked for theming only.
_PLACE = re.compile(r"(?:\b[Tt]he\s+)?(?<!^)\b(?:[A-Z][a-z]+\s+)*[A-Z][a-z]+\b")


def theme_text(span: str) -> str:
    """The text a span is embedded by for theming: no attribution, place names masked, first word kept."""
    text = strip_attribution(span)
    return text[:1] + _PLACE.sub("the place", text[1:])
