"""The last check before residents' words leave synth: every quote passes the redactor again.

Records are redacted before they are stored, but a store written by an earlier, weaker redactor (or a value a
recogniser missed then and catches now) must not be quoted as it is. So the quotes of fact sheets (which also
feed the narrative prompt), the snippets `ask` cites and the rows `synth records export` writes go through the
current redactor once more. Already-redacted text comes back unchanged ("[PERSON]" stays "[PERSON]").

The redactor is built on first use (presidio loads its models then), and each distinct text is redacted once
(exports, read once, are not remembered).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from synth.redact import Redactor

Scrub = Callable[[Sequence[str]], list[str]]


class OutboundScrubber:
    def __init__(self, redactor: Callable[[], Redactor]) -> None:
        self._redactor = redactor
        self._seen: dict[str, str] = {}

    def __call__(self, texts: Sequence[str], *, remember: bool = True) -> list[str]:
        """`texts` redacted again. `remember=False` for a stream read once (an export of every record), so the
        cache does not grow with the store."""
        if not remember:
            return [r.text for r in self._redactor().redact_batch(list(texts))]
        todo = [t for t in dict.fromkeys(texts) if t not in self._seen]
        if todo:
            for text, result in zip(todo, self._redactor().redact_batch(todo), strict=True):
                self._seen[text] = result.text
        return [self._seen[t] for t in texts]
