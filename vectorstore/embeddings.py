"""Embedders: text -> L2-normalised float32 vectors, plus adapters for Chroma and LangChain.

    Embedder               the protocol every embedder follows (name, dim, embed)
    MiniLMEmbedder         all-MiniLM-L6-v2 (int8 ONNX, 384-d) on onnxruntime, fully offline
    OpenAIEmbedder         any OpenAI-compatible /embeddings endpoint
    HashingEmbedder        feature hashing of words and word pairs; deterministic, no model (tests)
    build_embedder         settings.embedder -> Embedder
    ChromaEmbeddingFunction, LangChainEmbeddings   adapters

Each lives in its own module (embedder, minilm, openai_embedder, hashing, registry, adapters); import them
from here. Heavy libraries (onnxruntime, tokenizers, openai) are imported when an embedder is built, never at
import.
Importing this module registers ChromaEmbeddingFunction with Chroma, so a persisted collection can be
reopened even without passing `embedding_function=`.
"""

from vectorstore.adapters import ChromaEmbeddingFunction, LangChainEmbeddings, check_collection_embedder
from vectorstore.embedder import Embedder
from vectorstore.hashing import HashingEmbedder
from vectorstore.minilm import MiniLMEmbedder
from vectorstore.openai_embedder import OpenAIEmbedder
from vectorstore.registry import EMBEDDERS, build_embedder, embedder_from_config

__all__ = [
    "EMBEDDERS",
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
