"""The vector index: Chroma, embedded (persistent, under the data directory) or a Chroma server (by URL),
behind one small interface. Chroma objects do not leave this module except through `as_langchain()`.

Vectors are computed by synth's own embedder and passed in, so the embedding model is chosen once, in
settings, and ingest controls batching. The collection still carries the embedding function, so query-by-text
and LangChain retrieval use the same model.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import urlparse

import chromadb
import numpy as np

from synth.errors import ConfigError, StoreError
from synth.settings import Settings
from vectorstore.embeddings import ChromaEmbeddingFunction, Embedder, LangChainEmbeddings
from vectorstore.hnsw_files import TailScrubber
from vectorstore.search import Hit, SearchFilter, VectorSearch  # noqa: F401  (re-exported)
from vectorstore.sharing import SharedDirectory, embedded_directory, reopen_client

log = logging.getLogger(__name__)
T = TypeVar("T")


def make_client(settings: Settings) -> Any:
    """An embedded persistent client under data_dir, or an HTTP client for SYNTH_CHROMA_URL."""
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ConfigError(f"SYNTH_CHROMA_URL must look like http://host:port, got {settings.chroma_url!r}")
        try:
            return chromadb.HttpClient(host=url.hostname, port=url.port or (443 if url.scheme == "https" else 8000),
                                       ssl=url.scheme == "https")
        except Exception as e:  # chromadb raises bare ValueError/ConnectionError subclasses here
            raise StoreError(f"cannot reach the Chroma server at {settings.chroma_url}: {e}. "
                             "Is `chroma run` up?") from e
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    # Opening a fresh directory creates Chroma's tables: two processes doing it at once collide ("table
    # collections already exists"), so opening holds the directory's lock like a write does.
    shared = SharedDirectory(settings.chroma_path)
    try:
        with shared.locked(exclusive=True):
            return chromadb.PersistentClient(path=str(settings.chroma_path))
    finally:
        shared.close()


class ChromaIndex:
    """Embedded Chroma is shared with other processes through `vectorstore/sharing.py`: every operation holds the
    directory's lock (writes exclusively) and first reopens the client if another process wrote since; a read
    that fails anyway (e.g. a directory changed by a program that does not take the lock) reopens and retries
    once. Operations of one process take turns."""

    def __init__(self, client: Any, collection: str, embedder: Embedder, *, fresh: bool = False) -> None:
        """Open (or create) the collection; `fresh` drops it first, e.g. to rebuild with another embedder."""
        self.client = client
        self.name = collection
        self.embedder = embedder
        self._ef = ChromaEmbeddingFunction(embedder)
        path = embedded_directory(client)
        self._shared = SharedDirectory(path) if path else None
        self._scrubber = TailScrubber(path) if path else None
        self._mutex = threading.RLock()
        self._generation: int | None = None  # of the shared directory when this client was (re)opened
        with self._using(write=fresh):
            if fresh:
                self._drop()
            self._col = self._open()

    @contextmanager
    def _using(self, *, write: bool = False) -> Iterator[None]:
        """Hold the index for one operation: reopen first if another process wrote; count a write."""
        if self._shared is None:
            yield
            return
        with self._mutex, self._shared.locked(exclusive=write):
            generation = self._shared.generation()
            if self._generation is not None and generation != self._generation:
                log.info("the index changed in another process (generation %s -> %s): reopening",
                         self._generation, generation)
                self._reopen()
            self._generation = generation
            try:
                yield
            finally:
                # after every operation, not only writes: cheap when nothing changed, and it also covers
                # files another process or an older version wrote without scrubbing (see hnsw_files.py)
                assert self._scrubber is not None
                self._scrubber.scrub()
                if write:
                    self._generation = self._shared.bump()

    def _reopen(self) -> None:
        self.client = reopen_client(self.client)
        self._col = self._open()

    def _read(self, op: Callable[[], T]) -> T:
        with self._using():
            try:
                return op()
            except Exception as e:  # chromadb raises InternalError (and others) for a stale graph
                if self._shared is None:
                    raise
                log.warning("index read failed (%s): reopening the index and retrying once", e)
                self._reopen()
                return op()

    def _open(self) -> Any:
        col = self.client.get_or_create_collection(
            self.name, embedding_function=self._ef,
            metadata={"hnsw:space": "cosine", "embedder": self.embedder.name},
        )
        built_with = (col.metadata or {}).get("embedder")
        if built_with and built_with != self.embedder.name:
            raise StoreError(f"the index '{self.name}' was built with embedder {built_with!r} but settings select "
                             f"{self.embedder.name!r}; run `synth reindex` to rebuild it")
        return col

    def upsert(self, ids: Sequence[str], embeddings: np.ndarray, documents: Sequence[str],
               metadatas: Sequence[dict[str, Any]]) -> None:
        with self._using(write=True):
            step = self.client.get_max_batch_size()
            for i in range(0, len(ids), step):
                self._col.upsert(ids=list(ids[i:i + step]), embeddings=embeddings[i:i + step],
                                 documents=list(documents[i:i + step]),
                                 metadatas=list(metadatas[i:i + step]))

    def query(self, text: str, k: int = 10, where: SearchFilter | None = None) -> list[Hit]:
        vec = self.embedder.embed([text])
        return self.query_vector(vec[0], k, where)

    def query_vector(self, vector: np.ndarray, k: int = 10, where: SearchFilter | None = None) -> list[Hit]:
        res = self._read(lambda: self._col.query(query_embeddings=[vector], n_results=k,
                                                 where=where.to_where() if where else None,
                                                 include=["documents", "metadatas", "distances"]))
        hits = []
        for cid, doc, meta, dist in zip(res["ids"][0], res["documents"][0], res["metadatas"][0],
                                        res["distances"][0], strict=True):
            hits.append(Hit(chunk_id=cid, record_id=str(meta["record_id"]), text=doc, distance=float(dist),
                            metadata=dict(meta)))
        return hits

    def get(self, where: SearchFilter | None = None, limit: int | None = None) -> list[Hit]:
        res = self._read(lambda: self._col.get(where=where.to_where() if where else None, limit=limit,
                                               include=["documents", "metadatas"]))
        return [Hit(chunk_id=cid, record_id=str(meta["record_id"]), text=doc, distance=0.0, metadata=dict(meta))
                for cid, doc, meta in zip(res["ids"], res["documents"], res["metadatas"], strict=True)]

    def export(self) -> tuple[list[str], list[str], list[dict[str, Any]], np.ndarray]:
        """Every chunk: (ids, documents, metadatas, embeddings), for vectorstore/snapshot.py."""
        res = self._read(lambda: self._col.get(include=["documents", "metadatas", "embeddings"]))
        embeddings = res["embeddings"]
        vectors = np.asarray(embeddings if embeddings is not None and len(embeddings) else np.zeros((0, 0)),
                             dtype=np.float32)
        return list(res["ids"]), list(res["documents"]), [dict(m) for m in res["metadatas"]], vectors

    def count(self) -> int:
        return int(self._read(lambda: self._col.count()))

    def delete_records(self, record_ids: Sequence[str]) -> None:
        if record_ids:
            with self._using(write=True):
                self._col.delete(where={"record_id": {"$in": list(record_ids)}})

    def reset(self) -> None:
        """Drop and recreate the collection."""
        with self._using(write=True):
            self._drop()
            self._col = self._open()

    def _drop(self) -> None:
        try:
            self.client.delete_collection(self.name)
        except Exception as e:  # missing collection: chromadb raises NotFoundError or ValueError by version
            log.debug("delete_collection(%s): %s", self.name, e)

    def close(self) -> None:
        """Release the lock file (the Chroma client stays usable by whoever shares it)."""
        if self._shared is not None:
            self._shared.close()

    def as_langchain(self) -> Any:
        """A LangChain VectorStore over the same collection (for retrieval chains). It uses the client as it is
        now and does not follow a reopen (see the class docstring)."""
        from langchain_chroma import Chroma

        return Chroma(client=self.client, collection_name=self.name,
                      embedding_function=LangChainEmbeddings(self.embedder))


def open_index(settings: Settings, embedder: Embedder, *, fresh: bool = False) -> ChromaIndex:
    return ChromaIndex(make_client(settings), settings.collection, embedder, fresh=fresh)
