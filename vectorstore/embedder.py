"""The `Embedder` protocol every embedder follows, and the L2 normalisation they share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    """Turns texts into vectors. `embed` returns float32 (n, dim), rows L2-normalised, in input order.

    Not runtime-checkable on purpose: on Python 3.11 isinstance() would read `dim`, which for
    OpenAIEmbedder with an unknown model costs a request.
    """

    @property
    def name(self) -> str:
        """Identifies the model (vectors from different names are not comparable)."""
        ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def l2_normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)
