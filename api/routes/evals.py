"""GET /evals/latest: the latest evaluation report's verdict, gates and metrics (report.json written by
`synth eval --report DIR`, DIR = SYNTH_EVAL_REPORT_DIR). Not its detail tables, which quote dataset rows."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, ValidationError

from api.deps import ServicesDep
from api.responses import errors
from api.security import READERS, Caller, allow

router = APIRouter(tags=["evals"])


class EvalMetric(BaseModel):
    key: str
    value: float | None
    formula: str
    n: int | None = None
    note: str = ""


class EvalSection(BaseModel):
    name: str
    title: str
    metrics: list[EvalMetric]


class EvalGate(BaseModel):
    metric: str
    op: Literal["min", "max"]
    threshold: float
    value: float | None
    passed: bool
    note: str = ""


class EvalSummary(BaseModel):
    dataset: str
    description: str
    backend: str
    mode: str
    records: int
    generated_at: dt.datetime
    passed: bool
    gates: list[EvalGate]
    sections: list[EvalSection]


@router.get("/evals/latest", response_model=EvalSummary, responses=errors(404, 503))
def latest_eval(svc: ServicesDep, caller: Annotated[Caller, Depends(allow(*READERS))]) -> EvalSummary:
    """The latest evaluation: pass or fail, each gate and every metric with its formula."""
    path = svc.settings.eval_report_dir / "report.json"
    if not path.is_file():
        raise HTTPException(404, "no evaluation report yet: run `synth eval`")
    try:
        return EvalSummary.model_validate_json(path.read_bytes())
    except (OSError, ValidationError):
        raise HTTPException(503, "the evaluation report cannot be read; run `synth eval` again") from None
