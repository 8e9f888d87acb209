"""Metric formulas, as pure functions over record ids and labels (no I/O, no pipeline).

Themes (predicted themes P, labelled themes G, each a set of record ids):
    J(p, g) = |p ∩ g| / |p ∪ g|                      Jaccard of the record sets
    matching = Hungarian assignment maximising Σ J over one-to-one pairs (scipy linear_sum_assignment)
    correct  = matched pairs with J ≥ MATCH_JACCARD (0.5: more records shared than not)
    precision = correct / |P|,  recall = correct / |G|,  F1 = 2PR / (P + R)
    ARI, NMI = sklearn adjusted_rand_score / normalized_mutual_info_score of each record's first theme
               (records without a theme form the cluster "(none)")
Counts (cells = (district[, month], labelled theme)):
    predicted count of a cell = records the pipeline counts under the predicted theme matched to it (0 when
    the labelled theme has no correct match); exact share = #cells with predicted == true / #cells;
    MAE = mean |predicted - true|
Sentiment (three classes: positive, neutral, negative; truth "mixed" -> neutral):
    accuracy = #correct / n,  macro-F1 = mean over the three classes of F1(class)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, f1_score, normalized_mutual_info_score

MATCH_JACCARD = 0.5
NONE = "(none)"
CLASSES = ("positive", "neutral", "negative")

Assignment = Mapping[str, Sequence[str]]  # record id -> themes, first = main theme


@dataclass(frozen=True)
class ThemeMatch:
    precision: float
    recall: float
    f1: float
    predicted: int  # |P|
    labelled: int  # |G|
    correct: int
    pairs: dict[str, tuple[str, float]]  # labelled theme -> (matched predicted theme, Jaccard), all matched pairs

    def mapping(self) -> dict[str, str]:
        """Labelled theme -> predicted theme, for correct matches only."""
        return {g: p for g, (p, j) in self.pairs.items() if j >= MATCH_JACCARD}


def record_sets(assignment: Assignment, records: Sequence[str]) -> dict[str, set[str]]:
    sets: dict[str, set[str]] = defaultdict(set)
    for rid in records:
        for theme in assignment.get(rid, ()):
            sets[theme].add(rid)
    return dict(sets)


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def match_themes(predicted: Assignment, labelled: Assignment, records: Sequence[str]) -> ThemeMatch:
    """Hungarian matching of predicted to labelled themes on the Jaccard of their record sets."""
    ps, gs = record_sets(predicted, records), record_sets(labelled, records)
    p_ids, g_ids = sorted(ps), sorted(gs)
    pairs: dict[str, tuple[str, float]] = {}
    if p_ids and g_ids:
        jac = np.array([[len(ps[p] & gs[g]) / len(ps[p] | gs[g]) for g in g_ids] for p in p_ids])
        rows, cols = linear_sum_assignment(-jac)
        pairs = {g_ids[c]: (p_ids[r], float(jac[r, c])) for r, c in zip(rows, cols, strict=True) if jac[r, c] > 0}
    correct = sum(j >= MATCH_JACCARD for _, j in pairs.values())
    precision = correct / len(p_ids) if p_ids else 0.0
    recall = correct / len(g_ids) if g_ids else 0.0
    return ThemeMatch(precision=precision, recall=recall, f1=f1(precision, recall), predicted=len(p_ids),
                      labelled=len(g_ids), correct=correct, pairs=pairs)


def record_theme_f1(predicted: Assignment, labelled: Assignment, records: Sequence[str],
                    match: ThemeMatch) -> tuple[float, float, float]:
    """Record-level (precision, recall, F1), micro over (record, theme) pairs: each predicted theme is read as
    the labelled theme the matching paired it with (any overlap); an unpaired predicted theme is wrong."""
    as_labelled = {p: g for g, (p, _) in match.pairs.items()}
    tp = fp = fn = 0
    for rid in records:
        got = {as_labelled.get(t, "unpaired:" + t) for t in predicted.get(rid, ())}
        want = set(labelled.get(rid, ()))
        tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall, f1(precision, recall)


def first_themes(assignment: Assignment, records: Sequence[str]) -> list[str]:
    return [next(iter(assignment.get(rid, ())), NONE) for rid in records]


def partition_agreement(a: Assignment, b: Assignment, records: Sequence[str]) -> tuple[float, float]:
    """(ARI, NMI) of the records' first themes under two assignments."""
    la, lb = first_themes(a, records), first_themes(b, records)
    if not records:
        return 0.0, 0.0
    return float(adjusted_rand_score(la, lb)), float(normalized_mutual_info_score(la, lb))


@dataclass(frozen=True)
class CountScore:
    exact_share: float
    mae: float
    cells: int


def count_cells(assignment: Assignment, cell_of: Mapping[str, tuple[str, ...]], themes: Sequence[str],
                rename: Mapping[str, str] | None = None) -> dict[tuple[str, ...], int]:
    """Records per (cell key..., theme); `rename` maps an assignment's theme ids onto `themes`."""
    counts: dict[tuple[str, ...], int] = defaultdict(int)
    wanted = set(themes)
    for rid, cell in cell_of.items():
        for t in dict.fromkeys((rename or {}).get(t, t) for t in assignment.get(rid, ())):
            if t in wanted:
                counts[(*cell, t)] += 1
    return counts


def compare_counts(predicted: Mapping[tuple[str, ...], int], true: Mapping[tuple[str, ...], int],
                   cells: Sequence[tuple[str, ...]]) -> CountScore:
    if not cells:
        return CountScore(exact_share=0.0, mae=0.0, cells=0)
    diffs = [abs(predicted.get(c, 0) - true.get(c, 0)) for c in cells]
    return CountScore(exact_share=sum(d == 0 for d in diffs) / len(cells), mae=float(np.mean(diffs)),
                      cells=len(cells))


def sentiment_scores(gold: Sequence[str], pred: Sequence[str]) -> tuple[float, float]:
    """(accuracy, macro-F1 over CLASSES)."""
    if not gold:
        return 0.0, 0.0
    acc = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)
    macro = f1_score(gold, pred, labels=list(CLASSES), average="macro", zero_division=0)
    return acc, float(macro)


def confusion(gold: Sequence[str], pred: Sequence[str]) -> list[list[int]]:
    """Rows = gold class, columns = predicted class, in CLASSES order."""
    idx = {c: i for i, c in enumerate(CLASSES)}
    m = [[0] * len(CLASSES) for _ in CLASSES]
    for g, p in zip(gold, pred, strict=True):
        if g in idx and p in idx:
            m[idx[g]][idx[p]] += 1
    return m
