"""The NHS patient-feedback data the offline sentiment model is trained and tested on: label mapping,
de-duplication and the deterministic content-hash split; plus the numpy-only metrics that score it.

Source: ``<shared data>/nhs_phase1/text_data.csv`` (NHS England pxtextmining phase 1, MIT; see evals/paths.py).
Only the trained coefficients enter the repository, never the data. Used by the trainer
(scripts/train_sentiment.py), the ``nhs`` evaluation dataset, tests/test_sentiment.py and bench/bench_sentiment.py.

Label mapping (the criticality scale is noisy, see that data's README):
  * criticality that is not an integer in -4..4 (``-o``, ``NA``, ``-9``, ``cc`` ...) -> row rejected;
  * subcategory "Nothing to improve": neutral when the answer is 1-4 words that are all "nothing"-words
    (``NOTHING_WORDS``: "No.", "Nothing at all", "Can't think of anything"), else dropped (those longer
    answers mix praise and small requests);
  * >= +2 -> positive, <= -2 -> negative;
  * 0, +1, -1 -> dropped: 0 is the score Trust B gave almost everything (mostly praise), +/-1 are weak and
    often mixed ("Very good, although some inconsistency").
Texts are deduplicated on their normalised words; a text whose copies disagree keeps the majority label
when >= 75% agree, else it is dropped.
Split (deterministic, by content): bucket = int(sha256(normalised text)[:8], 16) % 5;
bucket 0 -> NHS test slice (never used for training or tuning; tests/test_sentiment.py uses it),
bucket 1 -> NHS validation (hyperparameter and threshold selection), buckets 2-4 -> training.
The final model is fitted on buckets 1-4.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evals.paths import shared_data
from synth.synthesis.models import SentimentLabel
from synth.synthesis.sentiment import CLASSES

logger = logging.getLogger(__name__)

NHS_CSV = shared_data() / "nhs_phase1" / "text_data.csv"
N_BUCKETS = 5
TEST_BUCKET = 0
VAL_BUCKET = 1
MAJORITY_AGREEMENT = 0.75

NOTHING_WORDS = frozenset((
    "no", "nothing", "none", "nope", "nil", "n/a", "na", "zero", "not", "really", "at", "all", "a", "thing",
    "absolutely", "i", "can't", "cannot", "cant", "think", "of", "anything", "comes", "to", "mind", "much",
    "don't", "dont", "know", "sure", "that", "so", "right", "now",
))


# ---------------------------------------------------------------------------------------------------------
# NHS loading and label mapping
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    text: str
    label: SentimentLabel
    group: str  # NHS topic category (the `label` column), or the trainer's civic-seed group
    key: str  # normalised text (dedup and split key)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9'/]+", text.lower().replace("\u2019", "'"))


def normalise(text: str) -> str:
    return " ".join(words(text))


def parse_criticality(raw: str | None) -> int | None:
    """The integer criticality -4..4, or None for stray values ('-o', 'NA', '-9', '', 'cc' ...)."""
    if raw is None:
        return None
    value = raw.strip()
    if not re.fullmatch(r"-?[0-9]", value):
        return None
    n = int(value)
    return n if -4 <= n <= 4 else None


def nhs_label(criticality: str | None, subcategory: str, text: str) -> SentimentLabel | None:
    """The sentiment label of one NHS row, or None when the row is rejected or ambiguous (module docstring)."""
    c = parse_criticality(criticality)
    if c is None or not words(text):
        return None
    if subcategory.strip().lower() == "nothing to improve":
        w = words(text)
        return "neutral" if c == 3 and len(w) <= 4 and set(w) <= NOTHING_WORDS else None
    if c >= 2:
        return "positive"
    if c <= -2:
        return "negative"
    return None


def _dedupe(rows: Iterable[tuple[str, SentimentLabel, str]]) -> list[Example]:
    groups: dict[str, list[tuple[str, SentimentLabel, str]]] = defaultdict(list)
    for text, label, group in rows:
        groups[normalise(text)].append((text, label, group))
    out: list[Example] = []
    for key, members in groups.items():
        label, n = Counter(m[1] for m in members).most_common(1)[0]
        if n / len(members) >= MAJORITY_AGREEMENT:
            text, _, group = next(m for m in members if m[1] == label)
            out.append(Example(text=text, label=label, group=group, key=key))
    return out


def load_nhs(path: Path = NHS_CSV) -> list[Example]:
    """Cleaned, deduplicated NHS examples, in file order of first occurrence."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        kept = []
        rejected = Counter[str]()
        for row in reader:
            text = (row.get("feedback") or "").strip()
            label = nhs_label(row.get("criticality"), row.get("subcategory") or "", text)
            if label is None:
                rejected[row.get("criticality") or ""] += 1
                continue
            kept.append((text, label, (row.get("label") or "").strip() or "unknown"))
    examples = _dedupe(kept)
    logger.info("NHS: %d rows mapped, %d unique kept; dropped by criticality: %s", len(kept), len(examples),
                dict(sorted(rejected.items())))
    return examples


def bucket(key: str) -> int:
    """Deterministic split bucket of a normalised text: 0 = test, 1 = validation, 2-4 = training."""
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) % N_BUCKETS


@dataclass(frozen=True)
class NhsSplit:
    train: list[Example]  # buckets 2-4
    val: list[Example]  # bucket 1
    test: list[Example]  # bucket 0: held out from training and tuning


def split_nhs(examples: Sequence[Example]) -> NhsSplit:
    b = [bucket(e.key) for e in examples]
    return NhsSplit(
        train=[e for e, k in zip(examples, b, strict=True) if k not in (TEST_BUCKET, VAL_BUCKET)],
        val=[e for e, k in zip(examples, b, strict=True) if k == VAL_BUCKET],
        test=[e for e, k in zip(examples, b, strict=True) if k == TEST_BUCKET],
    )


def nhs_test_slice(path: Path = NHS_CSV) -> list[Example]:
    """The held-out NHS slice (bucket 0) that no model version is trained or tuned on."""
    return split_nhs(load_nhs(path)).test


# ---------------------------------------------------------------------------------------------------------
# Metrics (numpy only, so tests and benches need no sklearn)
# ---------------------------------------------------------------------------------------------------------


def accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    if not gold:
        return float("nan")
    return sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)


def macro_f1(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] = CLASSES) -> float:
    """Unweighted mean of per-class F1 over `labels` (a class never predicted nor present scores 0)."""
    f1s = []
    for c in labels:
        tp = sum(g == c and p == c for g, p in zip(gold, pred, strict=True))
        fp = sum(g != c and p == c for g, p in zip(gold, pred, strict=True))
        fn = sum(g == c and p != c for g, p in zip(gold, pred, strict=True))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(f1s))


def majority_label(labels: Iterable[str]) -> str:
    return Counter(labels).most_common(1)[0][0]
