"""`synth records export|delete|purge|deletions`: the stored (redacted) records out, and deletion everywhere."""

from __future__ import annotations

import json
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from synth.cli_common import err, out, progress_bar, services
from synth.csv_out import SafeWriter
from synth.csv_out import output as open_output
from synth.readout import count

if TYPE_CHECKING:
    from synth.services import Services

records_app = typer.Typer(help="Export, delete and purge stored records.", no_args_is_help=True)

REBUILD_HELP = ("then rebuild the vector index from the system of record, so no trace of the deleted text is "
                "left in Chroma's own files (its write log keeps recent writes until it compacts)")
# The record's fields, in the order of an export's columns.
COLUMNS = ("id", "kind", "text", "district", "location", "date", "meeting_id", "note_taker", "attendee_count",
           "channel", "language", "top_concerns", "overall_sentiment", "source_file", "source_row", "redactions")


def _cell(value: Any) -> Any:
    """A CSV cell: lists and mappings as compact JSON, the rest as the record holds it."""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def _redacted_again(svc: Services, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The last check before records leave synth: their free text passes the current redactor again (a store
    written by an earlier redactor may hold what it missed); already-redacted text comes back unchanged."""
    where = [(i, f) for i, row in enumerate(rows) for f in ("text", "location") if row.get(f)]
    for (i, f), clean in zip(where, svc.outbound([rows[i][f] for i, f in where], remember=False), strict=True):
        rows[i][f] = clean
    return rows


@records_app.command("export")
def records_export(
    fmt: Annotated[Literal["csv", "jsonl"], typer.Option("--format", help="csv or jsonl")] = "csv",
    output: Annotated[Path | None, typer.Option("--out", help="file (default: stdout)")] = None,
) -> None:
    """Every stored record, redacted as stored, one row (or JSON line) per record."""
    n = 0
    with services() as svc, open_output(output) as handle:
        writer = SafeWriter(handle) if fmt == "csv" else None
        if writer:
            writer.writerow(COLUMNS)
        records = svc.records.iter_records()
        while batch := list(islice(records, 256)):
            for data in _redacted_again(svc, [record.model_dump(mode="json") for record in batch]):
                if writer:
                    writer.writerow([_cell(data[c]) for c in COLUMNS])
                else:
                    handle.write(json.dumps({c: data[c] for c in COLUMNS}, ensure_ascii=False) + "\n")
                n += 1
    err.print(f"exported {count(n, 'record')}" + (f" to {output}" if output else ""), highlight=False)


@records_app.command("delete")
def records_delete(
    record_ids: Annotated[list[str], typer.Argument(help="record ids, as `synth records export` prints them")],
    rebuild_index: Annotated[bool, typer.Option("--rebuild-index", help=REBUILD_HELP)] = False,
) -> None:
    """Delete records everywhere; a re-ingest will skip them.

    Removes the row, chunks, vector-index entries, spans, cached annotations and the summaries that counted
    them; the audit log (`synth records deletions`) keeps the id, time and counts, never the text."""
    from synth.forget import Forgetter

    with services() as svc:
        results = Forgetter(svc.records, svc.index).delete(record_ids)
        if rebuild_index:
            _rebuild(svc)
    missing = 0
    for r in results:
        if r.found:
            items = ", ".join(f"{k} {v}" for k, v in r.removed.items() if v)
            out.print(f"deleted {r.record_id}" + (f" ({items})" if items else ""), highlight=False)
        elif r.deleted_before:
            out.print(f"{r.record_id} was already deleted on {r.deleted_before:%Y-%m-%d %H:%M} UTC", highlight=False)
        else:
            missing += 1
            err.print(f"[yellow]not found[/]: {r.record_id} (see `synth records export` for ids)", markup=True,
                      highlight=False)
    if missing:
        raise typer.Exit(1)


@records_app.command("purge")
def records_purge(
    months: Annotated[int | None, typer.Option("--older-than-months", min=1,
                                               help="default: SYNTH_RETENTION_MONTHS")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="count, delete nothing")] = False,
    rebuild_index: Annotated[bool, typer.Option("--rebuild-index", help=REBUILD_HELP)] = False,
) -> None:
    """Delete records dated more than N months before today (the retention setting). Undated records are kept."""
    from synth.forget import Forgetter

    with services() as svc:
        months = months or svc.settings.retention_months
        if months is None:
            err.print("[red]error:[/] no retention period: pass --older-than-months N or set "
                      "SYNTH_RETENTION_MONTHS")
            raise typer.Exit(1)
        forgetter = Forgetter(svc.records, None if dry_run else svc.index)
        if dry_run:
            ids, undated, cutoff = forgetter.expired(months)
            out.print(f"would delete {count(len(ids), 'record')} dated before {cutoff.isoformat()}", highlight=False)
        else:
            results, undated, cutoff = forgetter.purge(months)
            out.print(f"deleted {count(len(results), 'record')} dated before {cutoff.isoformat()}", highlight=False)
            if rebuild_index:
                _rebuild(svc)
    if undated:
        err.print(f"kept {count(undated, 'undated record')}: retention cannot tell their age "
                  "(delete them by id with `synth records delete`)", highlight=False)


def _rebuild(svc: Services) -> None:
    with progress_bar() as bar:
        task = bar.add_task("index", total=None)
        n = svc.reindex(lambda stage, done, total: bar.update(task, completed=done, total=total))
    err.print(f"rebuilt the vector index from {count(n, 'record')}", highlight=False)


@records_app.command("deletions")
def records_deletions(
    limit: Annotated[int, typer.Option(help="newest N entries")] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The deletion audit log: record id, when, why (request or retention) and how many items went."""
    from synth.forget import Forgetter

    with services() as svc:
        entries = Forgetter(svc.records, None).log(limit)
    if as_json:
        out.print_json(json.dumps([{"record_id": rid, "at": at.isoformat(), "reason": reason, "removed": removed}
                                   for rid, at, reason, removed in entries]))
        return
    for rid, at, reason, removed in entries:
        out.print(f"{at:%Y-%m-%d %H:%M:%S} {reason:<9} {rid} "
                  + " ".join(f"{k}={v}" for k, v in removed.items() if v), highlight=False)
