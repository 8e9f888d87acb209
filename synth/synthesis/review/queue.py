"""The review queue: which concern assignments a coordinator should look at first.

**Confidence** (0..1) of one sentence's assignment, from the annotator that decided it:

* the form learner (learn.py), when this process has one fitted: its decision value for the assigned class
  (a theme, or OTHER) minus the best other class's, through a logistic (`LEARNER_SCALE`);
* else the seeded classifier (seeded.py): for a sentence given a theme, the least of how far its score clears
  the theme's bar (a cue lowers it), its margin over the runner-up theme and (without a cue) over the chatter
  prototypes; for a sentence given no theme, how far the best theme falls short of its bar or below the
  chatter. Through a logistic (`SEEDED_SCALE`): a margin of 0 is 0.5, i.e. a coin toss;
* for a discovered taxonomy, the nearest-centre margin in the same way.

It is computed beside the annotations and never changes a count.

**Consequence** of one sentence: how many of its district's headline counts (current period) would move if
its assignment flipped to its likeliest alternative (the runner-up theme, or "not a concern"): the record's
theme set before and after the flip, one point per theme gained or lost (0-2; 0 when another sentence of the
record carries the same theme), plus one when the flip changes the order of the district's top themes
(`HEADLINE_THEMES`, the ones a summary leads with).

**Order**: by (1 - confidence) x (`BASE_WEIGHT` + consequence), highest first: uncertainty leads, and among
sentences about as unsure, the one whose flip moves more headline counts comes first (consequence 3 weighs twice
consequence 0); a sure sentence sinks. Sentences a reviewer has
already judged, those that say nothing and records that address a model are left out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from synth.period import Period
from synth.synthesis.concerns import says_nothing, theme_text
from synth.synthesis.models import OTHER_THEME, Annotation
from synth.synthesis.store import StoredSpan
from synth.synthesis.themes import TaxonomyState, normalize_rows

if TYPE_CHECKING:
    from synth.synthesis.corpus import Corpus
    from synth.synthesis.pipeline import Synthesizer

SEEDED_SCALE = 0.05  # a 0.05 margin in cosine similarity is "fairly sure" (0.73)
LEARNER_SCALE = 0.5  # LinearSVC decision values run about -1.5..1.5
HEADLINE_THEMES = 5
BASE_WEIGHT = 3.0  # chosen on the 600-record sample city (bench/bench_review.py, no learning): reviews to exact
# counts 42 at 0.25, 40 at 1, 33 at 3, 35 with uncertainty alone
ALTERNATIVES = 3


@dataclass
class Item:
    """One sentence in the queue."""

    record_id: str
    index: int
    text: str
    district: str | None
    period: str
    theme_id: str  # or OTHER_THEME
    sentiment: str
    confidence: float
    alternatives: list[str]  # likeliest other concern themes, best first
    consequence: int = 0
    priority: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)  # the district's counts of the themes this item names


@dataclass(frozen=True)
class Scores:
    """Spans x candidate themes: how much each theme wants each span, and the confidence of the assignment."""

    themes: list[str]
    values: np.ndarray
    confidence: np.ndarray


def _logistic(x: np.ndarray, scale: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x / scale, -50, 50)))


def score_spans(synth: Synthesizer, state: TaxonomyState, spans: Sequence[StoredSpan],
                assigned: Sequence[str]) -> Scores:
    """Each span's candidate-theme scores and the confidence of `assigned` (its theme, or OTHER)."""
    if not spans:
        return Scores([], np.zeros((0, 0)), np.zeros(0))
    vectors = np.stack([sp.vector for sp in spans]).astype(np.float32)
    texts = [theme_text(sp.text) for sp in spans]
    learner = synth._last_learner[1] if synth._last_learner is not None else None  # fitted in this process
    if learner is not None and synth.llm_annotator is None:
        classes, values = learner.scores(vectors, texts)
        return _confidence(classes, values, assigned, LEARNER_SCALE)
    if any(t.source != "discovered" and t.examples for t in state.themes.values()):
        clf = synth.classifier(state)
        sims = clf.theme_scores(vectors)
        hits = clf.cue_hits(texts)
        floor = np.where(hits, clf.config.cue_floor, clf.no_cue_floor[None, :])
        clearance = sims + clf.config.cue_bonus * hits - floor
        chatter = clf.chatter_scores(vectors)
        ids = list(clf.ids)
        if clf.emerging is not None:
            emerging = normalize_rows(vectors) @ clf.emerging.T
            clearance = np.hstack([clearance, emerging - clf.config.emerging_floor])
            sims = np.hstack([sims, emerging])
            hits = np.hstack([hits, np.zeros_like(emerging, dtype=bool)])
            ids += clf.emerging_ids
        over_chatter = np.where(hits, np.inf, sims - chatter[:, None])
        return _confidence(ids, np.minimum(clearance, over_chatter), assigned, SEEDED_SCALE)
    ids = [tid for tid, t in state.themes.items() if t.is_concern and tid in state.centroids]
    if not ids:
        return Scores([], np.zeros((len(spans), 0)), np.full(len(spans), 0.5))
    sims = normalize_rows(vectors) @ normalize_rows(np.stack([state.centroids[t] for t in ids])).T
    return _confidence(ids, sims - synth.config.assign_threshold, assigned, SEEDED_SCALE)


def _confidence(classes: Sequence[str], values: np.ndarray, assigned: Sequence[str], scale: float) -> Scores:
    """`values`: spans x classes, > 0 where a class would take the span. A theme's confidence is its lead over
    every other class and over zero (its bar); OTHER's is how far the best theme stays below its bar (a learner's
    OTHER class is one of `classes` and is compared like a theme)."""
    classes = list(classes)
    col = {c: i for i, c in enumerate(classes)}
    margins = np.zeros(len(assigned), dtype=np.float32)
    for i, theme in enumerate(assigned):
        row = values[i]
        if theme in col:
            others = np.delete(row, col[theme])
            lead = row[col[theme]] - (others.max() if len(others) else -np.inf)
            margins[i] = min(lead, row[col[theme]]) if OTHER_THEME not in col else lead
        elif theme == OTHER_THEME:
            margins[i] = -row.max() if len(row) else 1.0
        # a theme the scores do not know (a form's declared theme): margin 0, a coin toss
    themes = [c for c in classes if c != OTHER_THEME]
    keep = [col[c] for c in themes]
    return Scores(themes, values[:, keep], _logistic(margins, scale))


def _period_of(corpus: Corpus, district: str, period: str | None, memo: dict[str, str]) -> str:
    if period:
        return period
    if district not in memo:
        memo[district] = corpus.default_period(district).period
    return memo[district]


def district_counts(annotations: Mapping[str, Annotation], record_ids: Sequence[str]) -> Counter[str]:
    """Records raising each theme, among `record_ids` (a district's, in its period): the headline counts."""
    return Counter(t for rid in record_ids for t in annotations[rid].themes)


def district_scope(corpus: Corpus, district: str, period: str | None = None) -> tuple[str, list[str]]:
    """`district`'s period (given, or its current one) and the ids of its records in it."""
    key = period or corpus.default_period(district).period
    within = Period.parse(key)
    return key, [r.record_id for r in corpus.rows
                 if r.district == district and within.contains(r.date, r.date_precision)]


def _top(counts: Mapping[str, int]) -> list[str]:
    return [t for t, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:HEADLINE_THEMES]]


def flip_consequence(ann: Annotation, index: int, to: str, counts: Counter[str]) -> int:
    """How many headline counts move when sentence `index` of `ann` is given `to` (a theme or OTHER): themes
    the record gains or loses, plus one when the district's top themes change order."""
    before = set(ann.themes)
    after = {c.theme_id for c in ann.concerns if c.index != index and c.theme_id != OTHER_THEME}
    if to != OTHER_THEME:
        after.add(to)
    moved = before ^ after
    if not moved:
        return 0
    changed = Counter(counts)
    for t in before - after:
        changed[t] -= 1
    for t in after - before:
        changed[t] += 1
    return len(moved) + (_top(+changed) != _top(counts))


def build_queue(synth: Synthesizer, corpus: Corpus, *, district: str | None = None, period: str | None = None,
                limit: int | None = 50) -> list[Item]:
    """The queue over `district` (None: every district) in `period` (None: each district's current one)."""
    memo: dict[str, str] = {}
    scope: dict[str, list[str]] = {}  # district -> its record ids in the period
    for row in corpus.rows:
        if not row.district or (district and row.district != district) or row.annotation.flagged:
            continue
        key = _period_of(corpus, row.district, period, memo)
        if Period.parse(key).contains(row.date, row.date_precision):
            scope.setdefault(row.district, []).append(row.record_id)
    where = {rid: d for d, ids in scope.items() for rid in ids}
    judged = {(c.record_id, c.span_index) for c in synth.corrections.all()}
    spans = [sp for sp in synth.store.load_spans(list(where)) if (sp.record_id, sp.idx) not in judged
             and not says_nothing(sp.text)]
    annotations = corpus.annotations
    first_theme = {}
    for sp in spans:
        first_theme[(sp.record_id, sp.idx)] = next((c.theme_id for c in annotations[sp.record_id].concerns
                                                    if c.index == sp.idx), OTHER_THEME)
    assigned = [first_theme[(sp.record_id, sp.idx)] for sp in spans]
    scores = score_spans(synth, corpus.taxonomy, spans, assigned)
    concern = set(corpus.themes)
    counts = {d: district_counts(annotations, ids) for d, ids in scope.items()}
    items = []
    for i, sp in enumerate(spans):
        theme, d = assigned[i], where[sp.record_id]
        order: list[int] = np.argsort(-scores.values[i]).tolist() if len(scores.themes) else []
        alternatives = [scores.themes[j] for j in order if scores.themes[j] != theme
                        and scores.themes[j] in concern][:ALTERNATIVES]
        flips = alternatives[:1] + ([OTHER_THEME] if theme != OTHER_THEME else [])
        ann = annotations[sp.record_id]
        consequence = max((flip_consequence(ann, sp.idx, to, counts[d]) for to in flips), default=0)
        confidence = round(float(scores.confidence[i]), 3)
        mine = next((c for c in ann.concerns if c.index == sp.idx), None)
        named = [t for t in (theme, *alternatives) if t != OTHER_THEME]
        items.append(Item(sp.record_id, sp.idx, mine.text if mine else sp.text, d, memo.get(d, period or ""),
                          theme, (mine.sentiment if mine else sp.sentiment).label, confidence,
                          alternatives, consequence, (1 - confidence) * (BASE_WEIGHT + consequence),
                          {t: counts[d][t] for t in named}))
    items.sort(key=lambda it: (-it.priority, it.record_id, it.index))
    return items[:limit] if limit is not None else items
