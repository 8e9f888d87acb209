"""GET /audit: the audit trail, for admins (the same entries as `synth audit`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from api.deps import ServicesDep
from api.security import AUTH_RESPONSES, Role, allow

router = APIRouter(tags=["audit"])


class AuditEntryOut(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]


@router.get("/audit", response_model=list[AuditEntryOut], responses=AUTH_RESPONSES,
            dependencies=[Depends(allow(Role.admin))])
def audit_entries(svc: ServicesDep,
                  actor: str | None = Query(None, max_length=64),
                  action: str | None = Query(None, max_length=64, description="an action or its prefix"),
                  since: dt.date | None = None,
                  limit: int = Query(100, ge=1, le=10_000)) -> list[AuditEntryOut]:
    """Newest first: who read which district's records and quotes, changed the taxonomy, ingested, or managed
    users."""
    start = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC) if since else None
    return [AuditEntryOut(id=e.id, at=e.at, actor=e.actor, action=e.action, target=e.target, detail=e.detail)
            for e in svc.audit.entries(actor=actor, action=action, since=start, limit=limit)]
