"""Synthesis, end to end and incremental:

    new records ──► spans (split, embed, sentiment; once per record, cached in SQL)
                         │
    taxonomy (stored; discovered on first run or on request; seeds and edits respected)
                         │
    annotations (span -> theme assignment: cheap, recomputed on every run)
                         │
    fact sheets (pure code) ──► narrative (LLM or deterministic, grounding-checked) ──► stored summary

A summary is reused while its fingerprint (fact sheet + prompt + model + annotator) is unchanged, so
adding records to one district regenerates only that district's narrative (and the city's).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, partial

import numpy as np

from synth.db import RecordStore
from synth.llm.chains import model_name
from synth.llm.model import ChatModel
from synth.models import Record
from synth.outbound import Scrub
from synth.period import ALL_KEY
from synth.prompts import load_prompt
from synth.synthesis.annotate import (
    OfflineAnnotator,
    annotate,
    load_chatter_phrases,
    mark_chatter,
    quote_scores,
)
from synth.synthesis.concerns import theme_text
from synth.synthesis.corpus import CitationIndex, Corpus
from synth.synthesis.facts import FactRow
from synth.synthesis.learn import (
    Learner,
    LearnInputs,
    Phrases,
    apply_decisions,
    fit_key,
    fit_learner,
    learn_inputs,
    learn_key,
    match_form_words,
)
from synth.synthesis.llm_annotate import LLMAnnotator
from synth.synthesis.llm_labels import label_themes
from synth.synthesis.models import Annotation, FactSheet, Theme
from synth.synthesis.narrative import DETERMINISTIC_VERSION, write_narrative
from synth.synthesis.review.corrections import Corrections
from synth.synthesis.seeded import SeededClassifier, SeededConfig
from synth.synthesis.store import RefreshLease, StoredSpan, SynthesisStore
from synth.synthesis.summary import Summary, build_summary, fingerprint
from synth.synthesis.themes import (
    DiscoveryConfig,
    TaxonomyState,
    assign,
    discover,
    seed_state,
)
from synth.tokens import count_tokens

log = logging.getLogger(__name__)
ProgressFn = Callable[[str, int, int], None]
CITY = "City-wide"
LABEL_EXAMPLES = 8  # resident spans shown to the LLM per theme when it writes labels


@dataclass
class RefreshReport:
    annotated: int  # records newly split, embedded and scored
    themes: int
    concern_themes: int
    discovered: bool
    seconds: float


class Synthesizer:
    def __init__(self, records: RecordStore, annotator: OfflineAnnotator, *, chat_model: ChatModel | None = None,
                 llm_annotator: LLMAnnotator | None = None, config: DiscoveryConfig | None = None,
                 batch_size: int = 512, narrative_budget_tokens: int | None = None,
                 token_encoding: str = "cl100k_base", outbound: Scrub | None = None,
                 default_seeds: Sequence[Theme] = (), seeded_config: SeededConfig | None = None) -> None:
        self.records = records
        self.store = SynthesisStore(records)
        self.lease = RefreshLease(records)  # who annotates the store (one process at a time)
        self.corrections = Corrections(records)  # a reviewer's verdicts: applied last, learned from
        self.annotator = annotator
        self.llm_annotator = llm_annotator  # per-record LLM annotation; the offline annotator is its fallback
        self.chat_model = chat_model
        self.config = config or DiscoveryConfig()
        self.batch_size = batch_size
        self.narrative_budget_tokens = narrative_budget_tokens
        self.token_encoding = token_encoding  # the narrative's budget and accounting count in this encoding
        self.outbound = outbound  # quotes pass the redactor again before they are shown or sent to a model
        self._phrases: dict[str, np.ndarray] = {}
        # the taxonomy a store starts with when nobody seeded one (the shipped starter taxonomy by default;
        # empty for pure discovery)
        self.default_seeds = list(default_seeds)
        self.seeded_config = seeded_config or SeededConfig()
        self._last_learner: tuple[str, Learner, dict[tuple[str, int], str]] | None = None  # fit key, it, decided
        self.keep_learner = False  # fit it even when stored decisions serve (warm_learner: a long-lived process)

    # -- annotations ----------------------------------------------------------------------------------------
    def refresh(self, *, rediscover: bool = False, seeds: Sequence[Theme] = (),
                progress: ProgressFn | None = None) -> RefreshReport:
        """Annotate new records; discover the taxonomy if none (or on request); one process at a time (lease)."""
        with self.lease.held():
            return self._refresh(rediscover=rediscover, seeds=seeds, progress=progress)

    def _refresh(self, *, rediscover: bool, seeds: Sequence[Theme], progress: ProgressFn | None) -> RefreshReport:
        started = time.perf_counter()
        pending = self.store.records_without_spans(self.annotator.key)
        for i in range(0, len(pending), self.batch_size):
            ids = pending[i:i + self.batch_size]
            recs = [r for r, _ in self.records.records_with_chunks(ids)]
            self.store.replace_spans(ids, self.annotator.spans(recs), self.annotator.key)
            self.lease.acquire()  # renewed per batch: a long first run keeps it
            if progress:
                progress("annotate", min(i + self.batch_size, len(pending)), len(pending))
        state = self.store.load_taxonomy()
        discovered = False
        if not seeds and not state.themes and self.default_seeds:
            seeds = self.default_seeds
        if seeds:
            seeded = seed_state(seeds, self.annotator.embedder.embed)
            for tid, theme in seeded.themes.items():
                if tid not in state.themes or state.themes[tid].source == "seeded":
                    state.themes[tid], state.centroids[tid] = theme, seeded.centroids[tid]
        # Beside a seeded taxonomy, what its classifier leaves unclaimed (and is not chatter) is clustered into
        # emerging themes whenever there are new records; without one, themes are discovered once (or on request).
        closed = _is_seeded(state)
        if (closed and (rediscover or pending or seeds)) or (not closed and (rediscover or not state.themes)):
            spans = self.store.load_spans()
            if spans:
                vectors = np.stack([s.vector for s in spans])
                texts = [s.text for s in spans]
                free = self.classifier(state).unclaimed(
                    vectors, [theme_text(t) for t in texts], [s.record_id for s in spans]) if closed else None
                state = discover(vectors, texts, state, self.config, free=free)
                mark_chatter(state, spans, self.config.assign_threshold, self.chatter.vectors)
                if self.chat_model is not None:
                    self._label_themes(state, spans)
                discovered = True
        self.store.save_taxonomy(state, "discover" if discovered else None,
                                 {"themes": len(state.themes)} if discovered else None)
        return RefreshReport(annotated=len(pending), themes=len(state.themes),
                             concern_themes=sum(t.is_concern for t in state.themes.values()),
                             discovered=discovered, seconds=time.perf_counter() - started)

    def _label_themes(self, state: TaxonomyState, spans: Sequence[StoredSpan]) -> None:
        """Short human labels written by the LLM for discovered themes (keyword labels stay as the fallback)."""
        labels, _ = assign(np.stack([s.vector for s in spans]), state, self.config.assign_threshold)
        examples: dict[str, list[str]] = {}
        for span, tid in zip(spans, labels, strict=True):
            if len(examples.setdefault(tid, [])) < LABEL_EXAMPLES:
                examples[tid].append(span.text)
        concern = {tid: t for tid, t in state.themes.items() if t.is_concern and t.source == "discovered"}
        for tid, label in label_themes(self.chat_model, concern, examples).items():
            state.themes[tid] = state.themes[tid].model_copy(update={"label": label})

    def _phrase_vectors(self, phrases: Sequence[str]) -> np.ndarray:
        """Short phrases (example phrases, form labels) embedded once per process: they recur on every run."""
        new = [p for p in dict.fromkeys(phrases) if p not in self._phrases]
        if new:
            self._phrases.update(zip(new, np.asarray(self.annotator.embedder.embed(new), dtype=np.float32),
                                     strict=True))
        return np.stack([self._phrases[p] for p in phrases])

    def _examples(self, state: TaxonomyState) -> tuple[dict[str, Phrases], Phrases]:
        """Each concern theme's example phrases, embedded, and the chatter's; with reviewed sentences added."""
        return self.corrections.teach({tid: Phrases(theme.examples, self._phrase_vectors(theme.examples)) for tid,
                                       theme in state.themes.items() if theme.is_concern and theme.examples},
                                      self.chatter, self.store, state.themes)

    def declared_themes(self, state: TaxonomyState, threshold: float) -> dict[str, list[tuple[str, str]]]:
        """Record id -> [(theme id, label)] for notes whose standard form lists its "Top concerns": each label
        goes to the one theme whose label contains all its words, else to the nearest concern theme when it
        clears `threshold` (labels that match none are dropped)."""
        forms = {r.id: r.top_concerns for r in self.records.iter_records() if r.top_concerns}
        concern = [tid for tid, t in state.themes.items() if t.is_concern and tid in state.centroids]
        if not forms or not concern:
            return {}
        words = list(dict.fromkeys(w for ws in forms.values() for w in ws))
        sims = self._phrase_vectors(words) @ np.stack([state.centroids[t] for t in concern]).T
        theme_of = {w: concern[int(s.argmax())] for w, s in zip(words, sims, strict=True) if s.max() >= threshold}
        names = {tid: " ".join([state.themes[tid].label, *state.themes[tid].aliases]) for tid in concern}
        theme_of.update(match_form_words(words, names))  # a former name (renamed, merged) still counts
        return {rid: [(theme_of[w], w) for w in ws if w in theme_of] for rid, ws in forms.items()}

    def spans(self) -> list[StoredSpan]:
        return self.store.load_spans()

    def quote_scores(self, state: TaxonomyState, annotations: Mapping[str, Annotation],
                     spans: Sequence[StoredSpan] | None = None) -> dict[tuple[str, int], float] | None:
        """How plainly each offline span is about the theme `annotations` give it, to pick quotes (None with
        the LLM annotator, whose concerns are not the stored spans). Pass `spans` when already loaded."""
        if self.llm_annotator:
            return None
        assigned: dict[tuple[str, int], str] = {}
        for a in annotations.values():  # a sentence's first theme (a second one shares its index)
            for c in a.concerns:
                assigned.setdefault((a.record_id, c.index), c.theme_id)
        return quote_scores(self.spans() if spans is None else spans, state, assigned)

    @property
    def annotator_key(self) -> str:
        return self.llm_annotator.key if self.llm_annotator else self.annotator.key

    def taxonomy(self) -> TaxonomyState:
        return self.store.load_taxonomy()

    @cached_property
    def chatter(self) -> Phrases:
        """The shipped chatter phrases and their vectors (read and embedded once per process)."""
        texts = load_chatter_phrases()
        return Phrases(texts, np.asarray(self.annotator.embedder.embed(texts), dtype=np.float32))

    def annotations(self, state: TaxonomyState | None = None,
                    spans: Sequence[StoredSpan] | None = None) -> dict[str, Annotation]:
        """Every record's annotation under `state` (the stored taxonomy by default); pass `spans` when
        already loaded. Records are those with spans (the offline annotator has split them)."""
        state = state or self.taxonomy()
        spans = self.spans() if spans is None else spans
        if self.llm_annotator is None:
            return self.corrections.apply(self.offline_annotations(state, spans), spans, state.themes)
        themes = {tid: t for tid, t in state.themes.items() if t.is_concern}
        with_spans = {s.record_id for s in spans}
        records = [r for r in self.records.iter_records() if r.id in with_spans]
        offline: dict[str, Annotation] = {}

        def fallback(failed: list[Record]) -> dict[str, Annotation]:
            # computed only when the LLM fails a record: the offline pass (form learning included) costs time
            if not offline:
                offline.update(self.offline_annotations(state, spans))
            return {r.id: offline[r.id] for r in failed}

        self.llm_annotator.fallback = fallback
        return self.corrections.apply(self.llm_annotator.annotate(records, themes), spans, state.themes)

    def classifier(self, state: TaxonomyState) -> SeededClassifier:
        """The seeded themes' classifier (cues and example phrases), with the discovered concern themes beside
        them as emerging themes."""
        themes = {tid: t for tid, t in state.themes.items() if t.is_concern}
        taught, chatter = self._examples(state)
        examples = {tid: p.vectors for tid, p in taught.items() if themes[tid].source != "discovered"}
        # beside them, by centre: discovered themes, and edited ones without examples (a renamed emerging theme)
        found = {tid: state.centroids[tid] for tid, t in themes.items()
                 if t.source != "seeded" and tid not in examples and tid in state.centroids}
        return SeededClassifier(themes, examples, chatter.vectors, found, self.seeded_config)

    def offline_annotations(self, state: TaxonomyState, spans: Sequence[StoredSpan]) -> dict[str, Annotation]:
        """The offline annotator's annotations: a seeded taxonomy's classifier (cues, examples, emerging themes)
        or, for discovered themes, the nearest theme per span; the forms' declared themes followed, then the
        form learner's decisions."""
        seeded = _is_seeded(state)
        threshold = self.config.seeded_threshold if seeded else self.config.assign_threshold
        declared = self.declared_themes(state, threshold)
        offline = annotate(spans, state, self.annotator.key, threshold, declared=declared,
                           classify=self.classifier(state).classify if seeded else None)
        inputs = learn_inputs(offline, spans, declared)
        return apply_decisions(offline, inputs, self._learned(inputs, state))

    def _learned(self, inputs: LearnInputs, state: TaxonomyState) -> dict[tuple[str, int], str] | None:
        """The form learner's decisions: stored ones when its inputs are unchanged (the fit takes seconds at 10k
        records, minutes at 100k), else learned now and stored. A process keeps its last fitted learner: when
        only spans outside the forms changed (new comments), only the new spans are predicted."""
        examples, chatter = self._examples(state)
        key = learn_key(inputs, examples, chatter, self.annotator.key)
        decided = self.store.load_learned(key)
        fitted = fit_key(inputs, examples, chatter, self.annotator.key)
        last = self._last_learner
        if (decided is None or self.keep_learner) and (last is None or last[0] != fitted):
            learner = fit_learner(inputs, examples, chatter)
            last = (fitted, learner, decided or {}) if learner is not None else None
        if last is not None and last[0] == fitted:
            if decided is None:
                decided = last[1].decide(inputs, known=last[2])
                self.store.save_learned(key, decided)
            self._last_learner = (fitted, last[1], decided)
        return decided

    def warm_learner(self) -> bool:
        """Fit the form learner if this process has none, so new comments are predicted, not refitted."""
        self.keep_learner = True
        if self._last_learner is None and self.llm_annotator is None:
            self.annotations()
        return self._last_learner is not None

    def corpus(self, state: TaxonomyState | None = None) -> Corpus:
        """The store's annotated data, read in one sequence: taxonomy (the stored one by default), spans,
        annotations, fact rows, quote scores. Summaries, `ask` and the evals all read theirs from here."""
        state = state or self.taxonomy()
        spans = self.spans()
        annotations = self.annotations(state, spans)
        return Corpus(taxonomy=state, spans=spans, annotations=annotations, rows=self.fact_rows(annotations),
                      scores=self.quote_scores(state, annotations, spans), outbound=self.outbound)

    def fact_rows(self, annotations: dict[str, Annotation] | None = None) -> list[FactRow]:
        annotations = annotations if annotations is not None else self.annotations()
        return [FactRow(record_id=r.id, district=r.district, date=r.date, kind=r.kind.value, meeting_id=r.meeting_id,
                        note_taker=r.note_taker, attendee_count=r.attendee_count, text=r.text,
                        annotation=annotations[r.id], date_precision=r.date_precision)
                for r in self.records.iter_records() if r.id in annotations]

    # -- summaries ------------------------------------------------------------------------------------------
    def summarize(self, *, district: str | None = None, period: str | None = None,
                  include_city: bool = True, corpus: Corpus | None = None) -> list[Summary]:
        """Summaries of `period` over `corpus` (the store's, by default). The period defaults to the latest
        month with a record dated to the day or month, else "all" (a store of undated or year-only records)."""
        corpus = corpus or self.corpus()
        if not corpus.rows:
            return []
        period = period or corpus.latest_period or ALL_KEY
        sheets = corpus.sheets(period, district=district, include_city=include_city)
        return [self._summary(sheet, corpus.index, corpus.keywords) for sheet in sheets]

    def _summary(self, sheet: FactSheet, index: CitationIndex, keywords: dict[str, list[str]]) -> Summary:
        model = model_name(self.chat_model) if self.chat_model else None
        prompt = load_prompt("narrative").key if self.chat_model else f"deterministic_v{DETERMINISTIC_VERSION}"
        fp = fingerprint(sheet, prompt=prompt, model=model, annotator=self.annotator_key)
        if cached := self.store.find_summary(sheet.district, sheet.period, fp):
            return Summary.model_validate(cached)
        result = write_narrative(sheet, index, self.chat_model, theme_keywords=keywords,
                                 budget_tokens=self.narrative_budget_tokens,
                                 token_counter=partial(count_tokens, encoding=self.token_encoding))
        summary = build_summary(sheet, result, fp=fp, annotator=self.annotator_key)
        self.store.save_summary(sheet.district, sheet.period, fp, summary.model_dump(mode="json", by_alias=True))
        log.info("summary %s %s: %s narrative, %d themes", sheet.district, sheet.period, result.source,
                 len(sheet.themes))
        return summary


def _is_seeded(state: TaxonomyState) -> bool:
    """A taxonomy with seeded themes that carry example phrases: classified by cues and examples."""
    return any(t.source != "discovered" and t.examples for t in state.themes.values())
