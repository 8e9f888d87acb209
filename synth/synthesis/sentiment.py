"""Sentiment of a concern or a record: positive / neutral / negative and a score in [-1, 1], fully offline.

    SentimentModel     the protocol (version, score_batch(texts, vectors=None))
    OfflineSentiment   the default: logistic regression on MiniLM embeddings, VADER compound and word n-grams
    VaderSentiment     plain VADER (compound >= 0.05 positive, <= -0.05 negative), the baseline to beat

Why not VADER alone
-------------------
Civic feedback is mostly complaints phrased as facts: "Response time to my 911 call was over an hour." has no
negative word in it, so VADER calls it neutral. OfflineSentiment reads the sentence embedding and word
n-grams, trained on human-labelled feedback and on civic examples, so it knows that an hour-long wait for a
911 call is bad news. The civic examples also teach that a proposal is not a complaint ("The city should add
bike lanes" is neutral unless it states a problem), that a politely worded complaint is still one, and how
meeting notes report residents ("Residents raised ...", "Attendees thanked ...").

The model
---------
A three-class multinomial logistic regression (negative, neutral, positive) over three feature blocks:

* the 384-d L2-normalised MiniLM vector of the text (what it is about and, roughly, how it feels);
* ``vader_scale * compound``, VADER's lexicon score. Model selection decides its scale; for sentiment_v1 and
  sentiment_v2 it chose 0 (cross-validation found no gain), so VADER is not even computed at run time;
* word unigrams and bigrams from a fixed vocabulary (``lexical_terms``; present/absent, the row L2-normalised,
  times ``lex_scale``) - cues the embedding blurs: "nobody", "never came", "went above and beyond".

With p = softmax(W x + b):

    score = p(positive) - p(negative)                      in [-1, 1]
    label = "positive" if score >  t_pos
            "negative" if score < -t_neg
            "neutral"  otherwise

Domain adaptation: training used feature augmentation (Daume III, 2007): every feature has a shared weight
learnt from NHS and civic rows alike, plus a civic-only weight and a civic intercept learnt from the civic
rows, so cues that only hold in patient feedback ("took time to explain" is praise there) do not have to
hold for civic feedback. Deployed, every text is civic: W and b here are shared + civic weights, already
added. The thresholds t_pos and t_neg were tuned on held-out predictions at training time. Coefficients,
vocabulary, thresholds, the version string and the name of the embedder whose vectors the coefficients
expect live in ``data/sentiment_v2.npz``; nothing is trained here, this module only loads that file. The
version string is part of the annotator key, so spans scored by an older model are scored again.

Training data and label mapping (details: ``scripts/train_sentiment.py``, ``evals/nhs_sentiment.py``)
-----------------------------------------------------------------------------------------------------
* NHS patient feedback (pxtextmining phase 1, MIT, NHS England) with human criticality scores -4..+4,
  cleaned: stray scores (``-o``, ``NA``, ``-9`` ...) rejected; 0 (a catch-all that holds many positive
  comments), +1 and -1 (weak, often mixed) dropped; >= +2 -> positive, <= -2 -> negative, except the
  "Nothing to improve" answers, which are neutral when they are only "nothing"-words ("No.", "Nothing at
  all") and dropped otherwise; texts deduplicated; each topic category balanced between positive and
  negative so the model learns polarity rather than "facilities talk is negative".
* A hand-written civic seed set (~470 sentences, written in ``scripts/train_sentiment.py`` and
  ``scripts/civic_seed_v2.py``) to cover the shift from health to policing and city services: complaints
  (many phrased as facts or politely), praise of officers, departments and programs, proposals, wishes and
  policy stances (neutral), logistics, and meeting-note phrasing.

Measured figures (before and after, commands): README's evaluation section and ``evals/thresholds.yaml``; the
civic figure comes from ``synth eval --dataset civic-sentiment`` (Polis statements labelled by hand; never
used for training).

Callers split mixed texts into sentences or concerns themselves; a text is scored as a whole.
"""

from __future__ import annotations

import io
import json
import logging
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from synth.errors import ConfigError
from synth.synthesis.models import SentimentLabel, SentimentScore
from synth.texts import check_texts

if TYPE_CHECKING:
    from vectorstore.embeddings import Embedder

__all__ = [
    "DEFAULT_WEIGHTS",
    "OfflineSentiment",
    "SentimentModel",
    "SentimentWeights",
    "VaderSentiment",
    "build_features",
    "label_scores",
    "lexical_rows",
    "lexical_terms",
    "load_weights",
    "vader_analyzer",
    "vader_compounds",
]

logger = logging.getLogger(__name__)

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "data" / "sentiment_v2.npz"
CLASSES: tuple[SentimentLabel, ...] = ("negative", "neutral", "positive")  # row order of the coefficients
VADER_THRESHOLD = 0.05  # VADER's own recommended cut-off for its compound score


@runtime_checkable
class SentimentModel(Protocol):
    """Scores texts; returns one SentimentScore per text, in input order."""

    version: str

    def score_batch(self, texts: list[str], vectors: np.ndarray | None = None) -> list[SentimentScore]: ...


# --------------------------------------------------------------------------------------------------------
# Shared by training and inference
# --------------------------------------------------------------------------------------------------------


def vader_analyzer() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def vader_compounds(analyzer: Any, texts: Sequence[str]) -> np.ndarray:
    """VADER compound score (-1..1) of each text, float32 (n,)."""
    return np.fromiter((analyzer.polarity_scores(t)["compound"] for t in texts), dtype=np.float32,
                       count=len(texts))


def build_features(vectors: np.ndarray, compounds: np.ndarray, vader_scale: float) -> np.ndarray:
    """Feature matrix (n, dim + 1): the embedding, then the scaled VADER compound."""
    vectors = np.asarray(vectors, dtype=np.float32)
    compounds = np.asarray(compounds, dtype=np.float32).reshape(-1, 1)
    return np.hstack([vectors, np.float32(vader_scale) * compounds])


_TOKEN = re.compile(r"[a-z0-9']+")


def lexical_terms(text: str) -> set[str]:
    """Lower-cased word unigrams and bigrams (bigrams joined by a space); curly apostrophes normalised."""
    tokens = [t.strip("'") for t in _TOKEN.findall(text.lower().replace("\u2019", "'"))]
    tokens = [t for t in tokens if t]
    return set(tokens) | {f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)}


def lexical_rows(texts: Sequence[str], vocabulary: dict[str, int]) -> list[np.ndarray]:
    """For each text, the sorted vocabulary indices of the terms it contains."""
    return [np.array(sorted(vocabulary[t] for t in lexical_terms(x) if t in vocabulary), dtype=np.int64)
            for x in texts]


def label_scores(scores: np.ndarray, t_pos: float, t_neg: float) -> list[SentimentLabel]:
    """Map scores (p_pos - p_neg) to labels; the neutral band [-t_neg, t_pos] includes its ends."""
    out: list[SentimentLabel] = []
    for s in np.asarray(scores, dtype=np.float64):
        if s > t_pos:
            out.append("positive")
        elif s < -t_neg:
            out.append("negative")
        else:
            out.append("neutral")
    return out


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _scores_from_probs(probs: np.ndarray) -> np.ndarray:
    return np.clip(probs[:, CLASSES.index("positive")] - probs[:, CLASSES.index("negative")], -1.0, 1.0)


def _to_results(scores: np.ndarray, labels: list[SentimentLabel]) -> list[SentimentScore]:
    return [SentimentScore(label=lab, score=float(s)) for s, lab in zip(scores, labels, strict=True)]


# --------------------------------------------------------------------------------------------------------
# Weights file
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SentimentWeights:
    """Everything inference needs; written by scripts/train_sentiment.py, read by load_weights."""

    version: str
    embedder: str  # Embedder.name the coefficients were trained on
    dim: int
    coef: np.ndarray  # (3, dim + 1): embedding then VADER compound, rows in CLASSES order
    lex_coef: np.ndarray  # (3, len(vocabulary))
    vocabulary: tuple[str, ...]
    intercept: np.ndarray  # (3,), the civic intercept (domain weight folded in)
    vader_scale: float
    lex_scale: float
    t_pos: float
    t_neg: float
    meta: dict[str, Any]  # training summary (data counts, hyperparameters, figures); informational

    @property
    def index(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.vocabulary)}

    def logits(self, dense: np.ndarray, lexical: list[np.ndarray]) -> np.ndarray:
        """Class logits (n, 3) from dense features (n, dim + 1) and each row's vocabulary indices."""
        z = dense.astype(np.float64) @ self.coef.T.astype(np.float64) + self.intercept.astype(np.float64)
        lex = self.lex_coef.astype(np.float64)
        for i, idx in enumerate(lexical):
            if len(idx):
                z[i] += lex[:, idx].sum(axis=1) * (self.lex_scale / np.sqrt(len(idx)))
        return z

    def probabilities(self, dense: np.ndarray, lexical: list[np.ndarray]) -> np.ndarray:
        return _softmax(self.logits(dense, lexical))

    def save(self, path: Path) -> None:
        """Write an .npz (a zip of .npy files) byte-for-byte reproducibly: fixed order, fixed timestamps."""
        arrays = {
            "version": np.array(self.version),
            "embedder": np.array(self.embedder),
            "dim": np.array(self.dim, dtype=np.int64),
            "classes": np.array(CLASSES),
            "coef": self.coef.astype(np.float32),
            "lex_coef": self.lex_coef.astype(np.float32),
            "vocabulary": np.array("\n".join(self.vocabulary)),
            "intercept": self.intercept.astype(np.float32),
            "scales": np.array([self.vader_scale, self.lex_scale], dtype=np.float64),
            "thresholds": np.array([self.t_pos, self.t_neg], dtype=np.float64),
            "meta": np.array(json.dumps(self.meta, sort_keys=True)),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, array in arrays.items():
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                buf = io.BytesIO()
                np.lib.format.write_array(buf, array, allow_pickle=False)
                zf.writestr(info, buf.getvalue())


def load_weights(path: Path = DEFAULT_WEIGHTS) -> SentimentWeights:
    """Read and check a weights file. Raises ConfigError with the fix when it is missing or malformed."""
    if not path.is_file():
        raise ConfigError(f"sentiment weights {path} not found; run `python scripts/train_sentiment.py`")
    try:
        with np.load(path, allow_pickle=False) as z:
            classes = tuple(str(c) for c in z["classes"])
            vocabulary = str(z["vocabulary"])
            w = SentimentWeights(
                version=str(z["version"]),
                embedder=str(z["embedder"]),
                dim=int(z["dim"]),
                coef=np.asarray(z["coef"], dtype=np.float32),
                lex_coef=np.asarray(z["lex_coef"], dtype=np.float32),
                vocabulary=tuple(vocabulary.split("\n")) if vocabulary else (),
                intercept=np.asarray(z["intercept"], dtype=np.float32),
                vader_scale=float(z["scales"][0]),
                lex_scale=float(z["scales"][1]),
                t_pos=float(z["thresholds"][0]),
                t_neg=float(z["thresholds"][1]),
                meta=json.loads(str(z["meta"])),
            )
    except (OSError, KeyError, ValueError, IndexError, zipfile.BadZipFile) as e:
        raise ConfigError(f"cannot read sentiment weights {path}: {e}; retrain or restore the file") from e
    n = len(CLASSES)
    if (classes != CLASSES or w.coef.shape != (n, w.dim + 1) or w.intercept.shape != (n,)
            or w.lex_coef.shape != (n, len(w.vocabulary))):
        raise ConfigError(f"sentiment weights {path} have unexpected shapes/classes; retrain the model")
    return w


# --------------------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------------------


class OfflineSentiment:
    """Logistic regression on embeddings, VADER and n-grams (module docstring). No network, no training.

    The embedder must be the one the weights were trained with (``MiniLMEmbedder`` for sentiment_v2):
    coefficients are meaningless in another vector space, so any other embedder is refused.
    """

    def __init__(self, embedder: Embedder, weights_path: Path | None = None) -> None:
        self._weights = load_weights(weights_path or DEFAULT_WEIGHTS)
        if embedder.name != self._weights.embedder or embedder.dim != self._weights.dim:
            raise ConfigError(
                f"sentiment model {self._weights.version} was trained on {self._weights.embedder} "
                f"({self._weights.dim}-d) vectors, got embedder {embedder.name} ({embedder.dim}-d); "
                "use MiniLMEmbedder (embedder = 'minilm') or retrain for this embedder"
            )
        self._embedder = embedder
        self._analyzer = vader_analyzer()
        self._index = self._weights.index
        self.version: str = self._weights.version
        logger.debug("loaded sentiment model %s for %s", self.version, embedder.name)

    @property
    def thresholds(self) -> tuple[float, float]:
        """(t_pos, t_neg): scores above t_pos are positive, below -t_neg negative."""
        return self._weights.t_pos, self._weights.t_neg

    def probabilities(self, texts: list[str], vectors: np.ndarray | None = None) -> np.ndarray:
        """Class probabilities (n, 3), columns in CLASSES order (negative, neutral, positive)."""
        texts = check_texts(texts, "score_batch()")
        if not texts:
            return np.zeros((0, len(CLASSES)))
        vectors = self._vectors(texts, vectors)
        scale = self._weights.vader_scale
        compounds = vader_compounds(self._analyzer, texts) if scale else np.zeros(len(texts), np.float32)
        dense = build_features(vectors, compounds, scale)
        return self._weights.probabilities(dense, lexical_rows(texts, self._index))

    def score_batch(self, texts: list[str], vectors: np.ndarray | None = None) -> list[SentimentScore]:
        probs = self.probabilities(texts, vectors)
        scores = _scores_from_probs(probs)
        return _to_results(scores, label_scores(scores, self._weights.t_pos, self._weights.t_neg))

    def _vectors(self, texts: list[str], vectors: np.ndarray | None) -> np.ndarray:
        if vectors is None:
            return self._embedder.embed(texts)
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape != (len(texts), self._weights.dim):
            raise ValueError(
                f"vectors has shape {vectors.shape}, expected ({len(texts)}, {self._weights.dim}): "
                f"one {self._embedder.name} vector per text, in the same order"
            )
        return vectors


class VaderSentiment:
    """Plain VADER: compound >= 0.05 positive, <= -0.05 negative, else neutral; score = compound."""

    version = "vader-3.3.2"

    def __init__(self) -> None:
        self._analyzer = vader_analyzer()

    def score_batch(self, texts: list[str], vectors: np.ndarray | None = None) -> list[SentimentScore]:
        texts = check_texts(texts, "score_batch()")
        compounds = vader_compounds(self._analyzer, texts)
        # VADER's cut-offs are inclusive (>= 0.05); label_scores' are strict, so nudge them just inside.
        eps = 1e-6
        return _to_results(compounds, label_scores(compounds, VADER_THRESHOLD - eps, VADER_THRESHOLD - eps))


