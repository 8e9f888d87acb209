"""Assigning spans to a coordinator's (or the starter) taxonomy: cues and example phrases, then emerging themes.

A seeded theme brings two kinds of evidence, both written in residents' words:

* **examples**: sentences about the theme. A span's similarity to a theme is the mean of its `top_k` best
  cosine similarities to that theme's examples (nearest examples, not the centroid: "the corner is pitch
  black" is close to one lighting example and far from their average).
* **cues**: regular expressions for words that name the theme outright ("streetlight", "speeding"). A cue
  adds `cue_bonus` to its theme's score and lowers the bar the theme must clear (`cue_floor` instead of
  `free_floor`): a sentence that says "drug dealing" is about drugs even when the small embedding model
  scores it loosely.

The best-scoring theme wins when it clears its bar and the span is not closer to the meeting-chatter
prototypes ("we started late") than to it. What no seeded theme takes may go to an emerging (discovered)
theme by nearest centroid, so new concerns appear beside the taxonomy instead of being forced into a wrong
theme. Pure numpy; the caller embeds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from synth.errors import InputError
from synth.synthesis.models import OTHER_THEME, Theme
from synth.synthesis.themes import normalize_rows


@dataclass(frozen=True)
class SeededConfig:
    # Chosen on a hand-labelled development set of police–community notes (evals/data/police_notes/dev.csv;
    # record-level F1 by a sweep over these five), then checked on its test set. free_floor rose from 0.45 when
    # the starter themes doubled their examples (more examples raise every top_k mean).
    top_k: int = 3  # a span's score for a theme: mean of its top_k similarities to the theme's examples
    cue_bonus: float = 0.10
    cue_floor: float = 0.30  # the score a theme named by a cue must reach
    free_floor: float = 0.48  # the score a theme with cues must reach in a sentence none of them names
    # A coordinator's theme without cues has only its examples to go by: the bar of the nearest-centre
    # assignment it replaced (measured on the sample city), the chatter prototypes guarding against chatter.
    uncued_floor: float = 0.25
    also_floor: float = 0.30  # another theme a cue names in the same sentence, at this score, is raised too
    emerging_floor: float = 0.45  # min similarity to an emerging theme's centre


@lru_cache(maxsize=512)
def compile_cues(cues: tuple[str, ...]) -> re.Pattern[str] | None:
    """One case-insensitive pattern for a theme's cues, each anchored at a word start."""
    if not cues:
        return None
    return re.compile("|".join(rf"\b(?:{c})" for c in cues), re.IGNORECASE)


def check_cues(theme_label: str, cues: Sequence[str], source: str) -> None:
    """A coordinator's cue that is not a valid regular expression is an error naming the theme and the cue."""
    for cue in cues:
        try:
            re.compile(cue)
        except re.error as e:
            raise InputError(source, f"theme {theme_label!r}: cue {cue!r} is not a valid regular expression: {e}") \
                from e


_CUE_MEMO: dict[tuple[str | None, ...], dict[str, np.ndarray]] = {}


def _cue_memo(cues: tuple[str | None, ...]) -> dict[str, np.ndarray]:
    """Span text -> cue hits, for one set of cues (only the latest set is kept)."""
    if cues not in _CUE_MEMO:
        _CUE_MEMO.clear()
        _CUE_MEMO[cues] = {}
    return _CUE_MEMO[cues]


class SeededClassifier:
    """Decides each span's theme: a seeded theme (cues + examples), else an emerging one, else OTHER."""

    def __init__(self, themes: Mapping[str, Theme], examples: Mapping[str, np.ndarray], chatter: np.ndarray,
                 emerging: Mapping[str, np.ndarray] | None = None, config: SeededConfig | None = None) -> None:
        self.config = config or SeededConfig()
        self.ids = [tid for tid in examples if tid in themes and themes[tid].is_concern and len(examples[tid])]
        self.patterns = [compile_cues(tuple(themes[tid].cues)) for tid in self.ids]
        self.no_cue_floor = np.array([self.config.free_floor if p is not None else self.config.uncued_floor
                                      for p in self.patterns], dtype=np.float32)
        blocks = [normalize_rows(np.asarray(examples[tid], dtype=np.float32)) for tid in self.ids]
        self.owner = np.concatenate([np.full(len(b), i) for i, b in enumerate(blocks)]) if blocks else np.zeros(0)
        self.example_matrix = np.concatenate(blocks) if blocks else np.zeros((0, 1), dtype=np.float32)
        self.chatter = normalize_rows(np.asarray(chatter, dtype=np.float32)) if len(chatter) else None
        self.emerging_ids = list(emerging or {})
        self.emerging = np.stack([emerging[t] for t in self.emerging_ids]).astype(np.float32) if emerging else None

    def theme_scores(self, vectors: np.ndarray) -> np.ndarray:
        """spans x seeded themes: mean of the top_k example similarities."""
        vectors = normalize_rows(np.asarray(vectors, dtype=np.float32))
        sims = vectors @ self.example_matrix.T
        out = np.zeros((len(vectors), len(self.ids)), dtype=np.float32)
        for j in range(len(self.ids)):
            cols = sims[:, self.owner == j]
            k = min(self.config.top_k, cols.shape[1])
            out[:, j] = np.sort(cols, axis=1)[:, -k:].mean(axis=1)
        return out

    def cue_hits(self, texts: Sequence[str]) -> np.ndarray:
        """spans x seeded themes: True where a cue of the theme occurs in the span. Each text is searched once
        per set of cues and process (a third of a 10,000-record corpus's classification was these searches,
        repeated for every span whenever a few records were added)."""
        known = _cue_memo(tuple(p.pattern if p is not None else None for p in self.patterns))
        for t in dict.fromkeys(texts):
            if t not in known:
                known[t] = np.array([p is not None and p.search(t) is not None for p in self.patterns], dtype=bool)
        if not texts:
            return np.zeros((0, len(self.ids)), dtype=bool)
        return np.stack([known[t] for t in texts])

    def chatter_scores(self, vectors: np.ndarray) -> np.ndarray:
        if self.chatter is None or not len(vectors):
            return np.full(len(vectors), -np.inf, dtype=np.float32)
        sims = normalize_rows(np.asarray(vectors, dtype=np.float32)) @ self.chatter.T
        k = min(self.config.top_k, sims.shape[1])
        return np.sort(sims, axis=1)[:, -k:].mean(axis=1)

    def classify(self, vectors: np.ndarray, texts: Sequence[str]) -> tuple[list[str], np.ndarray, list[list[str]]]:
        """Each span's theme id (or OTHER_THEME), its score for that theme, and the other seeded themes the span
        also raises ("two more car break-ins on Birch, windows smashed" is theft and vandalism): those a cue
        names whose score reaches `also_floor`."""
        chatter = self.chatter_scores(vectors)
        labels, score, also = self._seeded(vectors, texts, chatter)
        if self.emerging is not None and labels:
            free = np.array([lab == OTHER_THEME for lab in labels])
            sims_e = normalize_rows(np.asarray(vectors, dtype=np.float32)) @ self.emerging.T
            j = sims_e.argmax(axis=1)
            s = sims_e[np.arange(len(labels)), j]
            for i in np.flatnonzero(free & (s >= self.config.emerging_floor) & (s > chatter)):
                labels[i], score[i] = self.emerging_ids[int(j[i])], float(s[i])
        return labels, score, also

    def _seeded(self, vectors: np.ndarray, texts: Sequence[str], chatter: np.ndarray
                ) -> tuple[list[str], np.ndarray, list[list[str]]]:
        """classify() by the seeded themes alone; `chatter`: each span's chatter score."""
        n = len(texts)
        labels = [OTHER_THEME] * n
        score = np.zeros(n, dtype=np.float32)
        also: list[list[str]] = [[] for _ in range(n)]
        if self.ids and n:
            sims = self.theme_scores(vectors)
            hits = self.cue_hits(texts)
            combined = sims + self.config.cue_bonus * hits
            best = combined.argmax(axis=1)
            rows = np.arange(n)
            best_sim, best_hit = sims[rows, best], hits[rows, best]
            floor = np.where(best_hit, self.config.cue_floor, self.no_cue_floor[best])
            taken = (best_sim >= floor) & (best_hit | (best_sim > chatter))
            for i in np.flatnonzero(taken):
                labels[i], score[i] = self.ids[int(best[i])], float(best_sim[i])
            for i, j in zip(*np.nonzero(hits & (sims >= self.config.also_floor)), strict=True):
                if self.ids[int(j)] != labels[i]:
                    also[i].append(self.ids[int(j)])
        return labels, score, also

    def unclaimed(self, vectors: np.ndarray, texts: Sequence[str], records: Sequence[str]) -> np.ndarray:
        """Spans of records no seeded theme takes any span of, that are not chatter: what emerging themes are
        discovered from. A record that raises a seeded theme is covered; its other sentences are mostly
        asides ("we met in the library room"), and clustering them made themes nobody had raised."""
        chatter = self.chatter_scores(vectors)
        labels, _, _ = self._seeded(vectors, texts, chatter)
        covered = {rid for rid, lab in zip(records, labels, strict=True) if lab != OTHER_THEME}
        return (np.array([lab == OTHER_THEME and rid not in covered for lab, rid in zip(labels, records, strict=True)],
                         dtype=bool) & (chatter < self.config.free_floor))
