"""Writes an EvalReport as report.json, report.md and report.html (charts: matplotlib SVG, inlined; no JS)."""

from __future__ import annotations

import html
import io
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from evals.models import EvalReport, Section  # noqa: E402


def _fmt(v: float | None) -> str:
    if v is None:
        return "n/a"
    return f"{v:.3f}" if abs(v - round(v)) > 1e-9 else f"{v:.0f}"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _gate_mark(passed: bool) -> str:
    return "pass" if passed else "**FAIL**"


def to_markdown(r: EvalReport) -> str:
    lines = [f"# synth eval: {r.dataset}", "",
             f"{r.description}. Truth: {r.truth}. Backend {r.backend}, embedder {r.embedder}, redactor {r.redactor}, "
             f"themes {r.mode}{f', sabotage {r.sabotage}' if r.sabotage else ''}. "
             f"Thresholds {r.thresholds_file} v{r.thresholds_version}.", "",
             f"**{'PASS' if r.passed else 'FAIL'}** ({sum(g.passed for g in r.gates)} of {len(r.gates)} gates).", "",
             "## Gates", "", "| metric | value | gate | result | note |", "|---|---:|---|---|---|"]
    for g in r.gates:
        sign = ">=" if g.op == "min" else "<="
        lines.append(f"| {g.metric} | {_fmt(g.value)} | {sign} {_fmt(g.threshold)} | {_gate_mark(g.passed)} | "
                     f"{g.note} |")
    for s in r.sections:
        lines += ["", f"## {s.title}", "", "| metric | value | n | formula |", "|---|---:|---:|---|"]
        for m in s.metrics:
            formula = m.formula.replace("|", "\\|")
            lines.append(f"| {m.key} | {_fmt(m.value)} | {'' if m.n is None else m.n} | {formula} |")
        if s.name == "themes" and s.details.get("pairs"):
            lines += ["", "| labelled theme | matched predicted theme | Jaccard | correct |", "|---|---|---:|---|"]
            lines += [f"| {p['labelled']} | {p['predicted']} | {p['jaccard']:.3f} | {'yes' if p['correct'] else 'no'} |"
                      for p in s.details["pairs"]]
        if s.name == "sentiment" and s.details.get("confusion"):
            classes = s.details["classes"]
            lines += ["", "| true \\ predicted | " + " | ".join(classes) + " |", "|---" * (len(classes) + 1) + "|"]
            lines += [f"| {c} | " + " | ".join(str(v) for v in row) + " |"
                      for c, row in zip(classes, s.details["confusion"], strict=True)]
        if s.name == "questions" and s.details.get("failed"):
            lines += ["", "| failed question | category | status | why |", "|---|---|---|---|"]
            lines += [f"| {f['id']}: {_cell(f['question'])} | {f['category']} | {f['status']} | "
                      f"{_cell('; '.join(f['reasons']))} |" for f in s.details["failed"]]
    lines += ["", "## Run", "", *[f"- {n}" for n in r.notes],
              "- seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in r.seconds.items()), ""]
    return "\n".join(lines)


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog and doctype: inline SVG


def gates_chart(r: EvalReport) -> str | None:
    gates = [g for g in r.gates if g.value is not None and g.threshold <= 1 and (g.value <= 1 or g.op == "min")]
    if not gates:
        return None
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(gates) + 1))
    names = [g.metric for g in gates]
    ax.barh(names, [min(g.value or 0.0, 1.0) for g in gates], color=["#3a7" if g.passed else "#c33" for g in gates])
    ax.scatter([g.threshold for g in gates], names, marker="|", s=300, color="black", label="threshold", zorder=3)
    ax.set_xlim(0, 1.05)
    ax.invert_yaxis()
    ax.set_xlabel("value (bar) and gate (tick)")
    ax.legend(loc="lower right", fontsize=8)
    return _svg(fig)


def themes_chart(s: Section) -> str | None:
    pairs = s.details.get("pairs") or []
    if not pairs:
        return None
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(pairs) + 1))
    ax.barh([f"{p['labelled']} ← {p['predicted']}" for p in pairs], [p["jaccard"] for p in pairs],
            color=["#3a7" if p["correct"] else "#aaa" for p in pairs])
    ax.axvline(0.5, color="black", linewidth=1)
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_xlabel("Jaccard of record sets (matched pairs; correct at >= 0.5)")
    return _svg(fig)


def confusion_chart(s: Section) -> str | None:
    matrix, classes = s.details.get("confusion"), s.details.get("classes")
    if not matrix or not classes:
        return None
    fig, ax = plt.subplots(figsize=(4, 3.5))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(classes)), classes)
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i, row in enumerate(matrix):
        for j, v in enumerate(row):
            ax.text(j, i, str(v), ha="center", va="center")
    return _svg(fig)


def to_html(r: EvalReport) -> str:
    charts = [("Gates", gates_chart(r))]
    for s in r.sections:
        if s.name == "themes":
            charts.append(("Theme matching", themes_chart(s)))
        if s.name == "sentiment":
            charts.append(("Sentiment confusion", confusion_chart(s)))
    rows = "".join(
        f"<tr class={'ok' if g.passed else 'bad'}><td>{html.escape(g.metric)}</td><td>{_fmt(g.value)}</td>"
        f"<td>{'&ge;' if g.op == 'min' else '&le;'} {_fmt(g.threshold)}</td><td>{'pass' if g.passed else 'FAIL'}</td>"
        f"<td>{html.escape(g.note)}</td></tr>" for g in r.gates)
    sections = "".join(
        f"<h2>{html.escape(s.title)}</h2><table><tr><th>metric</th><th>value</th><th>n</th><th>formula</th></tr>"
        + "".join(f"<tr><td>{html.escape(m.key)}</td><td>{_fmt(m.value)}</td><td>{'' if m.n is None else m.n}</td>"
                  f"<td>{html.escape(m.formula)}</td></tr>" for m in s.metrics) + "</table>" for s in r.sections)
    figures = "".join(f"<h2>{html.escape(t)}</h2><figure>{svg}</figure>" for t, svg in charts if svg)
    verdict = "PASS" if r.passed else "FAIL"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>synth eval: {html.escape(r.dataset)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.2em .5em;font-size:90%}}.ok td:nth-child(4){{color:#272}}
.bad td:nth-child(4){{color:#c22;font-weight:bold}}figure{{margin:0}}</style></head><body>
<h1>synth eval: {html.escape(r.dataset)} — {verdict}</h1>
<p>{html.escape(r.description)}. Truth: {html.escape(r.truth)}. Backend {html.escape(r.backend)}, embedder
{html.escape(r.embedder)}, redactor {html.escape(r.redactor)}, themes {r.mode}.
{f'Sabotage: {html.escape(r.sabotage)}.' if r.sabotage else ''} Thresholds {html.escape(r.thresholds_file)}
v{r.thresholds_version}; generated {r.generated_at:%Y-%m-%d %H:%M} UTC.</p>
<h2>Gates</h2><table><tr><th>metric</th><th>value</th><th>gate</th><th>result</th><th>note</th></tr>{rows}</table>
{figures}{sections}
</body></html>
"""


def write_reports(report: EvalReport, out_dir: Path) -> list[Path]:
    """report.json, report.md and report.html under out_dir (created)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "report.json", out_dir / "report.md", out_dir / "report.html"]
    paths[0].write_text(json.dumps(report.model_dump(mode="json", by_alias=True), indent=1) + "\n", encoding="utf-8")
    paths[1].write_text(to_markdown(report), encoding="utf-8")
    paths[2].write_text(to_html(report), encoding="utf-8")
    return paths
