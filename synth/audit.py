"""The audit trail: who read which district's records and quotes, who changed the taxonomy, ingested, or
managed users. Append-only: this module only inserts and reads; nothing in synth updates or deletes a row.
Details hold ids, counts and names of districts or themes, never residents' text."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import DateTime, Integer, String, Text, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from synth.db import Base
from synth.db_engine import write_engine
from synth.schema import upgrade


class AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str] = mapped_column(Text, default="{}")


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: dt.datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]


class AuditLog:
    def __init__(self, engine: Engine) -> None:
        upgrade(engine)  # a no-op on a RecordStore's engine (upgraded when opened)
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(write_engine(engine), expire_on_commit=False)

    def record(self, actor: str, action: str, target: str = "", detail: dict[str, Any] | None = None) -> None:
        with self._write.begin() as s:
            s.add(AuditRow(at=dt.datetime.now(dt.UTC), actor=actor, action=action, target=target[:300],
                           detail=json.dumps(detail or {}, sort_keys=True, default=str)))

    def entries(self, *, actor: str | None = None, action: str | None = None, since: dt.datetime | None = None,
                limit: int = 100) -> list[AuditEntry]:
        """The newest entries first, filtered by actor, action (a prefix: "themes." matches every theme edit)
        and time."""
        q = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
        if actor:
            q = q.where(AuditRow.actor == actor)
        if action:
            q = q.where(AuditRow.action.startswith(action, autoescape=True))
        if since:
            q = q.where(AuditRow.at >= since)
        with self._read.begin() as s:
            rows = s.scalars(q).all()
        return [AuditEntry(r.id, r.at if r.at.tzinfo else r.at.replace(tzinfo=dt.UTC), r.actor, r.action, r.target,
                           json.loads(r.detail or "{}")) for r in rows]
