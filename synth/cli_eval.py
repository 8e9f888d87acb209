"""`synth eval`: run the pipeline on a labelled dataset in a fresh temporary store, score it, write the
reports and exit 1 when a gate falls below its threshold (evals/thresholds.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from synth.cli_common import err, out
from synth.errors import SynthError


def eval_command(
    dataset: Annotated[str, typer.Option(help="sample | bowling-green | nhs | civic-sentiment | PATH.csv "
                                              "(import format with optional `themes` and `sentiment` "
                                              "columns)")] = "sample",
    backend: Annotated[str, typer.Option(help="offline | llm (the configured OpenAI-compatible endpoint writes the "
                                              "narratives and judges the citations)")] = "offline",
    report: Annotated[Path, typer.Option(help="folder for report.json, report.md, report.html")] = Path("eval_report"),
    limit: Annotated[int | None, typer.Option(help="first N records only (sample: a city of N records)")] = None,
    thresholds: Annotated[Path | None, typer.Option(help="gates file (default: evals/thresholds.yaml)")] = None,
    sabotage: Annotated[str | None, typer.Option(hidden=True, help="deliberate fault, to test the gates")] = None,
) -> None:
    """Score the pipeline on a labelled dataset: themes, counts, sentiment, citations, numbers, stability, safety."""
    from evals.harness import evaluate, summary_line
    from evals.report import write_reports

    if dataset == "civic-questions":  # questions over five real Polis conversations; no gates, a score
        from evals.questions_civic import civic_eval

        civic_eval(report, lambda message: err.print(f"[dim]eval[/] {message}", highlight=False), out.print)
        return
    if backend not in ("offline", "llm"):
        raise typer.BadParameter("expected offline or llm", param_hint="--backend")
    chosen: Literal["offline", "llm"] = "llm" if backend == "llm" else "offline"
    try:
        result = evaluate(dataset, backend=chosen, limit=limit, fault=sabotage, thresholds=thresholds,
                          progress=lambda message: err.print(f"[dim]eval[/] {message}", highlight=False))
    except (FileNotFoundError, ValueError, SynthError) as e:  # SynthError: DatasetError too
        err.print(f"[red]error:[/] {e}", highlight=False)
        raise typer.Exit(1) from None
    paths = write_reports(result, report)
    for gate in result.gates:
        if not gate.passed:
            err.print(f"[red]gate failed:[/] {gate.metric} = {gate.value} ({gate.op} {gate.threshold})",
                      highlight=False)
    out.print(summary_line(result), highlight=False)
    out.print("reports: " + ", ".join(str(p) for p in paths), highlight=False)
    if not result.passed:
        raise typer.Exit(1)
