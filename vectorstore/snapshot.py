"""An exact, in-memory copy of the vector index that a one-shot `synth ask` process can search without Chroma.

Opening Chroma costs a `synth ask` process about 0.8 s (importing chromadb, loading the collection's HNSW
segment) before an open question can be answered, on top of the answer itself. The ask's warm-start cache
(synth/ask/cache.py) keeps this snapshot beside the fact rows instead: chunk ids, record ids, texts, filter
metadata and unit vectors (float16: half the bytes, cosine within 1e-3). A search is brute force over the rows
the filter keeps (10,000 chunks: a few milliseconds) with Chroma's cosine distance (1 - cosine similarity)
and the same filter semantics as `SearchFilter.to_where()`: a chunk without the filtered field is left out.

The snapshot is only as fresh as the cache holding it; the cache's fingerprint covers the records the index
holds (synth/ask/cache.py). The API and every writer keep using Chroma itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from vectorstore.search import Hit, SearchFilter, date_number

if TYPE_CHECKING:
    from vectorstore.embedder import Embedder
    from vectorstore.store import ChromaIndex


@dataclass
class IndexSnapshot:
    chunk_ids: list[str]
    texts: list[str]
    metadata: list[dict[str, Any]]
    vectors: np.ndarray  # chunks x dim, unit rows, float16

    @classmethod
    def of(cls, index: ChromaIndex) -> IndexSnapshot:
        ids, texts, metadata, vectors = index.export()
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(ids), -1)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit = vectors / np.where(norms > 0, norms, 1.0)
        return cls(list(ids), list(texts), [dict(m) for m in metadata], unit.astype(np.float16))

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def _column(self, key: str) -> np.ndarray:
        return np.array([m.get(key) for m in self.metadata], dtype=object)

    def keep(self, where: SearchFilter | None) -> np.ndarray:
        """The chunks `where` keeps, as Chroma's metadata filter would."""
        mask = np.ones(len(self), dtype=bool)
        if where is None or not len(self):
            return mask
        for key, wanted in (("district", where.districts), ("kind", where.kinds), ("record_id", where.record_ids)):
            if wanted:
                mask &= np.isin(self._column(key), list(wanted))
        if where.meeting_id:
            mask &= self._column("meeting_id") == where.meeting_id
        if where.date_from or where.date_to:
            dates = np.array([m.get("date", -1) for m in self.metadata], dtype=np.int64)
            mask &= dates >= 0
            if where.date_from:
                mask &= dates >= date_number(where.date_from)
            if where.date_to:
                mask &= dates <= date_number(where.date_to)
        return mask


class SnapshotIndex:
    """`ChromaIndex.query` over a snapshot: the same hits (exact, where Chroma's HNSW is approximate)."""

    def __init__(self, snapshot: IndexSnapshot, embedder: Embedder) -> None:
        self.snapshot = snapshot
        self.embedder = embedder

    def query(self, text: str, k: int = 10, where: SearchFilter | None = None) -> list[Hit]:
        return self.query_vector(self.embedder.embed([text])[0], k, where)

    def query_vector(self, vector: np.ndarray, k: int = 10, where: SearchFilter | None = None) -> list[Hit]:
        snap = self.snapshot
        rows = np.flatnonzero(snap.keep(where))
        if not len(rows) or k <= 0:
            return []
        v = np.asarray(vector, dtype=np.float32)
        v = v / (np.linalg.norm(v) or 1.0)
        distance = 1.0 - snap.vectors[rows].astype(np.float32) @ v
        top = np.argsort(distance, kind="stable")[:k]
        return [Hit(chunk_id=snap.chunk_ids[i], record_id=str(snap.metadata[i]["record_id"]), text=snap.texts[i],
                    distance=float(d), metadata=dict(snap.metadata[i]))
                for i, d in zip(rows[top], distance[top], strict=True)]
