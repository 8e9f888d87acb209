"""GET /audit: the audit trail, for admins (the same entries as `synth audit`)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Query

from api.deps import ServicesDep
from api.security import AUTH_RESPONSES, Role, allow
from synth.audit import AuditEntry

router = APIRouter(tags=["audit"])


@router.get("/audit", response_model=list[AuditEntry], responses=AUTH_RESPONSES,
            dependencies=[Depends(allow(Role.admin))])
def audit_entries(svc: ServicesDep,
                  actor: str | None = Query(None, max_length=64),
                  action: str | None = Query(None, max_length=64, description="an action or its prefix"),
                  since: dt.date | None = None,
                  limit: int = Query(100, ge=1, le=10_000)) -> list[AuditEntry]:
    """Newest first: who read which district's records and quotes, changed the taxonomy, ingested, or managed
    users."""
    start = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC) if since else None
    return svc.audit.entries(actor=actor, action=action, since=start, limit=limit)
