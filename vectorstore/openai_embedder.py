"""Any OpenAI-compatible /embeddings endpoint."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from synth.errors import ConfigError, EmbeddingError
from synth.texts import check_texts
from vectorstore.embedder import l2_normalise

_KNOWN_OPENAI_DIMS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}


def _secret(value: Any) -> str | None:
    if value is None:
        return None
    if hasattr(value, "get_secret_value"):
        value = value.get_secret_value()
    return str(value) or None


class OpenAIEmbedder:
    """Embeddings from any OpenAI-compatible /embeddings endpoint (OpenAI, Azure, vLLM, Ollama, llama.cpp).

    `base_url` defaults to OpenAI's; an API key is always required (local servers accept any non-empty
    value). HTTP and connection failures raise EmbeddingError with the cause. `dim` comes from a table of
    known OpenAI models, else from the first response (one probe request if read before any `embed`).
    """

    def __init__(
        self,
        model: str,
        api_key: Any = None,
        base_url: str | None = None,
        batch_size: int = 256,
        *,
        timeout: float = 60.0,
        max_retries: int = 2,
    ) -> None:
        key = _secret(api_key)
        if not key:
            raise ConfigError(
                "the OpenAI embedder needs an API key: set SYNTH_OPENAI_API_KEY (for a local "
                "OpenAI-compatible server any non-empty value works) and SYNTH_OPENAI_BASE_URL for a "
                "non-OpenAI endpoint, or set SYNTH_EMBEDDER=minilm to embed offline"
            )
        if base_url is not None and not re.match(r"^https?://[^/\s]+", base_url):
            raise ConfigError(
                "SYNTH_OPENAI_BASE_URL must be an http(s) URL such as http://127.0.0.1:8080/v1, "
                f"got {base_url!r}"
            )
        if not model:
            raise ConfigError("SYNTH_EMBEDDING_MODEL is empty; name the embedding model to call")
        if batch_size < 1:
            raise ConfigError(f"embedding batch size must be >= 1, got {batch_size}")
        from synth.llm.embeddings import openai_embeddings_client

        self._openai, self._client = openai_embeddings_client(key, base_url, timeout=timeout, max_retries=max_retries)
        self.model = model
        self.base_url = base_url
        self.batch_size = batch_size
        self.name = f"openai:{model}"
        self._dim: int | None = _KNOWN_OPENAI_DIMS.get(model)
        self._dim_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Any) -> OpenAIEmbedder:
        return cls(
            model=settings.embedding_model,
            api_key=settings.openai_api_key,
            base_url=settings.openai_base_url,
            batch_size=settings.embed_batch_size,
        )

    @property
    def dim(self) -> int:
        if self._dim is None:
            with self._dim_lock:
                if self._dim is None:
                    self._dim = int(self.embed(["dimension probe"]).shape[1])
        return self._dim

    def config(self) -> dict[str, Any]:
        """Rebuild information; never contains the API key."""
        return {
            "kind": "openai",
            "model": self.model,
            "base_url": self.base_url,
            "batch_size": self.batch_size,
        }

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = check_texts(texts)
        if not texts:
            return np.empty((0, self._dim or 0), dtype=np.float32)
        rows: list[np.ndarray] = []
        for start in range(0, len(texts), self.batch_size):
            # OpenAI rejects empty strings; a single space embeds as "nothing".
            batch = [t if t.strip() else " " for t in texts[start : start + self.batch_size]]
            rows.append(self._embed_batch(batch))
        out = l2_normalise(np.vstack(rows))
        if self._dim is None:
            self._dim = out.shape[1]
        elif out.shape[1] != self._dim:
            raise EmbeddingError(
                f"{self.name} at {self.base_url or 'api.openai.com'} returned {out.shape[1]}-d vectors, "
                f"expected {self._dim}"
            )
        return out

    def _embed_batch(self, batch: list[str]) -> np.ndarray:
        where = self.base_url or "api.openai.com"
        try:
            response = self._client.embeddings.create(model=self.model, input=batch, encoding_format="float")
        except self._openai.APIStatusError as e:
            raise EmbeddingError(
                f"embedding request to {where} (model {self.model}) failed with HTTP {e.status_code}: "
                f"{e.message}"
            ) from e
        except self._openai.APIError as e:  # connection errors, timeouts, unparseable responses
            raise EmbeddingError(f"embedding request to {where} (model {self.model}) failed: {e}") from e
        data = sorted(response.data or [], key=lambda d: d.index)
        if len(data) != len(batch) or [d.index for d in data] != list(range(len(batch))):
            raise EmbeddingError(
                f"{where} returned {len(data)} embeddings for {len(batch)} inputs (model {self.model})"
            )
        try:
            arr = np.asarray([d.embedding for d in data], dtype=np.float32)
        except (TypeError, ValueError) as e:
            raise EmbeddingError(f"{where} returned malformed embeddings (model {self.model}): {e}") from e
        if arr.ndim != 2 or arr.shape[1] == 0 or not np.isfinite(arr).all():
            raise EmbeddingError(f"{where} returned malformed embeddings of shape {arr.shape}")
        return arr
