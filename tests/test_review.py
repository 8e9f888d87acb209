"""Review corrections and the queue: applying a verdict over an annotation, keeping it across refreshes and a
new annotator version, forgetting it with its record, learning from it, and the queue's order."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from samplecity import generate_city
from synth.forget import Forgetter
from synth.synthesis.models import OTHER_THEME, Annotation, Concern, SentimentScore
from synth.synthesis.review.corrections import Correction, apply_corrections, span_digest
from synth.synthesis.review.queue import BASE_WEIGHT, build_queue, district_counts, flip_consequence
from synth.synthesis.store import StoredSpan
from synth.synthesis.taxonomy_file import load_seed_file

NEG = SentimentScore(label="negative", score=-0.6)
NEU = SentimentScore(label="neutral", score=0.0)


def _span(idx: int, text: str, rid: str = "r1") -> StoredSpan:
    return StoredSpan(rid, idx, text, np.ones(4, dtype=np.float32), NEG)


def _correction(idx: int, text: str, theme: str | None, sentiment: Any = None, rid: str = "r1") -> Correction:
    return Correction(rid, idx, span_digest(text), theme, sentiment, "cora", dt.datetime.now(dt.UTC))


def _annotation() -> Annotation:
    return Annotation(record_id="r1", annotator="t", sentiment=NEG, concerns=[
        Concern(index=0, text="Cars race down Oak.", theme_id="traffic", sentiment=NEG),
        Concern(index=1, text="Bikes stolen, windows smashed.", theme_id="theft", sentiment=NEG),
        Concern(index=1, text="Bikes stolen, windows smashed.", theme_id="vandalism", sentiment=NEG),
        Concern(index=2, text="We met at the library.", theme_id=OTHER_THEME, sentiment=NEU)])


def test_a_correction_decides_its_sentence_and_nothing_else() -> None:
    spans = [_span(0, "Cars race down Oak."), _span(1, "Bikes stolen, windows smashed."),
             _span(2, "We met at the library.")]
    themes = {"traffic": 1, "theft": 1, "vandalism": 1, "noise": 1}
    ann = {"r1": _annotation()}
    fixed = apply_corrections(ann, [_correction(1, "Bikes stolen, windows smashed.", "theft")], spans, themes)
    assert fixed["r1"].themes == ["traffic", "theft"]  # the second theme of that sentence went with it
    none = apply_corrections(ann, [_correction(0, "Cars race down Oak.", OTHER_THEME)], spans, themes)
    assert none["r1"].themes == ["theft", "vandalism"]
    added = apply_corrections(ann, [_correction(2, "We met at the library.", "noise", "positive")], spans, themes)
    assert added["r1"].themes == ["traffic", "theft", "vandalism", "noise"]
    assert added["r1"].concerns[-1].sentiment.label == "positive"
    feeling = apply_corrections(ann, [_correction(0, "Cars race down Oak.", None, "neutral")], spans, themes)
    assert feeling["r1"].themes == ann["r1"].themes and feeling["r1"].concerns[0].sentiment.label == "neutral"
    assert ann["r1"].concerns[0].sentiment.label == "negative"  # the input is not changed
    second = dataclasses.replace(_correction(0, "Cars race down Oak.", "traffic"), also_theme="noise")
    both = apply_corrections(ann, [second], spans, themes)
    assert both["r1"].themes == ["traffic", "noise", "theft", "vandalism"]  # in sentence order
    assert [c.theme_id for c in both["r1"].concerns if c.index == 0] == ["traffic", "noise"]
    gone = apply_corrections(ann, [_correction(0, "Cars race down Oak.", "merged_away")], spans, themes)
    assert gone["r1"] == ann["r1"]  # a theme no longer in the taxonomy is not applied


def test_a_re_split_record_finds_the_corrected_sentence_by_its_text() -> None:
    moved = [_span(0, "Hello all."), _span(1, "Cars race down Oak."), _span(2, "Bikes stolen, windows smashed.")]
    ann = {"r1": Annotation(record_id="r1", annotator="t2", sentiment=NEG, concerns=[
        Concern(index=0, text="Hello all.", theme_id=OTHER_THEME, sentiment=NEU),
        Concern(index=1, text="Cars race down Oak.", theme_id="traffic", sentiment=NEG),
        Concern(index=2, text="Bikes stolen, windows smashed.", theme_id="theft", sentiment=NEG)])}
    fixed = apply_corrections(ann, [_correction(0, "Cars race down Oak.", OTHER_THEME)], moved)
    assert fixed["r1"].themes == ["theft"]  # index 0 was that sentence before the re-split
    stale = apply_corrections(ann, [_correction(1, "A sentence no longer there.", OTHER_THEME)], moved)
    assert stale["r1"] == ann["r1"]


def test_an_llm_annotation_is_corrected_by_the_sentence_its_excerpt_comes_from() -> None:
    spans = [_span(0, "Hello all."), _span(1, "Cars race down Oak every night."), _span(2, "Bins overflow.")]
    llm = {"r1": Annotation(record_id="r1", annotator="llm", sentiment=NEG, concerns=[  # its own numbering
        Concern(index=0, text="Cars race down Oak", theme_id="traffic", sentiment=NEG),
        Concern(index=1, text="Bins overflow", theme_id="noise", sentiment=NEG)])}
    themes = {"traffic": 1, "noise": 1, "litter": 1}
    fixed = apply_corrections(llm, [_correction(2, "Bins overflow.", "litter")], spans, themes)
    assert fixed["r1"].themes == ["traffic", "litter"]
    untouched = apply_corrections(llm, [_correction(0, "Hello all.", OTHER_THEME)], spans, themes)
    assert untouched["r1"] == llm["r1"]  # index 0 is the greeting, not the LLM's first excerpt


def test_flipping_a_sentence_counts_only_when_the_record_changes() -> None:
    ann = _annotation()
    counts = district_counts({"r1": ann}, ["r1"])
    assert flip_consequence(ann, 2, OTHER_THEME, counts) == 0  # already no concern
    # loses theft and vandalism (traffic is raised already), and the district's top themes change
    assert flip_consequence(ann, 1, "traffic", counts) == 3
    busy = Counter({"traffic": 20, "theft": 9, "vandalism": 8, "noise": 3, "parking": 2, "transit": 1})
    assert flip_consequence(ann, 1, "traffic", busy) == 2  # the same order after the flip: no headline point
    twice = ann.model_copy(update={"concerns": [*ann.concerns, Concern(index=3, text="Speeders again.",
                                                                        theme_id="traffic", sentiment=NEG)]})
    assert flip_consequence(twice, 0, OTHER_THEME, counts) == 0  # another sentence still carries traffic


@pytest.fixture
def city(services: Any, tmp_path: Path) -> Any:
    generate_city(tmp_path / "city", records=150, seed=3)
    services.ingestor.ingest([tmp_path / "city" / "notes", tmp_path / "city" / "comments"])
    services.synthesizer.refresh(seeds=load_seed_file(tmp_path / "city" / "taxonomy.yaml"))
    return services


def _mentions(corpus: Any, district: str, theme: str) -> int:
    period = corpus.default_period(district).period
    return next((t.mentions for t in corpus.sheet(district, period).themes if t.id == theme), 0)


@pytest.mark.parametrize("store_backend", ["embedded"], indirect=True)
def test_the_queue_is_ordered_and_corrections_hold_across_runs_and_go_with_their_record(city: Any) -> None:
    synth = city.synthesizer
    corpus = synth.corpus()
    items = build_queue(synth, corpus, limit=None)
    assert items and all(0.0 <= it.confidence <= 1.0 for it in items)
    assert [it.priority for it in items] == sorted((it.priority for it in items), reverse=True)
    assert all(it.priority == pytest.approx((1 - it.confidence) * (BASE_WEIGHT + it.consequence)) for it in items)
    assert items[0].consequence > 0
    item = next(it for it in items if it.theme_id != OTHER_THEME and sum(
        c.theme_id == it.theme_id for c in corpus.annotations[it.record_id].concerns) == 1)
    before = _mentions(corpus, item.district, item.theme_id)
    span = next(sp for sp in synth.store.load_spans([item.record_id]) if sp.idx == item.index)
    synth.corrections.save(span, "cora", theme_id=OTHER_THEME)
    assert _mentions(synth.corpus(), item.district, item.theme_id) == before - 1
    assert (item.record_id, item.index) not in {(it.record_id, it.index) for it in build_queue(synth, synth.corpus())}
    key = city.live.key()
    synth.refresh()
    assert _mentions(synth.corpus(), item.district, item.theme_id) == before - 1
    synth.annotator.key += "|next-version"  # a new annotator version re-splits every record
    assert synth.refresh().annotated == len(corpus.rows)
    assert _mentions(synth.corpus(), item.district, item.theme_id) == before - 1
    synth.corrections.save(span, "cora", sentiment="positive")
    assert city.live.key() != key  # the live corpus notices a verdict
    [deleted] = Forgetter(city.records, city.index).delete([item.record_id])
    assert deleted.removed["review_corrections"] == 1 and synth.corrections.all() == []


@pytest.mark.parametrize("store_backend", ["embedded"], indirect=True)
def test_corrected_sentences_teach_the_classifier(city: Any, tmp_path: Path) -> None:
    synth = city.synthesizer
    corpus = synth.corpus()
    # four sentences of one wording the classifier gives no theme: teach it that three are noise, see the fourth
    wording = "the wind chimes on the porch next door clang all evening"
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps([{"text": f"{wording.capitalize()}, said resident {n}.", "district": "District 1",
                                  "date": corpus.rows[0].date.isoformat(), "kind": "comment", "channel": "web_form"}
                                 for n in ("one", "two", "three", "four")]), encoding="utf-8")
    city.ingestor.ingest([extra])
    synth.refresh()
    spans = [sp for sp in synth.store.load_spans() if "wind chimes" in sp.text]
    assert len(spans) == 4
    corpus = synth.corpus()
    assert all("noise" not in corpus.annotations[sp.record_id].themes for sp in spans)

    def noise_count() -> int:
        annotations = synth.corpus().annotations
        return sum("noise" in annotations[sp.record_id].themes for sp in spans)

    for sp in spans[:3]:
        synth.corrections.save(sp, "cora", theme_id="noise")
    synth.corrections.learning = False
    assert noise_count() == 3  # applied, not learned
    synth.corrections.learning = True
    assert noise_count() == 4  # the unreviewed sentence moved too
