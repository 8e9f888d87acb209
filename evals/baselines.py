"""Baselines scored in the same run as synth, on the same records and labels (section `baselines`).

* **keyword**: a record raises every starter theme one of whose cues (the words that name the theme outright)
  occurs in its text: the "five-minute keyword list" a coordinator could write.
* **clusters**: BERTopic's clustering step on the same MiniLM record embeddings (HDBSCAN, min cluster size 5,
  no UMAP reduction; BERTopic itself needs torch, which synth does not install); noise is no theme.

Each is read like synth's themes: record-level F1 after Hungarian matching to the labelled themes, and NMI of
each record's first theme.
"""

from __future__ import annotations

import numpy as np

from evals import metrics as m
from evals.models import Metric, Section
from evals.runner import RunArtifacts
from evals.sections import _labelled, section
from synth.synthesis.seeded import compile_cues
from synth.synthesis.taxonomy_file import load_starter


def keyword_themes(texts: dict[str, str]) -> dict[str, list[str]]:
    patterns = [(t.id, compile_cues(tuple(t.cues))) for t in load_starter()]
    return {rid: [tid for tid, p in patterns if p is not None and p.search(text)] for rid, text in texts.items()}


def cluster_themes(art: RunArtifacts, ids: list[str]) -> dict[str, list[str]]:
    from sklearn.cluster import HDBSCAN

    vectors = np.asarray(art.embed([art.records[rid].text for rid in ids]), dtype=np.float32)
    labels = HDBSCAN(min_cluster_size=5, metric="euclidean").fit(vectors).labels_
    return {rid: ([f"c{lab}"] if lab >= 0 else []) for rid, lab in zip(ids, labels, strict=True)}


@section("baselines")
def baselines_section(art: RunArtifacts) -> Section | None:
    ids = [rid for rid in _labelled(art, "themes") if rid in art.records]
    if not ids:
        return None
    gold = {rid: art.dataset.labels[rid].themes for rid in ids}
    metrics = []
    for name, predicted in (("keyword", keyword_themes({rid: art.records[rid].text for rid in ids})),
                            ("clusters", cluster_themes(art, ids))):
        match = m.match_themes(predicted, gold, ids)
        _, _, record_f1 = m.record_theme_f1(predicted, gold, ids, match)
        _, nmi = m.partition_agreement(predicted, gold, ids)
        metrics += [Metric(key=f"baselines.{name}_record_f1", value=record_f1, n=len(ids),
                           formula="as themes.record_f1, for the baseline's themes"),
                    Metric(key=f"baselines.{name}_nmi", value=nmi, n=len(ids), formula="as themes.nmi")]
    return Section(name="baselines", title="Baselines (same records, same labels)", metrics=metrics)
