"""Adapters: the embedder as a Chroma embedding function (registered under the name "synth") and as
LangChain `Embeddings`.
"""

from __future__ import annotations

import threading
from typing import Any

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function
from langchain_core.embeddings import Embeddings as LCEmbeddings

from synth.errors import ConfigError
from vectorstore.embedder import Embedder
from vectorstore.registry import embedder_from_config


@register_embedding_function
class ChromaEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma embedding function over any Embedder.

    Chroma persists `name()` and `get_config()` with the collection and calls `build_from_config` when it
    reopens one (and, cheaply, on every create to test for legacy functions), so rebuilding is lazy: the
    model loads on the first embedding call. The stored config names the embedder ("embedder") and its
    dimension, never secrets. Vectors are unit length, so the default space is cosine.
    """

    def __init__(self, embedder: Embedder | None = None, *, config: dict[str, Any] | None = None) -> None:
        if embedder is None and config is None:
            raise ConfigError("ChromaEmbeddingFunction needs an embedder (or a stored config)")
        self._embedder = embedder
        self._lock = threading.Lock()
        if config is None:
            assert embedder is not None
            get_config = getattr(embedder, "config", None)
            config = dict(get_config()) if callable(get_config) else {}
            config["embedder"] = embedder.name
            if "kind" not in config or config["kind"] != "openai":  # openai's dim may need a request
                config["dim"] = int(embedder.dim)
        self._config = dict(config)

    @staticmethod
    def name() -> str:
        return "synth"

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            with self._lock:
                if self._embedder is None:
                    self._embedder = embedder_from_config(self._config)
        return self._embedder

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.embedder.embed(list(input)))

    def get_config(self) -> dict[str, Any]:
        return dict(self._config)

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbeddingFunction:
        return ChromaEmbeddingFunction(config=config)

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        if not isinstance(config.get("embedder"), str):
            raise ValueError(f"synth embedding function config lacks the embedder name: {config}")

    def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
        if old_config.get("embedder") != new_config.get("embedder"):
            raise ValueError(
                f"the collection's vectors come from {old_config.get('embedder')!r}; "
                f"it cannot switch to {new_config.get('embedder')!r} (re-index into a new collection)"
            )

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]


def check_collection_embedder(collection: Any, embedder: Embedder) -> None:
    """Raise ConfigError if `collection` was built with a different embedder than `embedder`.

    Chroma only compares embedding-function names on reopen, and every synth collection is named "synth",
    so a collection indexed with MiniLM would otherwise accept query vectors from another model silently.
    Collections created without a synth embedding function are not checked.
    """
    stored = (collection.configuration_json or {}).get("embedding_function") or {}
    if stored.get("name") != ChromaEmbeddingFunction.name():
        return
    stored_name = (stored.get("config") or {}).get("embedder")
    if stored_name is not None and stored_name != embedder.name:
        raise ConfigError(
            f"collection '{collection.name}' was indexed with the embedder {stored_name!r} but the settings "
            f"select {embedder.name!r}; set SYNTH_EMBEDDER to match or re-index into a new collection"
        )


class LangChainEmbeddings(LCEmbeddings):
    """LangChain Embeddings over any Embedder (e.g. for langchain-chroma or retrievers)."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed([text])[0].tolist()
