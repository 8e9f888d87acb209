"""Feature hashing of words and word pairs: deterministic, no model (tests)."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from synth.errors import ConfigError
from synth.texts import check_texts
from vectorstore.embedder import l2_normalise

_WORD = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    """Signed feature hashing of lower-cased word unigrams and bigrams, sublinear tf, L2-normalised.

    Deterministic across processes (blake2b, not Python's salted hash), no model, ~tens of thousands of
    texts/s. Texts sharing words are closer than unrelated texts; there is no semantics beyond that.
    Empty texts map to one fixed unit vector.
    """

    def __init__(self, dim: int = 384) -> None:
        if dim < 2:
            raise ConfigError(f"hashing embedder dimension must be >= 2, got {dim}")
        self.dim = dim
        self.name = f"hashing-{dim}"

    @classmethod
    def from_settings(cls, settings: Any) -> HashingEmbedder:
        return cls()

    def config(self) -> dict[str, Any]:
        return {"kind": "hashing", "dim": self.dim}

    def _bucket(self, feature: str) -> tuple[int, float]:
        h = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")
        return h % self.dim, (1.0 if (h >> 63) & 1 else -1.0)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = check_texts(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _WORD.findall(text.lower())
            counts: dict[str, int] = {}
            for f in words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]:
                counts[f] = counts.get(f, 0) + 1
            if not counts:
                counts = {"\x00empty": 1}
            for f, c in counts.items():
                i, sign = self._bucket(f)
                out[row, i] += sign * (1.0 + math.log(c))
        # A hash collision could cancel every feature; fall back to the empty-text vector then.
        zero = np.linalg.norm(out, axis=1) == 0
        if zero.any():
            i, sign = self._bucket("\x00empty")
            out[zero, i] = sign
        return l2_normalise(out)
