"""The evaluation report: schema ``synth.eval/1`` (JSON; the Markdown and HTML pages are rendered from it)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

SCHEMA = "synth.eval/1"


class Metric(BaseModel):
    key: str  # "<section>.<name>", the key thresholds use
    value: float | None  # None: not measurable on this dataset (note says why)
    formula: str
    n: int | None = None  # how many items the value is computed over
    note: str = ""


class Section(BaseModel):
    name: str
    title: str
    metrics: list[Metric] = Field(default_factory=list)
    details: dict[str, Any] = Field(default_factory=dict)  # tables and examples for the report pages

    def value(self, name: str) -> float | None:
        return next((m.value for m in self.metrics if m.key == f"{self.name}.{name}"), None)


class Gate(BaseModel):
    metric: str
    op: Literal["min", "max"]
    threshold: float
    value: float | None
    passed: bool
    note: str = ""  # the threshold's comment (measured value and date)


class EvalReport(BaseModel):
    schema_: str = Field(SCHEMA, alias="schema")
    dataset: str
    description: str
    truth: str
    backend: str  # offline | llm, as `synth eval --backend`
    mode: Literal["seeded", "starter", "discovered"]
    records: int
    embedder: str
    redactor: str
    limit: int | None = None
    sabotage: str | None = None
    thresholds_file: str
    thresholds_version: int
    generated_at: dt.datetime
    seconds: dict[str, float]
    sections: list[Section]
    gates: list[Gate]
    passed: bool
    notes: list[str] = Field(default_factory=list)

    model_config = {"populate_by_name": True}

    def metric(self, key: str) -> float | None:
        for s in self.sections:
            for m in s.metrics:
                if m.key == key:
                    return m.value
        raise KeyError(key)
