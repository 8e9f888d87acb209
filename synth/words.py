"""Word normal forms shared by the redactor's name lists and the named-person check of `synth ask`; kept free
of heavy imports so a question does not load spaCy to fold a word."""

from __future__ import annotations

import functools
import unicodedata


def lookup(word: str) -> str:
    """The form the vocabulary is written in: lower case, straight apostrophe, no possessive or period."""
    low = word.lower().replace("’", "'").rstrip(".,")
    return low[:-2] if low.endswith("'s") else low


@functools.lru_cache(maxsize=200_000)  # names are looked up word by word, the same words again and again
def fold(word: str) -> str:
    """Lower case without accents: "Szczepański" -> "szczepanski", "Álvarez" -> "alvarez"."""
    decomposed = unicodedata.normalize("NFKD", lookup(word))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("ł", "l")
