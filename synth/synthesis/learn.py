"""Learning from the forms: the department's own labels teach the annotator.

A standard-form note lists its "Top concerns"; the note-taker was in the room, so that list says which themes
the note raises. `learn_from_forms` turns those notes into training data and re-decides every other record:

1. Features per span: its sentence embedding next to character n-grams (TF-IDF of the masked text). The
   n-grams carry what a small embedding model blurs: typos ("ligthing"), and sentences that share words but
   not topics ("by the time a car shows up" is response times, not traffic).
2. Classes: every concern theme and OTHER (no concern). Training points: the coordinator's example phrases,
   the shipped chatter phrases (OTHER), and every span of every form note.
3. The form spans' labels are refined in rounds: a linear classifier is fitted, then each form note's spans
   are relabelled with the best of *its declared themes or OTHER*, such that every declared theme is carried
   by at least one span (the cheapest switch wins). A sentence the centroids called chatter but the form says
   is the note's only lighting sentence becomes a lighting example.
4. The final classifier decides the theme, or OTHER, of every span outside the forms.

Measured on the 1,500-record sample city (seed 7 / seed 11), against the first learner (a logistic regression
on embeddings alone, re-deciding only spans already called concerns): record-level precision 0.93 -> 0.99 /
0.93 -> 0.97, recall 0.91 -> 0.95 / 0.90 -> 0.94. With no form notes nothing is learned (a classifier fitted
on the example phrases alone lost recall).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from synth.synthesis.annotate import record_sentiment
from synth.synthesis.concerns import says_nothing, theme_text
from synth.synthesis.models import DECLARED_INDEX, OTHER_THEME, Annotation
from synth.synthesis.store import StoredSpan

PREDICT_BATCH = 50_000  # spans per transform + predict, so a 100k-record city never builds one huge matrix
_STOP = {"a", "an", "and", "the", "of", "in", "on", "to", "for", "or", "with"}


@dataclass(frozen=True)
class Phrases:
    """Labelled phrases that are not resident spans: the coordinator's examples or the chatter prototypes."""
    texts: Sequence[str]
    vectors: np.ndarray


@dataclass(frozen=True)
class LearnConfig:
    c: float = 0.3  # LinearSVC regularisation: 0.1 and 1.0 were worse on both sample seeds
    rounds: int = 2  # relabel-and-refit rounds over the form spans (more did not change the labels)
    ngram_weight: float = 1.0  # scale of the character n-gram block next to the unit-length embedding
    min_form_spans: int = 20  # fewer labelled form spans than this: nothing is learned


def _tokens(text: str) -> set[str]:
    return {t for t in re.findall(r"[a-z0-9]+", text.lower()) if t not in _STOP}


def match_form_words(words: Sequence[str], labels: Mapping[str, str]) -> dict[str, str]:
    """Form words whose every word appears in exactly one theme's label ("public spaces" -> "Parks and public
    spaces"): word -> theme id. Nearest-centroid matching sent "public spaces" to homeless encampments; the
    label is what the coordinator wrote, so words it contains are taken at their word."""
    label_tokens = {tid: _tokens(label) for tid, label in labels.items()}
    out = {}
    for w in words:
        toks = _tokens(w)
        hits = [tid for tid, lab in label_tokens.items() if toks and toks <= lab]
        if len(hits) == 1:
            out[w] = hits[0]
    return out


def relabel_form(scores: np.ndarray, classes: Sequence[str], declared: Sequence[str]) -> list[str]:
    """One form note: each span takes the best-scoring of the declared themes or OTHER, then every declared
    theme no span carries takes the span where switching costs least (never a span that is the only carrier
    of another declared theme). `scores`: spans x classes decision values."""
    col = {c: i for i, c in enumerate(classes)}
    allowed = [t for t in dict.fromkeys(declared) if t in col] + [OTHER_THEME]
    sub = scores[:, [col[t] for t in allowed]]
    labels = [allowed[j] for j in sub.argmax(axis=1)]
    for theme in allowed[:-1]:
        if theme in labels:
            continue
        best, pick = -np.inf, None
        for i, current in enumerate(labels):
            if current != OTHER_THEME and labels.count(current) == 1:
                continue
            gain = scores[i, col[theme]] - scores[i, col[current]]
            if gain > best:
                best, pick = gain, i
        if pick is not None:
            labels[pick] = theme
    return labels


class _Features:
    """Embedding next to character n-gram TF-IDF of the masked text (fitted on the training texts)."""

    def __init__(self, texts: Sequence[str], weight: float) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.tfidf = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True).fit(texts)
        self.weight = weight

    def __call__(self, vectors: np.ndarray, texts: Sequence[str]) -> sp.csr_matrix:
        grams = self.tfidf.transform(texts) * self.weight
        return sp.hstack([sp.csr_matrix(np.asarray(vectors, dtype=np.float32)), grams]).tocsr()


LEARN_VERSION = 2  # bump when the learner's decisions change for the same inputs (invalidates stored ones)
Decisions = dict[tuple[str, int], str]  # (record id, span index) -> theme id or OTHER


@dataclass(frozen=True)
class LearnInputs:
    """What the learner reads, grouped once (the key, the fit and the apply step all use it): the spans by
    record, the form notes among them and what the forms declare."""
    declared: Mapping[str, Sequence[tuple[str, str]]]
    by_record: dict[str, list[StoredSpan]]
    forms: list[str]  # form record ids with declared themes and spans, in `declared` order
    form_spans: list[StoredSpan]
    form_labels: list[str]  # the starting label of each form span (from the nearest-centroid annotation)


def learn_inputs(annotations: Mapping[str, Annotation], spans: Sequence[StoredSpan],
                 declared: Mapping[str, Sequence[tuple[str, str]]]) -> LearnInputs:
    """`annotations`: the nearest-centroid annotations (their form notes already follow their declared themes);
    `declared`: form record id -> [(theme id, the note-taker's words)]."""
    by_record: dict[str, list[StoredSpan]] = defaultdict(list)
    for s in spans:
        if s.record_id in annotations:
            by_record[s.record_id].append(s)
    forms = [rid for rid in declared if declared[rid] and rid in by_record]
    form_spans = [s for rid in forms for s in by_record[rid]]
    theme_of = {(rid, c.index): c.theme_id for rid in forms for c in annotations[rid].concerns}
    return LearnInputs(declared, by_record, forms, form_spans,
                       [theme_of.get((s.record_id, s.idx), OTHER_THEME) for s in form_spans])


def learn_key(inputs: LearnInputs, examples: Mapping[str, Phrases], chatter: Phrases | None, annotator: str,
              config: LearnConfig | None = None) -> str:
    """A fingerprint of everything `learn_decisions` reads, so stored decisions are reused only for the very
    same inputs: the learner's version and settings, scikit-learn's version, the annotator (it fixes the
    vectors), the examples, the chatter, the form notes' declared themes and starting labels, and every span's
    text. Any new record changes it."""
    h = _key_start(inputs, examples, chatter, annotator, config)
    for rid in sorted(inputs.by_record):
        for s in inputs.by_record[rid]:
            h.update(f"{rid}\x1f{s.idx}\x1f{s.text}\x1f".encode())
    return h.hexdigest()


def fit_key(inputs: LearnInputs, examples: Mapping[str, Phrases], chatter: Phrases | None, annotator: str,
            config: LearnConfig | None = None) -> str:
    """A fingerprint of what the fitted classifier depends on: `learn_key` without the spans outside the forms
    (each of those is predicted on its own, so a new comment leaves the fit, and every other decision, as is)."""
    h = _key_start(inputs, examples, chatter, annotator, config)
    for s in inputs.form_spans:
        h.update(f"{s.record_id}\x1f{s.idx}\x1f{s.text}\x1f".encode())
    return h.hexdigest()


def _key_start(inputs: LearnInputs, examples: Mapping[str, Phrases], chatter: Phrases | None, annotator: str,
               config: LearnConfig | None) -> hashlib._Hash:
    import sklearn

    h = hashlib.sha256()

    def add(*parts: object) -> None:
        for part in parts:
            h.update(str(part).encode())
            h.update(b"\x1f")

    add(LEARN_VERSION, config or LearnConfig(), sklearn.__version__, annotator)
    for tid, phrases in sorted(examples.items()):
        add("example", tid, *phrases.texts)
    add("chatter", *(chatter.texts if chatter else ()))
    for rid in inputs.forms:
        add("form", rid, *inputs.declared[rid])
    add("labels", *inputs.form_labels)
    return h


@dataclass(frozen=True)
class Learner:
    """A fitted form learner: the form spans' final labels, and what predicts every other span."""
    features: _Features
    classifier: Any  # LinearSVC
    form_decisions: Decisions

    def scores(self, vectors: np.ndarray, texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """The classes (themes and OTHER) and each span's decision value for each (`texts`: masked)."""
        values = np.asarray(self.classifier.decision_function(self.features(vectors, texts)))
        classes = [str(c) for c in self.classifier.classes_]
        return classes, np.stack([-values, values], axis=1) if values.ndim == 1 else values

    def decide(self, inputs: LearnInputs, known: Decisions | None = None) -> Decisions:
        """Every span's decision: the forms' labels, `known` ones (this learner's earlier predictions) kept,
        the rest predicted."""
        known = known or {}
        decided = dict(self.form_decisions)
        form_ids = set(inputs.forms)
        others = []
        for rid, ss in inputs.by_record.items():
            if rid in form_ids:
                continue
            for s in ss:
                if says_nothing(s.text):  # a lone greeting stays OTHER
                    continue
                if (rid, s.idx) in known:
                    decided[(rid, s.idx)] = known[(rid, s.idx)]
                else:
                    others.append(s)
        for i in range(0, len(others), PREDICT_BATCH):
            batch = others[i:i + PREDICT_BATCH]
            x = self.features(np.stack([s.vector for s in batch]), [theme_text(s.text) for s in batch])
            decided.update(zip([(s.record_id, s.idx) for s in batch], (str(p) for p in self.classifier.predict(x)),
                               strict=True))
        return decided


def learn_decisions(inputs: LearnInputs, examples: Mapping[str, Phrases], chatter: Phrases | None,
                    config: LearnConfig | None = None) -> Decisions | None:
    """The theme (or OTHER) of every span, decided by a classifier taught by the form notes (see module doc);
    None when there is too little to learn from (fewer than `min_form_spans` form spans, or one class).

    `examples`: theme id -> the coordinator's example phrases; `chatter`: phrases that raise no concern."""
    learner = fit_learner(inputs, examples, chatter, config)
    return learner.decide(inputs) if learner is not None else None


def fit_learner(inputs: LearnInputs, examples: Mapping[str, Phrases], chatter: Phrases | None,
                config: LearnConfig | None = None) -> Learner | None:
    """The classifier taught by the form notes (see module doc), or None (see `learn_decisions`)."""
    from sklearn.svm import LinearSVC

    config = config or LearnConfig()
    forms, form_spans, labels = inputs.forms, inputs.form_spans, inputs.form_labels
    if len(form_spans) < config.min_form_spans:
        return None

    fixed_texts: list[str] = []
    fixed_vectors: list[np.ndarray] = []
    fixed_labels: list[str] = []
    for tid, phrases in [*examples.items(), *([(OTHER_THEME, chatter)] if chatter else [])]:
        fixed_texts += [theme_text(t) for t in phrases.texts]
        fixed_vectors += list(np.asarray(phrases.vectors, dtype=np.float32))
        fixed_labels += [tid] * len(phrases.texts)
    form_texts = [theme_text(s.text) for s in form_spans]
    features = _Features(fixed_texts + form_texts, config.ngram_weight)
    blocks = [features(np.stack(fixed_vectors), fixed_texts)] if fixed_texts else []
    blocks.append(features(np.stack([s.vector for s in form_spans]), form_texts))
    x_train = sp.vstack(blocks).tocsr()

    def fit(targets: list[str]) -> LinearSVC | None:
        if len(set(targets)) < 2:
            return None
        return LinearSVC(C=config.c, random_state=0).fit(x_train, targets)

    clf = fit(fixed_labels + labels)
    for _ in range(config.rounds):
        if clf is None:
            break
        scores = np.asarray(clf.decision_function(x_train))
        classes = [str(c) for c in clf.classes_]
        if scores.ndim == 1:  # two classes: one column, positive means classes[1]
            scores = np.stack([-scores, scores], axis=1)
        labels, start = [], len(fixed_labels)  # form_spans is the forms' spans, note after note
        for rid in forms:
            end = start + len(inputs.by_record[rid])
            labels += relabel_form(scores[start:end], classes, [tid for tid, _ in inputs.declared[rid]])
            start = end
        clf = fit(fixed_labels + labels)
    if clf is None:
        return None
    return Learner(features, clf, dict(zip([(s.record_id, s.idx) for s in form_spans], labels, strict=True)))


def apply_decisions(annotations: dict[str, Annotation], inputs: LearnInputs,
                    decided: Decisions | None) -> dict[str, Annotation]:
    """The annotations with every decided span's theme replaced; a record's sentiment is recomputed from its
    new concerns. A declared theme no span carries keeps the note-taker's words (never quoted)."""
    if not decided:
        return annotations
    out = dict(annotations)
    for rid, rec_spans in inputs.by_record.items():
        ann = annotations[rid]
        if ann.flagged:  # its instruction stays no concern, whatever the learner makes of the words
            continue
        concerns = [c.model_copy(update={"theme_id": decided.get((rid, c.index), c.theme_id)})
                    for c in ann.concerns if c.index < DECLARED_INDEX]
        carried = {c.theme_id for c in concerns}
        concerns += [c for c in ann.concerns if c.index >= DECLARED_INDEX and c.theme_id not in carried]
        if concerns != ann.concerns:
            out[rid] = ann.model_copy(update={"concerns": concerns,
                                              "sentiment": record_sentiment(concerns, rec_spans)})
    return out


def learn_from_forms(annotations: dict[str, Annotation], spans: Sequence[StoredSpan],
                     declared: Mapping[str, Sequence[tuple[str, str]]], examples: Mapping[str, Phrases],
                     chatter: Phrases | None, config: LearnConfig | None = None) -> dict[str, Annotation]:
    """`learn_decisions` then `apply_decisions`: new annotations (unchanged when nothing is learned)."""
    inputs = learn_inputs(annotations, spans, declared)
    return apply_decisions(annotations, inputs, learn_decisions(inputs, examples, chatter, config))
