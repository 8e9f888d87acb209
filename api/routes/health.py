from __future__ import annotations

from fastapi import APIRouter

from api.deps import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/health")
def health(svc: ServicesDep) -> dict[str, object]:
    """Public: is the service up and its store reachable (no counts: those are for signed-in callers)."""
    svc.records.count_records()
    return {"status": "ok"}
