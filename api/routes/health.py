from __future__ import annotations

from fastapi import APIRouter

from api.deps import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/health")
def health(svc: ServicesDep) -> dict[str, object]:
    return {"status": "ok", "records": svc.records.count_records()}
