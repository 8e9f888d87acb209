"""What a search of the vector index takes and gives, without Chroma: a one-shot `synth ask` that searches
a snapshot of the index (vectorstore/snapshot.py) must not import chromadb."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel


def date_number(day: dt.date) -> int:
    """A date as the index stores and filters it: Chroma compares numbers, not dates, so YYYYMMDD as an int."""
    return int(day.strftime("%Y%m%d"))


class SearchFilter(BaseModel):
    """Metadata filters for retrieval; every field is optional and they combine with AND."""

    districts: list[str] | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    kinds: list[str] | None = None
    meeting_id: str | None = None
    record_ids: list[str] | None = None

    def to_where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if self.districts:
            clauses.append({"district": {"$in": self.districts}})
        if self.kinds:
            clauses.append({"kind": {"$in": self.kinds}})
        if self.meeting_id:
            clauses.append({"meeting_id": self.meeting_id})
        if self.record_ids:
            clauses.append({"record_id": {"$in": self.record_ids}})
        if self.date_from:
            clauses.append({"date": {"$gte": date_number(self.date_from)}})
        if self.date_to:
            clauses.append({"date": {"$lte": date_number(self.date_to)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    record_id: str
    text: str
    distance: float
    metadata: dict[str, Any]


class VectorSearch(Protocol):
    """What retrieval needs of an index: ChromaIndex, or a snapshot of it (vectorstore/snapshot.py)."""

    def query(self, text: str, k: int = 10, where: SearchFilter | None = None) -> list[Hit]: ...
