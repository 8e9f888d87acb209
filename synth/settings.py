"""All configuration in one place: `SYNTH_*` environment variables or a `.env` file.

Settings are built once by the CLI command or the FastAPI lifespan and passed down; nothing reads the
environment at import time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_model_dir() -> Path:
    """The local model's home, shared by every checkout and venv: $XDG_CACHE_HOME/synth/models (~/.cache/...)."""
    cache = os.environ.get("XDG_CACHE_HOME")
    return (Path(cache).expanduser() if cache else Path.home() / ".cache") / "synth" / "models"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SYNTH_", env_file=".env", extra="ignore")

    # Where the embedded store and the system of record live.
    data_dir: Path = Path(".synth")
    # System of record (records, chunks, rejections, later annotations and summaries).
    # Defaults to SQLite under data_dir; any SQLAlchemy URL works (postgresql+psycopg://...).
    database_url: str | None = None

    # Vector index: embedded Chroma under data_dir unless a server URL is given (http://host:port).
    chroma_url: str | None = None
    collection: str = "synth_chunks"

    # Embeddings: "minilm" runs all-MiniLM-L6-v2 offline through onnxruntime; "openai" calls any
    # OpenAI-compatible /embeddings endpoint (openai_base_url, openai_api_key, embedding_model); "hashing" is a
    # model-free feature-hashing embedder for tests only.
    embedder: Literal["minilm", "openai", "hashing"] = "minilm"  # hashing: fast, model-free, for tests
    embedding_model: str = "text-embedding-3-small"
    embed_batch_size: int = Field(32, ge=1, le=1024)
    embed_threads: int = Field(0, ge=0, description="onnxruntime intra-op threads; 0 = all cores")

    # Generative model: any OpenAI-compatible endpoint (OpenAI, Azure, vLLM, Ollama, llama.cpp).
    llm_backend: Literal["offline", "openai"] = "offline"
    openai_base_url: str | None = None
    openai_api_key: SecretStr | None = None
    llm_model: str = "gpt-4o-mini"
    # Per-record annotation: "offline" (embeddings, the default) or "llm" (the chat model reads each record;
    # needs llm_backend=openai). Records are packed per call within llm_batch_tokens of prompt.
    annotator: Literal["offline", "llm"] = "offline"
    # The taxonomy a store starts with: "starter" (synth's police–community themes, emerging themes beside
    # them), "discover" (themes discovered from the data alone) or the path of a taxonomy YAML.
    taxonomy: str = "starter"
    llm_batch_tokens: int = Field(6000, ge=500)
    llm_batch_records: int = Field(40, ge=1, le=500)
    # Where `make llm` / scripts/setup_llm.sh assemble the local model and `synth llm serve` looks for it.
    model_dir: Path = Field(default_factory=lambda: default_model_dir())

    # Token budgets (tiktoken encoding, shipped offline).
    tiktoken_encoding: str = "cl100k_base"
    chunk_tokens: int = Field(200, ge=32, le=2000)
    chunk_overlap: int = Field(20, ge=0, le=500)
    # A narrative prompt over this many tokens is written in parts (map-reduce); keep it under the model's
    # context window minus the reply.
    narrative_budget_tokens: int = Field(6000, ge=500)

    # Ingestion.
    refresh_seconds: float = Field(2.0, ge=0, description="API: how often new records are looked for and "
                                   "annotated in the background (0 = never; `synth summarize` still does)")
    ingest_batch_size: int = Field(256, ge=1, le=10_000)
    date_order: Literal["dmy", "mdy"] | None = Field(
        None, description="day/month order for dates like 01/02/2022 in a file where no row settles it")
    max_text_chars: int = Field(50_000, ge=100, description="longer texts are rejected, not truncated")
    # Bounded parsing: a larger file (or a workbook unpacking to more) fails with a clear error; a JSON record
    # nested deeper is rejected on its own (the rest of its file is kept).
    max_file_bytes: int = Field(100_000_000, ge=1_000)
    max_json_depth: int = Field(32, ge=2, le=200)

    # Where `synth eval --report` wrote the latest evaluation (report.json), as the API serves it.
    eval_report_dir: Path = Path("eval_report")
    redactor: Literal["presidio", "regex"] = "presidio"
    # Salt for pseudonymising note-taker names (kept as nt_<hash>, never as a name).
    pseudonym_salt: SecretStr = SecretStr("synth-dev-salt")

    # Retention: `synth records purge` deletes records dated more than this many months ago (unset: keep all).
    retention_months: int | None = Field(None, ge=1)

    # The API and the web sign-in (per API process: N workers allow N times the request rate).
    api_max_body_bytes: int = Field(10_000_000, ge=1_000, description="larger request bodies get 413")
    api_max_records: int = Field(1_000, ge=1, le=100_000, description="records per POST /records")
    api_requests_per_minute: int = Field(300, ge=1, description="per token; more get 429 with Retry-After")
    session_hours: float = Field(12, gt=0, description="a web sign-in lasts this long")
    signin_max_failures: int = Field(5, ge=1, description="wrong passwords in a row before the account waits")
    signin_lock_minutes: float = Field(15, gt=0)
    # Pages meant for the public (the monthly district report): counts of residents below this are shown as
    # "fewer than N", and no quote comes from a meeting smaller than this or a theme so suppressed.
    public_min_count: int = Field(5, ge=1, description="smallest count of residents a public page prints")

    environment: Literal["development", "production"] = "development"

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.annotator == "llm" and self.llm_backend != "openai":
            raise ValueError("SYNTH_ANNOTATOR=llm needs a chat model: set SYNTH_LLM_BACKEND=openai and its endpoint")
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError("SYNTH_CHUNK_OVERLAP must be smaller than SYNTH_CHUNK_TOKENS")
        if self.environment == "production" and self.pseudonym_salt.get_secret_value() == "synth-dev-salt":
            raise ValueError("set SYNTH_PSEUDONYM_SALT to a secret value in production")
        return self

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'synth.db').resolve()}"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"
