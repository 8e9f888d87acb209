"""The vector index's snapshot (vectorstore/snapshot.py) that a warm `synth ask` searches instead of Chroma:
the same hits as Chroma under every filter, used by the warm path, and rebuilt when the index changes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from synth.ask.cache import settings_key, store_fingerprint
from synth.ask.service import Asker
from tests.test_ask_cache import QUESTIONS, _cold, seeded  # noqa: F401  (the fixture)
from vectorstore.search import SearchFilter
from vectorstore.snapshot import IndexSnapshot, SnapshotIndex

FILTERS = [
    None,
    SearchFilter(districts=["District A"]),
    SearchFilter(districts=["District B"], kinds=["comment"]),
    SearchFilter(date_from=dt.date(2026, 11, 1), date_to=dt.date(2026, 11, 30)),
    SearchFilter(date_from=dt.date(2026, 10, 15)),
    SearchFilter(kinds=["meeting_note"], date_to=dt.date(2026, 10, 31)),
    SearchFilter(districts=["Nowhere"]),
]
TEXTS = ["the street lights are out", "cars speeding past the school", "the park is dirty", "thank you"]


@pytest.mark.parametrize("where", FILTERS)
def test_a_snapshot_finds_what_chroma_finds(seeded: Any, where: SearchFilter | None) -> None:  # noqa: F811
    chroma = seeded.index
    snapshot = SnapshotIndex(IndexSnapshot.of(chroma), seeded.embedder)
    assert len(snapshot.snapshot) == chroma.count() > 0
    for text in TEXTS:
        want, got = chroma.query(text, k=8, where=where), snapshot.query(text, k=8, where=where)
        assert [h.distance for h in got] == pytest.approx([h.distance for h in want], abs=2e-3)
        # the same chunks, except among equally distant ones at the k-th place (the sample's texts repeat)
        edge = want[-1].distance - 2e-3 if want else 0.0
        assert {(h.chunk_id, h.text, json.dumps(h.metadata, sort_keys=True)) for h in got if h.distance < edge} == \
            {(h.chunk_id, h.text, json.dumps(h.metadata, sort_keys=True)) for h in want if h.distance < edge}


def test_the_snapshot_leaves_out_chunks_without_the_filtered_field() -> None:
    import numpy as np

    snap = IndexSnapshot(chunk_ids=["a", "b", "c"], texts=["x", "y", "z"],
                         metadata=[{"record_id": "a", "date": 20261101, "district": "A"},
                                   {"record_id": "b"}, {"record_id": "c", "date": 20261002, "district": "B"}],
                         vectors=np.eye(3, dtype=np.float16))
    assert list(snap.keep(SearchFilter(date_from=dt.date(2026, 10, 1)))) == [True, False, True]
    assert list(snap.keep(SearchFilter(districts=["A", "B"]))) == [True, False, True]
    assert list(snap.keep(SearchFilter(record_ids=["b"]))) == [False, True, False]


def test_a_warm_ask_searches_the_snapshot_and_never_opens_chroma(seeded: Any,  # noqa: F811
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    Asker.from_services(seeded, refresh=True)  # builds the cache, with the index's snapshot
    cold = _cold(seeded)

    def no_chroma(_: Any) -> Any:
        raise AssertionError("a warm ask opened the vector index")

    from synth.services import Services

    monkeypatch.setattr(Services, "index", property(no_chroma))  # a data descriptor: wins over the cached one
    warm = Asker.from_services(seeded, refresh=True)
    assert isinstance(warm.retriever.index, SnapshotIndex)
    answers = [warm.ask(q).model_dump(mode="json", exclude={"conversation_id"}) for q in QUESTIONS]
    assert answers == cold
    assert answers[-1]["route"] == "retrieval" and answers[-1]["citations"]


def test_the_cache_is_rebuilt_when_the_index_changes(seeded: Any, write: Any) -> None:  # noqa: F811
    from sqlalchemy import text

    from tests.test_synthesis import make_records

    key = settings_key(seeded.settings)
    before = store_fingerprint(seeded.records, key)
    with seeded.records.engine.connect() as conn:
        some = [r for (r,) in conn.execute(text("SELECT id FROM records ORDER BY id LIMIT 2"))]
    seeded.records.mark_indexed(some, False)  # as while the index thread has not caught up
    assert store_fingerprint(seeded.records, key) != before
    seeded.records.mark_indexed(some, True)
    assert store_fingerprint(seeded.records, key) == before
    new = make_records({("District B", "2026-11"): {"lighting": 2}}, start=2000)
    seeded.ingestor.ingest([write("more.jsonl", "\n".join(json.dumps(r) for r in new) + "\n")])
    asker = Asker.from_services(seeded, refresh=True)
    assert isinstance(asker.retriever.index, SnapshotIndex)
    assert len(asker.retriever.index.snapshot) == seeded.index.count()


def test_an_index_that_cannot_be_read_leaves_figures_questions_working(seeded: Any,  # noqa: F811
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from synth.errors import StoreError
    from synth.services import Services

    def down(_: Any) -> Any:
        raise StoreError("the Chroma server at http://127.0.0.1:1 is not answering")

    monkeypatch.setattr(Services, "index", property(down))
    asker = Asker.from_services(seeded, refresh=True)  # cold: the cache is built without a snapshot
    answer = asker.ask(QUESTIONS[0])
    assert answer.status == "answered" and answer.figures
    with pytest.raises(StoreError, match="not answering"):
        asker.ask(QUESTIONS[-1])  # an open question needs the index, and says why it cannot have it
