"""The OpenAI-compatible client behind `vectorstore`'s OpenAI embedder: the one place it is constructed.

    openai, client = openai_embeddings_client(api_key, base_url, timeout=60.0, max_retries=2)
    client.embeddings.create(model=..., input=[...], encoding_format="float")

The `openai` module comes back with the client so the embedder can tell its errors apart (`APIStatusError`,
`APIError`). It is imported here, when an embedder is built, never at import time.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from synth.errors import EmbeddingError


def openai_embeddings_client(api_key: str, base_url: str | None, *, timeout: float,
                             max_retries: int) -> tuple[ModuleType, Any]:
    """(the `openai` module, an `openai.OpenAI` client for `base_url`); EmbeddingError without the package."""
    try:
        import openai
    except ImportError as e:
        raise EmbeddingError(f"the OpenAI embedder needs the 'openai' package: {e}") from e
    return openai, openai.OpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries)
