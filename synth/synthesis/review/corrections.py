"""A coordinator's corrections of concern assignments: stored, applied over every annotation, learned from.

A correction is keyed by (record id, span index) and says the sentence's theme (a theme id, or OTHER: "not a
concern") and/or its sentiment. It is kept with a digest of the span's text, so a new splitter (a new annotator
version re-splits every record) finds the same sentence again by its text, and a sentence that is no longer
there is left alone rather than corrected by position. `Synthesizer.annotations` applies the corrections last,
over the offline and the LLM annotations alike, so summaries, evidence and answers count the same corrected
annotations. A deleted record's corrections go with it (synth/forget.py).

Learning: a corrected sentence becomes an example phrase of the theme it was given (its stored vector and
masked text), so the seeded classifier (nearest examples) and the form learner (which trains on the example
phrases) move similar sentences nobody reviewed; "not a concern" sentences become chatter examples of the
learner. Only seeded (or edited) themes learn this way: emerging themes are decided by their centre.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import DateTime, ForeignKey, Integer, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from synth.db import Base, RecordStore
from synth.synthesis.annotate import record_sentiment
from synth.synthesis.models import DECLARED_INDEX, OTHER_THEME, Annotation, Concern, SentimentLabel, SentimentScore
from synth.synthesis.store import StoredSpan, SynthesisStore

if TYPE_CHECKING:  # learn.py brings scipy; `synth records delete` imports this module for its table alone
    from synth.synthesis.learn import Phrases

SENTIMENT_SCORE: dict[str, float] = {"positive": 0.5, "neutral": 0.0, "negative": -0.5}  # a label a person gave


class CorrectionRow(Base):
    __tablename__ = "review_corrections"

    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), primary_key=True)
    span_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    span_digest: Mapped[str] = mapped_column(String(16))  # of the span's text: found again after a re-split
    theme_id: Mapped[str | None] = mapped_column(String(64))  # a theme id, OTHER_THEME (no concern), or None
    also_theme: Mapped[str | None] = mapped_column(String(64))  # a second theme the sentence raises too
    sentiment: Mapped[str | None] = mapped_column(String(16))  # None: the classifier's stands
    reviewer: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=lambda: dt.datetime.now(dt.UTC))


def _of(r: CorrectionRow) -> Correction:
    return Correction(r.record_id, r.span_index, r.span_digest, r.theme_id, r.sentiment,  # type: ignore[arg-type]
                      r.reviewer, r.at, r.also_theme)


def span_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Correction:
    record_id: str
    span_index: int
    digest: str
    theme_id: str | None
    sentiment: SentimentLabel | None
    reviewer: str
    at: dt.datetime
    also_theme: str | None = None


class Corrections:
    """The stored corrections of one store."""

    def __init__(self, records: RecordStore, *, learning: bool = True) -> None:
        self.records = records
        self.learning = learning  # corrected sentences teach the annotator (off: only applied; the bench compares)

    def all(self) -> list[Correction]:
        with self.records.session() as s:
            rows = s.scalars(select(CorrectionRow).order_by(CorrectionRow.record_id, CorrectionRow.span_index))
            return [_of(r) for r in rows]

    def save(self, span: StoredSpan, reviewer: str, *, theme_id: str | None = None,
             sentiment: SentimentLabel | None = None, also: str | None = None) -> Correction:
        """Record a verdict on one sentence: its theme (OTHER_THEME: not a concern), a second theme it raises
        too (`also`), its sentiment; a later verdict on the same sentence replaces the parts it names and keeps
        the others (a new theme clears the second one)."""
        with self.records.write_session() as s:
            row = s.get(CorrectionRow, (span.record_id, span.idx))
            if row is None:
                row = CorrectionRow(record_id=span.record_id, span_index=span.idx, theme_id=None, sentiment=None,
                                    also_theme=None)
                s.add(row)
            row.span_digest = span_digest(span.text)
            if theme_id is not None and theme_id != row.theme_id:
                row.theme_id, row.also_theme = theme_id, None
            row.also_theme = also if also is not None else row.also_theme
            row.sentiment = sentiment if sentiment is not None else row.sentiment
            row.reviewer, row.at = reviewer[:64], dt.datetime.now(dt.UTC)
            return _of(row)

    def undo(self, record_id: str, span_index: int) -> bool:
        with self.records.write_session() as s:
            done = s.execute(delete(CorrectionRow).where(CorrectionRow.record_id == record_id,
                                                         CorrectionRow.span_index == span_index))
            return bool(getattr(done, "rowcount", 0))

    def apply(self, annotations: dict[str, Annotation], spans: Sequence[StoredSpan],
              themes: Mapping[str, object] | None = None) -> dict[str, Annotation]:
        """`annotations` with every stored correction applied (see `apply_corrections`)."""
        corrections = self.all()
        return apply_corrections(annotations, corrections, spans, themes) if corrections else annotations

    def teach(self, examples: dict[str, Phrases], chatter: Phrases, store: SynthesisStore,
              themes: Mapping[str, object]) -> tuple[dict[str, Phrases], Phrases]:
        """`examples` (theme id -> example phrases) and `chatter` with the corrected sentences added: each to the
        examples of the theme it was given (a concern theme already in `examples`, i.e. one with example
        phrases), a "not a concern" sentence to the chatter."""
        from synth.synthesis.learn import Phrases

        if not self.learning:
            return examples, chatter
        taught, none = self.learned_examples(store, examples)
        out = dict(examples)
        for tid, (texts, vectors) in taught.items():
            out[tid] = Phrases([*examples[tid].texts, *texts], np.concatenate([examples[tid].vectors, vectors]))
        if none is not None:
            chatter = Phrases([*chatter.texts, *none[0]], np.concatenate([chatter.vectors, none[1]]))
        return out, chatter

    def learned_examples(self, store: SynthesisStore, themes: Mapping[str, object]
                         ) -> tuple[dict[str, tuple[list[str], np.ndarray]], tuple[list[str], np.ndarray] | None]:
        """Corrected sentences as labelled phrases: theme id -> (texts, vectors) for the themes in `themes`, and
        the "not a concern" sentences (texts, vectors) or None. Read from the stored spans."""
        corrections = [c for c in self.all() if c.theme_id is not None]
        if not corrections:
            return {}, None
        spans = _locate(corrections, store.load_spans({c.record_id for c in corrections}))
        by_theme: dict[str, list[StoredSpan]] = defaultdict(list)
        for c in corrections:
            if (sp := spans.get((c.record_id, c.span_index))) is not None and (c.theme_id in themes
                                                                                 or c.theme_id == OTHER_THEME):
                by_theme[c.theme_id].append(sp)  # type: ignore[index]

        def phrases(group: list[StoredSpan]) -> tuple[list[str], np.ndarray]:
            return [sp.text for sp in group], np.stack([sp.vector for sp in group]).astype(np.float32)

        none = by_theme.pop(OTHER_THEME, None)
        return {tid: phrases(g) for tid, g in by_theme.items()}, phrases(none) if none else None


def _locate(corrections: Sequence[Correction], spans: Sequence[StoredSpan]) -> dict[tuple[str, int], StoredSpan]:
    """(record id, corrected index) -> the span it is about now: the span at that index when its text is the
    corrected one, else the record's span with that text (a re-split moved it); corrections whose sentence is
    gone are left out."""
    by_record: dict[str, list[StoredSpan]] = defaultdict(list)
    for sp in spans:
        by_record[sp.record_id].append(sp)
    found = {}
    for c in corrections:
        own = by_record.get(c.record_id, [])
        at = next((sp for sp in own if sp.idx == c.span_index and span_digest(sp.text) == c.digest), None)
        at = at or next((sp for sp in own if span_digest(sp.text) == c.digest), None)
        if at is not None:
            found[(c.record_id, c.span_index)] = at
    return found


def apply_corrections(annotations: dict[str, Annotation], corrections: Sequence[Correction],
                      spans: Sequence[StoredSpan], themes: Mapping[str, object] | None = None
                      ) -> dict[str, Annotation]:
    """The annotations with each correction's sentence given its corrected theme (every concern of that
    sentence, a second theme included, becomes the one theme, or OTHER), the second theme it also raises,
    and/or its sentiment; a record's sentiment is recomputed. A theme no longer in `themes` (merged or deleted
    since) is not applied; its sentiment is."""
    wanted = [c for c in corrections if c.record_id in annotations]
    if not wanted:
        return annotations
    located = _locate(wanted, [sp for sp in spans if sp.record_id in {c.record_id for c in wanted}])
    by_record: dict[str, list[tuple[Correction, StoredSpan]]] = defaultdict(list)
    for c in wanted:
        if (sp := located.get((c.record_id, c.span_index))) is not None:
            by_record[c.record_id].append((c, sp))
    out = dict(annotations)
    record_spans: dict[str, list[StoredSpan]] = defaultdict(list)
    for sp in spans:
        if sp.record_id in by_record:
            record_spans[sp.record_id].append(sp)
    for rid, fixes in by_record.items():
        ann = annotations[rid]
        concerns = list(ann.concerns)
        for c, sp in fixes:
            concerns = _correct_sentence(concerns, c, sp, themes)
        if concerns != ann.concerns:
            out[rid] = ann.model_copy(update={"concerns": concerns,
                                              "sentiment": record_sentiment(concerns, record_spans[rid])})
    return out


def _correct_sentence(concerns: list[Concern], c: Correction, sp: StoredSpan,
                      themes: Mapping[str, object] | None) -> list[Concern]:
    theme = c.theme_id if c.theme_id is not None and (
        themes is None or c.theme_id == OTHER_THEME or c.theme_id in themes) else None
    also = c.also_theme if c.also_theme and c.also_theme != OTHER_THEME and (themes is None or c.also_theme in
                                                                          themes) else None
    # the sentence's concerns: the offline annotator's carry its index and text; an LLM's are its own excerpts,
    # numbered in their own order, so they are found by text
    mine = [x for x in concerns if x.index == sp.idx and x.text == sp.text] or [
        x for x in concerns if x.index < DECLARED_INDEX and x.text and (x.text in sp.text or sp.text in x.text)]
    sentiment = mine[0].sentiment if mine else sp.sentiment
    if c.sentiment is not None and c.sentiment != sentiment.label:
        sentiment = SentimentScore(label=c.sentiment, score=SENTIMENT_SCORE[c.sentiment])
    text = mine[0].text if mine else sp.text
    if theme is None:
        fixed = [x.model_copy(update={"sentiment": sentiment}) for x in mine]
    else:
        fixed = [Concern(index=sp.idx, text=text, theme_id=theme, sentiment=sentiment)]
    if also is not None and also not in {x.theme_id for x in fixed}:
        fixed = [x for x in fixed if x.theme_id != OTHER_THEME] + [
            Concern(index=sp.idx, text=text, theme_id=also, sentiment=sentiment)]
    if not mine:  # an annotation whose concerns are not the stored spans (the LLM's): the sentence is added
        return [*concerns, *(x for x in fixed if x.theme_id != OTHER_THEME)]
    first = next(i for i, x in enumerate(concerns) if x is mine[0])
    rest = [x for x in concerns if not any(x is m for m in mine)]
    return rest[:first] + fixed + rest[first:]
