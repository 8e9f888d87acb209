"""Builds the long-lived components from settings. Called by a CLI command or the FastAPI lifespan, never
at import time, so tests can build the same graph with fakes."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from synth.db import RecordStore
from synth.errors import StoreError
from synth.outbound import OutboundScrubber
from synth.settings import Settings

if TYPE_CHECKING:  # each component imports its heavy libraries (presidio, spaCy, Chroma, ONNX) when first built
    from synth.audit import AuditLog
    from synth.ingest import Ingestor, ProgressFn
    from synth.llm.model import ChatModel
    from synth.redact import Redactor
    from synth.synthesis.live import LiveCorpus
    from synth.synthesis.models import Theme
    from synth.synthesis.pipeline import Synthesizer
    from synth.users import UserStore
    from vectorstore.embeddings import Embedder
    from vectorstore.store import ChromaIndex

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    _embedder: Embedder | None = field(default=None, repr=False)
    _redactor: Redactor | None = field(default=None, repr=False)
    _chat_model: ChatModel | None = field(default=None, repr=False)

    @cached_property
    def records(self) -> RecordStore:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        return RecordStore(self.settings.resolved_database_url)

    @cached_property
    def users(self) -> UserStore:
        from synth.users import UserStore

        st = self.settings
        return UserStore(self.records.engine, session_hours=st.session_hours, max_failures=st.signin_max_failures,
                         lock_minutes=st.signin_lock_minutes)

    @cached_property
    def audit(self) -> AuditLog:
        from synth.audit import AuditLog

        return AuditLog(self.records.engine)

    @cached_property
    def embedder(self) -> Embedder:
        from vectorstore.registry import build_embedder  # not vectorstore.embeddings: it imports Chroma

        return self._embedder or build_embedder(self.settings)

    @cached_property
    def index(self) -> ChromaIndex:
        from vectorstore.store import open_index

        built_with = self.records.get_meta("embedder")
        if built_with and built_with != self.embedder.name:
            raise StoreError(f"records were indexed with embedder {built_with!r} but settings select "
                             f"{self.embedder.name!r}; run `synth reindex` to rebuild the index")
        return open_index(self.settings, self.embedder)

    @cached_property
    def redactor(self) -> Redactor:
        from synth.redact import build_redactor

        return self._redactor or build_redactor(self.settings.redactor)

    @cached_property
    def outbound(self) -> OutboundScrubber:
        """The last redaction pass over every quote that leaves synth (the redactor is built on first use)."""
        return OutboundScrubber(lambda: self.redactor)

    @cached_property
    def ingestor(self) -> Ingestor:
        from synth.chunking import Chunker
        from synth.ingest import Ingestor

        chunker = Chunker(self.settings.tiktoken_encoding, self.settings.chunk_tokens, self.settings.chunk_overlap)
        self.records.set_meta("embedder", self.embedder.name)
        return Ingestor(self.settings, self.records, self.index, self.redactor, chunker)

    @cached_property
    def chat_model(self) -> ChatModel | None:
        """The one chat model of every generative step (annotation, theme labels, narratives, ask, the eval
        judge): the one given, else the configured endpoint's; None without a generative backend."""
        if self._chat_model is not None:
            from synth.llm.model import as_chat_model

            return as_chat_model(self._chat_model)
        if self.settings.llm_backend != "openai":
            return None
        from synth.llm.chat import open_chat_model

        return open_chat_model(self.settings)

    @cached_property
    def synthesizer(self) -> Synthesizer:
        from synth.synthesis.annotate import OfflineAnnotator
        from synth.synthesis.pipeline import Synthesizer
        from synth.synthesis.sentiment import OfflineSentiment, VaderSentiment

        chat_model = self.chat_model
        # The shipped sentiment weights live in MiniLM's vector space; other embedders fall back to VADER.
        sentiment = OfflineSentiment(self.embedder) if self.settings.embedder == "minilm" else VaderSentiment()
        annotator = OfflineAnnotator(self.embedder, sentiment)
        llm_annotator = None
        if chat_model is not None and self.settings.annotator == "llm":
            from synth.synthesis.llm_annotate import LLMAnnotator
            from synth.synthesis.llm_cache import AnnotationCache

            llm_annotator = LLMAnnotator(chat_model, self.settings.tiktoken_encoding,
                                         budget_tokens=self.settings.llm_batch_tokens,
                                         max_records=self.settings.llm_batch_records,
                                         cache=AnnotationCache(self.records.engine))
        return Synthesizer(self.records, annotator, chat_model=chat_model, llm_annotator=llm_annotator,
                           narrative_budget_tokens=self.settings.narrative_budget_tokens,
                           token_encoding=self.settings.tiktoken_encoding, outbound=self.outbound,
                           default_seeds=default_taxonomy(self.settings.taxonomy))

    @cached_property
    def live(self) -> LiveCorpus:
        """This process's current corpus and summaries, rebuilt when annotations change (synth/synthesis/live.py)."""
        from synth.synthesis.live import LiveCorpus

        return LiveCorpus(self)

    def reindex(self, progress: ProgressFn | None = None) -> int:
        """Rebuild the vector index from the system of record, also after a change of embedder (a fresh
        collection is opened without the embedder check that `index` applies)."""
        from vectorstore.store import open_index

        if "index" in self.__dict__:
            self.index.close()
        self.__dict__["index"] = open_index(self.settings, self.embedder, fresh=True)
        self.__dict__.pop("ingestor", None)  # rebuilt over the new index (and records the embedder)
        return self.ingestor.reindex(progress)

    def close(self) -> None:
        if "index" in self.__dict__:
            self.index.close()
        if "records" in self.__dict__:
            self.records.close()


def default_taxonomy(setting: str) -> list[Theme]:
    """The themes a store starts with (SYNTH_TAXONOMY): the starter taxonomy, none (discovery) or a file."""
    from synth.synthesis.taxonomy_file import load_seed_file, load_starter

    if setting == "starter":
        return load_starter()
    if setting == "discover":
        return []
    return load_seed_file(setting)
