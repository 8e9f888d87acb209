"""Argument checks shared by the batch APIs (embedders, sentiment models)."""

from __future__ import annotations

from collections.abc import Sequence


def check_texts(texts: Sequence[str], method: str = "embed()") -> list[str]:
    """A list of str, or a TypeError that names the method and what was passed instead."""
    if isinstance(texts, str):
        raise TypeError(f"{method} takes a sequence of texts, not a single string; wrap it in a list")
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise TypeError(f"text {i} is {type(t).__name__}, expected str")
    return out
