"""The evaluation, end to end: run the pipeline, score every section, apply the gates, write the reports."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from evals.models import EvalReport, Gate, Section
from evals.runner import Backend, ProgressFn, RunArtifacts, run_pipeline, sabotage
from evals.sections import score
from synth.llm.model import ChatModel
from synth.settings import Settings

THRESHOLDS = "thresholds.yaml"


@dataclass(frozen=True)
class Thresholds:
    path: str
    version: int
    gates: dict[str, dict[str, dict[str, float]]]  # dataset -> metric -> {"min"|"max": value}
    notes: dict[str, dict[str, str]]  # dataset -> metric -> the comment after it (measured value)

    def for_dataset(self, name: str) -> dict[str, dict[str, float]]:
        return self.gates.get(name, self.gates.get("default", {}))


def load_thresholds(path: Path | None = None) -> Thresholds:
    """Read the versioned gates file (default: evals/thresholds.yaml); errors name the file and the key."""
    text = Path(path).read_text(encoding="utf-8") if path else \
        resources.files("evals").joinpath(THRESHOLDS).read_text(encoding="utf-8")
    where = str(path or f"evals/{THRESHOLDS}")
    doc = yaml.safe_load(text)
    if not isinstance(doc, dict) or not isinstance(doc.get("version"), int):
        raise ValueError(f"{where}: needs an integer `version:`")
    datasets = doc.get("datasets")
    if not isinstance(datasets, dict):
        raise ValueError(f"{where}: needs `datasets:` mapping dataset -> metric -> {{min|max: value}}")
    gates: dict[str, dict[str, dict[str, float]]] = {}
    for ds, metrics in datasets.items():
        for key, rule in (metrics or {}).items():
            if not isinstance(rule, dict) or not rule or set(rule) - {"min", "max"}:
                raise ValueError(f"{where}: datasets.{ds}.{key}: expected {{min: X}} or {{max: X}}")
            gates.setdefault(str(ds), {})[str(key)] = {k: float(v) for k, v in rule.items()}
    return Thresholds(path=where, version=doc["version"], gates=gates, notes=_comments(text))


def _comments(text: str) -> dict[str, dict[str, str]]:
    """The `# measured ...` comment after each gate line, for the reports."""
    notes: dict[str, dict[str, str]] = {}
    dataset = None
    for line in text.splitlines():
        if m := re.match(r"^  ([\w.-]+):", line):
            dataset = m.group(1)
        elif dataset and (m := re.match(r"^    ([\w.]+):.*#\s*(.+)$", line)):
            notes.setdefault(dataset, {})[m.group(1)] = m.group(2).strip()
    return notes


def apply_gates(sections: list[Section], thresholds: Thresholds, dataset: str) -> list[Gate]:
    values = {m.key: m.value for s in sections for m in s.metrics}
    explicit = dataset in thresholds.gates  # a named dataset's gate must be measured; default gates may skip
    notes = thresholds.notes.get(dataset if explicit else "default", {})
    gates = []
    for key, rule in thresholds.for_dataset(dataset).items():
        value = values.get(key)
        for op, limit in rule.items():
            if value is None:
                passed = not explicit
            else:
                passed = value >= limit - 1e-12 if op == "min" else value <= limit + 1e-12
            gates.append(Gate(metric=key, op=op, threshold=limit, value=value, passed=passed,
                              note=notes.get(key, "") if value is not None else "not measured on this run"))
    return gates


def build_report(art: RunArtifacts, thresholds: Thresholds, *, limit: int | None = None) -> EvalReport:
    sections = score(art)
    gates = apply_gates(sections, thresholds, art.dataset.name)
    return EvalReport(
        dataset=art.dataset.name, description=art.dataset.description, truth=art.dataset.truth,
        backend="llm" if art.settings.llm_backend == "openai" else "offline", mode=art.mode,
        records=len(art.records), embedder=art.settings.embedder,
        redactor=art.settings.redactor, limit=limit, sabotage=art.sabotage, thresholds_file=thresholds.path,
        thresholds_version=thresholds.version, generated_at=dt.datetime.now(dt.UTC), seconds=art.seconds,
        sections=sections, gates=gates, passed=all(g.passed for g in gates),
        notes=[art.ingest_line, *art.dataset.notes])


def evaluate(dataset: str, *, backend: Backend = "offline", limit: int | None = None, fault: str | None = None,
             thresholds: Path | None = None, settings: Settings | None = None, redactor: str | None = None,
             progress: ProgressFn | None = None, chat_model: ChatModel | None = None) -> EvalReport:
    """Run and score `dataset`; `fault` names a deliberate sabotage (runner.SABOTAGES); `chat_model` replaces
    the configured model with backend llm (tests)."""
    gates = load_thresholds(thresholds)
    art = run_pipeline(dataset, backend=backend, limit=limit, settings=settings, redactor=redactor,
                       progress=progress, chat_model=chat_model)
    if fault:
        art = sabotage(art, fault)
    return build_report(art, gates, limit=limit)


def summary_line(report: EvalReport) -> str:
    failed = [g for g in report.gates if not g.passed]
    verdict = "PASS" if report.passed else f"FAIL ({len(failed)} of {len(report.gates)} gates)"
    return f"{report.dataset}: {verdict}; {report.records} records, {report.mode} themes, " \
           f"{sum(report.seconds.values()):.0f} s"


def as_json(report: EvalReport) -> dict[str, Any]:
    return report.model_dump(mode="json", by_alias=True)
