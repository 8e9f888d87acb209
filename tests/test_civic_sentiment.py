"""The hand-labelled civic sentiment set (evals/data/civic_sentiment) and the `civic-sentiment` eval dataset.

The labels file is checked everywhere; the statement text lives in ../shared/data/polis, so the tests that
join labels to text, and the model's figures on the set, skip cleanly when that folder is absent.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from evals import nhs_sentiment as nhs
from evals.civic_sentiment import LABELS_CSV, CivicStatement, load_civic_statements
from evals.datasets import load_dataset
from synth.errors import DatasetError

from .paths import SHARED_DATA

needs_data = pytest.mark.skipif(not (SHARED_DATA / "polis").is_dir(), reason="../shared/data is not available")


def _label_rows() -> list[dict[str, str]]:
    with LABELS_CSV.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == ["conversation", "comment_id", "sentiment"]  # no statement text stored
        return list(reader)


def test_labels_are_many_spread_and_unique() -> None:
    rows = _label_rows()
    keys = [(r["conversation"], r["comment_id"]) for r in rows]
    assert len(rows) >= 300 and len(set(keys)) == len(keys)
    assert set(Counter(r["sentiment"] for r in rows)) == {"negative", "neutral", "positive"}
    by_conversation = Counter(r["conversation"] for r in rows)
    assert len(by_conversation) == 5 and min(by_conversation.values()) >= 20
    # London's ids 0-14 are the moderator's demographic questions, not opinions
    assert all(int(r["comment_id"]) >= 15 for r in rows if r["conversation"] == "london.youth.policing")


@needs_data
def test_every_label_joins_an_accepted_statement() -> None:
    statements = load_civic_statements()
    assert len(statements) == len(_label_rows())
    assert all(st.text.strip() for st in statements)
    rejected = set()
    with (SHARED_DATA / "polis" / "ssis.land-bank-farmland" / "comments.csv").open(encoding="utf-8") as f:
        rejected = {r["comment-id"] for r in csv.DictReader(f) if r["moderated"] == "-1"}
    assert not rejected & {st.comment_id for st in statements if st.conversation == "ssis.land-bank-farmland"}


@needs_data
def test_a_label_for_a_missing_statement_is_a_dataset_error(tmp_path: Path) -> None:
    bad = tmp_path / "labels.csv"
    bad.write_text("conversation,comment_id,sentiment\nbowling-green,999999,neutral\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="999999"):
        load_civic_statements(bad)
    bad.write_text("conversation,comment_id,sentiment\nbowling-green,0,angry\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="sentiment"):
        load_civic_statements(bad)


@needs_data
def test_eval_dataset_writes_the_statements_with_their_labels(tmp_path: Path) -> None:
    ds = load_dataset("civic-sentiment", tmp_path, limit=50)
    assert ds.name == "civic-sentiment" and ds.truth == "human" and ds.has_sentiment and not ds.has_themes
    with ds.inputs[0].open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    statements = load_civic_statements()[:50]
    assert [r["id"] for r in rows] == [st.record_id for st in statements] == list(ds.labels)
    assert [r["text"] for r in rows] == [st.text for st in statements]
    assert all(ds.labels[st.record_id].sentiment == st.label for st in statements)
    assert all(r["district"] == st.conversation for r, st in zip(rows, statements, strict=True))


# ---------------------------------------------------------------------------------------------------------
# The set against the trainer and the shipped model (real MiniLM)
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def statements() -> list[CivicStatement]:
    return load_civic_statements()


@pytest.mark.slow
@needs_data
def test_no_seed_sentence_paraphrases_a_labelled_statement(statements: list[CivicStatement]) -> None:
    from scripts.train_sentiment import CIVIC_SEED
    from vectorstore.embeddings import MiniLMEmbedder

    embedder = MiniLMEmbedder()
    similarity = embedder.embed([t for t, _ in CIVIC_SEED]) @ embedder.embed([s.text for s in statements]).T
    assert float(similarity.max()) < 0.75  # the trainer never sees this set, not even paraphrased


@pytest.mark.slow
@needs_data
def test_shipped_model_reads_civic_statements_better_than_the_majority(statements: list[CivicStatement]) -> None:
    from synth.synthesis.sentiment import OfflineSentiment
    from vectorstore.embeddings import MiniLMEmbedder

    gold = [s.label for s in statements]
    pred = [r.label for r in OfflineSentiment(MiniLMEmbedder()).score_batch([s.text for s in statements])]
    majority = [nhs.majority_label(gold)] * len(gold)
    acc, f1 = nhs.accuracy(gold, pred), nhs.macro_f1(gold, pred)
    print(f"\ncivic labelled set (n={len(gold)}, {dict(sorted(Counter(gold).items()))}): accuracy {acc:.3f} "
          f"macro-F1 {f1:.3f}; always-{majority[0]} accuracy {nhs.accuracy(gold, majority):.3f}")
    assert acc > nhs.accuracy(gold, majority)
    assert f1 > 0.6
    # proposals are not complaints: most statements labelled neutral are read as neutral
    neutral = [p for g, p in zip(gold, pred, strict=True) if g == "neutral"]
    assert neutral.count("neutral") / len(neutral) > 0.7
