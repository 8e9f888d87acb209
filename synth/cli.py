"""The `synth` command. Each command builds its services from settings, does one job, and reports.

Errors from synth (SynthError) print one line that says what to do and exit 1; Ctrl-C exits 130 after the
work already committed is kept.
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import TaskID
from rich.table import Table

from synth.cli_ask import ask
from synth.cli_common import err, out, progress_bar, services, terminate_as_interrupt
from synth.cli_db import backup_command, db_app, restore_command
from synth.cli_eval import eval_command
from synth.cli_records import records_app
from synth.cli_synthesis import annotations_app, summarize, themes_app
from synth.cli_users import audit, users_app
from synth.errors import SynthError
from synth.llm.cli import llm_app

app = typer.Typer(help="synth: feedback synthesis for community engagement.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
def _pairs(values: list[str], flag: str) -> dict[str, str]:
    pairs = {}
    for v in values:
        if "=" not in v:
            raise typer.BadParameter(f"expected COLUMN=FIELD, got {v!r}", param_hint=flag)
        k, _, f = v.partition("=")
        pairs[k.strip()] = f.strip()
    return pairs


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log details to stderr")] = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="files or folders (.csv .xlsx .jsonl .json .md .txt)")],
    profile: Annotated[str | None, typer.Option(help="known export format, e.g. 'polis'")] = None,
    map_: Annotated[list[str], typer.Option("--map", help="COLUMN=FIELD, repeatable")] = [],  # noqa: B006
    ignore: Annotated[list[str], typer.Option(help="column to drop, repeatable")] = [],  # noqa: B006
    district: Annotated[str | None, typer.Option(help="district for rows that have none")] = None,
    kind: Annotated[str | None, typer.Option(help="kind for rows that have none")] = None,
    id_prefix: Annotated[str, typer.Option(help="prefix for ids given by the source")] = "",
    date_order: Annotated[str | None, typer.Option(
        help="dmy or mdy: how to read dates like 01/02/2022 in a file where no row settles it "
             "(default SYNTH_DATE_ORDER)")] = None,
    strict: Annotated[bool, typer.Option(help="exit 2 if any row or file was rejected")] = False,
    ignore_unknown: Annotated[bool, typer.Option(
        "--ignore-unknown", help="drop every column the mapping does not know (printed on stderr)")] = False,
    allow_failed_files: Annotated[bool, typer.Option(
        "--allow-failed-files", help="exit 0 even if a whole file could not be read")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Load meeting notes and resident comments: validate, redact, de-duplicate, store and embed."""
    from synth.ingest import IngestOptions

    defaults = {k: v for k, v in {"district": district, "kind": kind}.items() if v}
    if date_order not in (None, "dmy", "mdy"):
        raise SynthError("--date-order is dmy (day first, 31/05/2022) or mdy (month first, 5/31/2022)")
    options = IngestOptions(mapping=_pairs(map_, "--map"), ignore=tuple(ignore), profile=profile,
                            defaults=defaults, id_prefix=id_prefix, ignore_unknown=ignore_unknown,
                            date_order="dmy" if date_order == "dmy" else "mdy" if date_order == "mdy" else None)
    with services() as svc, progress_bar() as bar, terminate_as_interrupt():
        tasks: dict[str, TaskID] = {}

        def on_progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        try:
            report = svc.ingestor.ingest(paths, options, on_progress)
        except KeyError as e:
            raise SynthError(f"unknown profile {profile!r}") from e
    for notice in report.notices:
        err.print(f"[cyan]dates[/] {escape(notice)}", markup=True, highlight=False)
    for w in report.warnings[:50]:
        err.print(f"[yellow]warning[/] {escape(str(w))}", markup=True, highlight=False)
    failed = {id(r) for r in report.failed_files}  # every failed file is shown, then the first 50 rows
    shown = report.failed_files + [r for r in report.rejections if id(r) not in failed][:50]
    for r in shown:
        detail = f" ({r.detail})" if r.detail else ""
        err.print(f"[yellow]rejected[/] {escape(str(r) + detail)}", markup=True, highlight=False)
    if len(report.rejections) > len(shown):
        err.print(f"... and {len(report.rejections) - len(shown)} more rejections (all are in the ingest run's "
                  "record)")
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
    else:
        out.print(report.line(), highlight=False)
    if report.status == "interrupted":
        err.print("[yellow]interrupted[/]: committed batches are kept; rerun the same command to finish")
        raise typer.Exit(130)
    if strict and report.rejections:
        raise typer.Exit(2)
    if report.failed_files and not allow_failed_files:
        err.print(f"{len(report.failed_files)} file(s) could not be read at all (exit 1; --allow-failed-files "
                  "exits 0)", highlight=False)
        raise typer.Exit(1)


@app.command()
def reindex() -> None:
    """Rebuild the vector index from the system of record (after a lost index or a new embedder)."""
    with services() as svc, progress_bar() as bar:
        task = bar.add_task("index", total=None)
        n = svc.reindex(lambda stage, done, total: bar.update(task, completed=done, total=total))
    out.print(f"reindexed {n} records")


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of a table")] = False) -> None:
    """Records, meetings, residents reached and redactions per district."""
    with services() as svc:
        rows = svc.records.district_stats()
        if as_json:
            out.print_json(json.dumps([asdict(r) for r in rows]))
            return
        table = Table(title=f"{svc.records.count_records()} records, {svc.records.count_chunks()} chunks")
        table.add_column("district", no_wrap=True)
        for name in ("records", "meeting notes", "comments", "meetings", "residents reached", "redactions"):
            table.add_column(name, justify="right")
        for r in rows:
            table.add_row(r.district or "(none)", str(r.records), str(r.notes), str(r.comments), str(r.meetings),
                          str(r.attendees), str(r.redactions))
        out.print(table)


@app.command()
def sample(
    out_dir: Annotated[Path, typer.Option("--out", help="folder to write the sample city to")] = Path("sample_city"),
    records: Annotated[int, typer.Option(help="number of records")] = 1500,
    seed: Annotated[int, typer.Option(help="random seed")] = 7,
) -> None:
    """Write a synthetic city (meeting notes, comments, exact ground truth) for demos, tests and evals."""
    from samplecity import generate_city

    truth = generate_city(out_dir, records=records, seed=seed)
    out.print(f"wrote {truth.records_total} records for {len(truth.districts)} districts to {out_dir} "
              f"(ground truth: {out_dir / 'truth.json'})")


@app.command()
def serve(host: Annotated[str, typer.Option(help="address to listen on (0.0.0.0: every interface)")] = "127.0.0.1",
          port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
          workers: Annotated[int, typer.Option(min=1, max=64, help="API processes sharing the store")] = 1) -> None:
    """Run the HTTP API (and the web pages). Needs no secret in the environment: it keeps its own in the data
    directory."""
    import uvicorn

    from synth.server_secret import load_or_create_secret

    with services() as svc:
        load_or_create_secret(svc.settings.data_dir)
        has_admin = any(role.value == "admin" for _, role, _, _ in svc.users.list())
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
    err.print(f"synth is starting on http://{shown}:{port}/  (API docs: http://{shown}:{port}/docs)")
    if not has_admin:
        err.print("no admin yet: create one with `synth users add NAME --role admin --password-stdin` "
                  "(it prints an API token; the password is for the web sign-in)")
    uvicorn.run("api.main:app", host=host, port=port, workers=workers)


app.command()(summarize)
app.command()(ask)
app.command(name="eval")(eval_command)
app.add_typer(themes_app, name="themes")
app.add_typer(annotations_app, name="annotations")
app.add_typer(records_app, name="records")
app.add_typer(llm_app, name="llm")
app.add_typer(users_app, name="users")
app.command()(audit)
app.command(name="backup")(backup_command)
app.command(name="restore")(restore_command)
app.add_typer(db_app, name="db")

if __name__ == "__main__":
    app()
