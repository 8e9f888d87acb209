"""`synth summarize`, `synth themes ...` and `synth annotations export`: the synthesis commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.progress import TaskID
from rich.table import Table

from synth.cli_common import err, out, progress_bar, services
from synth.csv_out import SafeWriter
from synth.csv_out import output as csv_output

themes_app = typer.Typer(help="List and edit the city-wide theme taxonomy.", no_args_is_help=True)
annotations_app = typer.Typer(help="Per-record annotations.", no_args_is_help=True)


def summarize(
    district: Annotated[str | None, typer.Option(
        help='one district, or "City-wide" (default: every district and the city)')] = None,
    city: Annotated[bool, typer.Option(
        "--city", help='the city-wide summary alone (as --district "City-wide")')] = False,
    period: Annotated[str | None, typer.Option(
        help="YYYY-MM, YYYY-MM..YYYY-MM, YYYY or all (default, per district: its latest month with records; all "
             "for an undated or one-off consultation)")] = None,
    fmt: Annotated[Literal["text", "md", "json"], typer.Option("--format", help="text, md or json")] = "text",
    rediscover: Annotated[bool, typer.Option(help="rediscover themes (keeps pinned and edited ones)")] = False,
) -> None:
    """District summaries: exact counts from code, narrative grounded in cited records."""
    from synth.synthesis.default_period import summarize_scopes
    from synth.synthesis.facts import CITY_WIDE
    from synth.synthesis.report_text import to_markdown, to_text
    from synth.synthesis.summary import as_json

    if city and district and district != CITY_WIDE:
        err.print("give either --city or --district, not both")
        raise typer.Exit(2)
    if city or (district or "").casefold() == CITY_WIDE.casefold():
        district = CITY_WIDE

    with services() as svc, progress_bar() as bar:
        tasks: dict[str, TaskID] = {}

        def on_progress(stage: str, done: int, total: int) -> None:
            tasks.setdefault(stage, bar.add_task(stage, total=total))
            bar.update(tasks[stage], completed=done, total=total)

        report = svc.synthesizer.refresh(rediscover=rediscover, progress=on_progress)
        err.print(f"annotated {report.annotated} new records; {report.concern_themes} themes "
                  f"({report.themes - report.concern_themes} chatter); {report.seconds:.1f} s")
        corpus = svc.synthesizer.corpus()
        if district and district != CITY_WIDE and corpus.rows and district not in corpus.districts:
            err.print(f"no records for district {district!r}; districts: {', '.join(corpus.districts) or 'none'} "
                      f"(or --city)")
            raise typer.Exit(1)
        summaries = summarize_scopes(svc.synthesizer, corpus, district=district, period=period) if corpus.rows else []
    if not summaries:
        err.print("no records to summarise: run `synth ingest` first")
        raise typer.Exit(1)
    if fmt == "json":
        out.print_json(json.dumps([as_json(s) for s in summaries]))
    else:
        render = to_markdown if fmt == "md" else to_text
        for s in summaries:
            out.print(render(s), highlight=False, markup=False)


@themes_app.command("list")
def themes_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every theme with its id, label, keywords and flags."""
    with services() as svc:
        state = svc.synthesizer.taxonomy()
    rows = sorted(state.themes.values(), key=lambda t: (not t.is_concern, t.label))
    if as_json:
        out.print_json(json.dumps([t.model_dump(mode="json") for t in rows]))
        return
    table = Table("id", "label", "keywords", "kind", "source", "pinned")
    for t in rows:
        table.add_row(t.id, t.label, ", ".join(t.keywords[:5]), "concern" if t.is_concern else "chatter",
                      t.source, "yes" if t.pinned else "")
    out.print(table)


@themes_app.command("rename")
def themes_rename(theme_id: str, label: str) -> None:
    """Give a theme a human name (kept by later runs)."""
    from synth.synthesis.theme_editor import TaxonomyEditor

    with services() as svc:
        TaxonomyEditor(svc.synthesizer).rename(theme_id, label)
    out.print(f"renamed {theme_id} to {label!r}")


@themes_app.command("merge")
def themes_merge(theme_ids: list[str], into: Annotated[str, typer.Option(help="theme to keep")]) -> None:
    """Fold themes into one."""
    from synth.synthesis.theme_editor import TaxonomyEditor

    with services() as svc:
        TaxonomyEditor(svc.synthesizer).merge(theme_ids, into)
    out.print(f"merged {', '.join(theme_ids)} into {into}")


@themes_app.command("split")
def themes_split(theme_id: str, parts: Annotated[int, typer.Option(min=2, max=10)] = 2) -> None:
    """Split a theme that mixes several concerns."""
    from synth.synthesis.theme_editor import TaxonomyEditor

    with services() as svc:
        new_ids = TaxonomyEditor(svc.synthesizer).split(theme_id, parts)
    out.print(f"split {theme_id} into {', '.join(new_ids)}")


@themes_app.command("pin")
def themes_pin(theme_id: str, unpin: Annotated[bool, typer.Option("--unpin")] = False) -> None:
    """Fix a theme so rediscovery never changes it."""
    from synth.synthesis.theme_editor import TaxonomyEditor

    with services() as svc:
        TaxonomyEditor(svc.synthesizer).pin(theme_id, not unpin)
    out.print(f"{'unpinned' if unpin else 'pinned'} {theme_id}")


@themes_app.command("chatter")
def themes_chatter(theme_id: str, concern: Annotated[bool, typer.Option("--concern")] = False) -> None:
    """Mark a theme as meeting chatter (not counted), or with --concern as a real concern."""
    from synth.synthesis.theme_editor import TaxonomyEditor

    with services() as svc:
        TaxonomyEditor(svc.synthesizer).set_concern(theme_id, concern)
    out.print(f"{theme_id} is now {'a concern' if concern else 'chatter'}")


@themes_app.command("seed")
def themes_seed(path: Path) -> None:
    """Load a coordinator's taxonomy (YAML: themes: [{id, label, description, examples, cues}])."""
    from synth.synthesis.taxonomy_file import load_seed_file

    with services() as svc:
        seeds = load_seed_file(path)
        report = svc.synthesizer.refresh(seeds=seeds)
    out.print(f"seeded {len(seeds)} themes; {report.concern_themes} themes in the taxonomy")


@themes_app.command("starter")
def themes_starter() -> None:
    """Print synth's starter taxonomy (police–community themes) as YAML: copy it, edit it, `synth themes seed`."""
    from synth.synthesis.taxonomy_file import starter_text

    typer.echo(starter_text(), nl=False)


@annotations_app.command("export")
def annotations_export(
    fmt: Annotated[Literal["csv"], typer.Option("--format")] = "csv",
    output: Annotated[Path | None, typer.Option("--out", help="file (default: stdout)")] = None,
) -> None:
    """One row per record and theme: record id, district, date, theme id, theme label, sentiment."""
    with services() as svc:
        synth = svc.synthesizer
        synth.refresh()
        corpus = synth.corpus()
        state, rows = corpus.taxonomy, corpus.rows
    with csv_output(output) as handle:
        w = SafeWriter(handle)
        w.writerow(["record_id", "district", "date", "theme_id", "theme_label", "sentiment_label",
                    "sentiment_score"])
        for r in sorted(rows, key=lambda r: r.record_id):
            for tid in r.annotation.themes or [""]:
                label = state.themes[tid].label if tid else ""
                w.writerow([r.record_id, r.district or "", r.date.isoformat() if r.date else "", tid, label,
                            r.annotation.sentiment.label, f"{r.annotation.sentiment.score:.4f}"])
