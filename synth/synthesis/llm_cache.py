"""The SQL cache of LLM annotations (`AnnotationCache`), keyed by record text hash, prompt version, model and
taxonomy fingerprint, so a second run over the same records makes no call."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, DateTime, String, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from synth.db import Base
from synth.db_engine import write_engine
from synth.models import Record
from synth.schema import upgrade
from synth.synthesis.models import Annotation


class LLMAnnotationRow(Base):
    """One cached LLM annotation.

    The key holds everything the answer depends on: the record's text (hash), the prompt (name and version),
    the model, and the taxonomy the model chose from (fingerprint). The taxonomy is in the key because a
    theme id in a cached answer is only right for the themes the model was shown: after a merge, split,
    rename or rediscovery an old answer may point at a theme that is gone or now means something else, and
    the record must be asked again.
    """

    __tablename__ = "llm_annotations"

    record_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    prompt: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    taxonomy: Mapped[str] = mapped_column(String(64), primary_key=True)
    annotation: Mapped[dict[str, Any]] = mapped_column(JSON)  # Annotation.model_dump(), record_id as first seen
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=lambda: dt.datetime.now(dt.UTC))


@dataclass(frozen=True)
class CacheScope:
    """The part of the key shared by one annotate() call."""

    prompt: str
    model: str
    taxonomy: str


class AnnotationCache:
    """LLM annotations in the system of record (on a store upgraded to this version's schema)."""

    def __init__(self, engine: Engine) -> None:
        upgrade(engine)  # a no-op on a RecordStore's engine (already upgraded when opened)
        self._session = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(write_engine(engine), expire_on_commit=False)

    def get_many(self, scope: CacheScope, hashes: Sequence[str]) -> dict[str, Annotation]:
        """Cached annotations by record hash (records absent from the cache are absent from the result)."""
        found: dict[str, Annotation] = {}
        unique = list(dict.fromkeys(hashes))
        with self._session() as s:
            for i in range(0, len(unique), 500):
                q = select(LLMAnnotationRow).where(
                    LLMAnnotationRow.prompt == scope.prompt, LLMAnnotationRow.model == scope.model,
                    LLMAnnotationRow.taxonomy == scope.taxonomy,
                    LLMAnnotationRow.record_hash.in_(unique[i:i + 500]))
                for row in s.scalars(q):
                    found[row.record_hash] = Annotation.model_validate(row.annotation)
        return found

    def put_many(self, scope: CacheScope, annotations: Mapping[str, Annotation]) -> None:
        """Store annotations by record hash (one transaction; an existing entry is replaced)."""
        with self._write.begin() as s:
            for record_hash, ann in annotations.items():
                s.merge(LLMAnnotationRow(record_hash=record_hash, prompt=scope.prompt, model=scope.model,
                                         taxonomy=scope.taxonomy, annotation=ann.model_dump(mode="json")))


def record_hash(record: Record) -> str:
    """sha256 of the record's exact (redacted) text: the answer's spans are verbatim spans of this text."""
    return hashlib.sha256(record.text.encode("utf-8")).hexdigest()


def taxonomy_fingerprint(entries: Sequence[Mapping[str, Any]]) -> str:
    """sha256 of the theme entries exactly as the prompt shows them."""
    return hashlib.sha256(json.dumps(list(entries), sort_keys=True).encode("utf-8")).hexdigest()
