"""The vector index behind one interface: every test runs on the embedded store and on a real Chroma server."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from synth.errors import StoreError
from synth.settings import Settings
from vectorstore.embeddings import HashingEmbedder
from vectorstore.store import ChromaIndex, SearchFilter, make_client, open_index

DOCS = [
    ("a#0", "Street lights are out on Birch, it is pitch dark", "District 3", dt.date(2026, 9, 3), "meeting_note",
     "KT-1"),
    ("b#0", "Cars speeding past the school every morning", "District 5", dt.date(2026, 9, 20), "comment", None),
    ("c#0", "The lamps by the underpass are broken again", "District 3", dt.date(2026, 10, 2), "comment", None),
    ("d#0", "Thank you officers for the quick response", "District 1", dt.date(2026, 10, 15), "survey_response", None),
    ("e#0", "Lights near the park are dark at night", "District 3", dt.date(2026, 11, 1), "meeting_note", "KT-2"),
]


def fill(index: ChromaIndex) -> None:
    emb = index.embedder.embed([d[1] for d in DOCS])
    metas = []
    for cid, _, district, date, kind, meeting in DOCS:
        m = {"record_id": cid.split("#")[0], "chunk": 0, "district": district, "kind": kind,
             "date": int(date.strftime("%Y%m%d"))}
        if meeting:
            m["meeting_id"] = meeting
        metas.append(m)
    index.upsert([d[0] for d in DOCS], emb, [d[1] for d in DOCS], metas)


@pytest.fixture
def index(settings: Settings) -> ChromaIndex:
    idx = open_index(settings, HashingEmbedder())
    fill(idx)
    return idx


def test_upsert_is_idempotent(index: ChromaIndex) -> None:
    assert index.count() == 5
    fill(index)
    assert index.count() == 5


def test_query_ranks_by_meaning_of_shared_words(index: ChromaIndex) -> None:
    hits = index.query("lights are out and dark", k=2)
    assert {h.record_id for h in hits} <= {"a", "c", "e"} and hits[0].distance <= hits[1].distance


@pytest.mark.parametrize(("flt", "expected"), [
    (SearchFilter(districts=["District 3"]), {"a", "c", "e"}),
    (SearchFilter(districts=["District 3"], kinds=["comment"]), {"c"}),
    (SearchFilter(date_from=dt.date(2026, 10, 1), date_to=dt.date(2026, 10, 31)), {"c", "d"}),
    (SearchFilter(meeting_id="KT-2"), {"e"}),
    (SearchFilter(record_ids=["b", "d"]), {"b", "d"}),
    (SearchFilter(districts=["District 3"], date_from=dt.date(2026, 10, 1)), {"c", "e"}),
])
def test_metadata_filters(index: ChromaIndex, flt: SearchFilter, expected: set[str]) -> None:
    assert {h.record_id for h in index.query("lights", k=5, where=flt)} == expected
    assert {h.record_id for h in index.get(flt)} == expected


def test_delete_and_reset(index: ChromaIndex) -> None:
    index.delete_records(["a", "b"])
    assert index.count() == 3
    index.reset()
    assert index.count() == 0


def test_reopen_persists_and_refuses_another_embedder(settings: Settings, index: ChromaIndex) -> None:
    again = open_index(settings, HashingEmbedder())
    assert again.count() == 5
    with pytest.raises(StoreError, match="synth reindex"):
        ChromaIndex(make_client(settings), settings.collection, HashingEmbedder(dim=64))


def test_langchain_view_over_the_same_collection(index: ChromaIndex) -> None:
    lc = index.as_langchain()
    docs = lc.similarity_search("lamps broken underpass", k=1, filter={"district": "District 3"})
    assert docs[0].page_content.startswith("The lamps by the underpass")


def test_vectors_are_what_we_gave(index: ChromaIndex) -> None:
    vec = index.embedder.embed([DOCS[1][1]])[0]
    [hit] = index.query_vector(vec, k=1)
    assert hit.record_id == "b" and hit.distance == pytest.approx(0.0, abs=1e-5)
    assert np.isclose(np.linalg.norm(vec), 1.0)
