"""Embedders by name: from settings (`build_embedder`) or from a stored `config()` (`embedder_from_config`)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from synth.errors import ConfigError, EmbeddingError
from vectorstore.embedder import Embedder
from vectorstore.hashing import HashingEmbedder
from vectorstore.minilm import MiniLMEmbedder
from vectorstore.openai_embedder import OpenAIEmbedder

EMBEDDERS: dict[str, Callable[[Any], Embedder]] = {
    "minilm": MiniLMEmbedder.from_settings,
    "openai": OpenAIEmbedder.from_settings,
    "hashing": HashingEmbedder.from_settings,
}


def build_embedder(settings: Any) -> Embedder:
    """The embedder named by `settings.embedder` ("minilm", "openai"; "hashing" for tests)."""
    kind = getattr(settings, "embedder", None)
    try:
        factory = EMBEDDERS[str(kind)]
    except KeyError:
        raise ConfigError(
            f"unknown embedder {kind!r} (SYNTH_EMBEDDER); choose one of {', '.join(EMBEDDERS)}"
        ) from None
    return factory(settings)


def embedder_from_config(config: dict[str, Any]) -> Embedder:
    """Rebuild an embedder from its `config()` (as stored by Chroma). The OpenAI key comes from the
    environment (SYNTH_OPENAI_API_KEY, else OPENAI_API_KEY), never from the stored config."""
    kind = config.get("kind")
    if kind == "minilm":
        return MiniLMEmbedder(
            batch_size=int(config.get("batch_size", 32)),
            threads=int(config.get("threads", 0)),
            max_length=int(config.get("max_length", 256)),
        )
    if kind == "openai":
        key = os.environ.get("SYNTH_OPENAI_API_KEY") or os.environ.get("OPENAI_API_KEY")
        return OpenAIEmbedder(
            model=config["model"],
            api_key=key,
            base_url=config.get("base_url"),
            batch_size=int(config.get("batch_size", 256)),
        )
    if kind == "hashing":
        return HashingEmbedder(dim=int(config.get("dim", 384)))
    raise EmbeddingError(
        f"cannot rebuild embedder {config.get('embedder', '?')!r} from its stored config {config}; "
        "pass embedding_function=ChromaEmbeddingFunction(build_embedder(settings)) when opening the "
        "collection"
    )
