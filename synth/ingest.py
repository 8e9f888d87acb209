"""Ingestion: files -> validated, redacted, de-duplicated records in the system of record -> chunks embedded
in the vector index.

Two stages run side by side so the CPU-heavy steps overlap:

    reader -> validate -> de-duplicate -> redact -> chunk -> SQL commit (indexed = False)   [caller thread]
                                                      |  queue of committed batches
                                                      v
                                 embed -> vector upsert -> SQL indexed = True              [index thread]

Why it is safe to stop at any point (crash, kill -9, Ctrl-C): a batch's records, chunks and rejections are one
SQL transaction, so a record is either fully stored or absent; vector upserts are idempotent by chunk id; and
a record is marked indexed only after its chunks are in the index. Every run first finishes records left
unindexed by an earlier run, and ids are stable, so a rerun completes the work with exact counts.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from synth.chunking import Chunker
from synth.columns import PROFILES, source_stem
from synth.dates import DateOrder
from synth.db import RecordStore
from synth.errors import InputError, RowError
from synth.ingest_report import IngestOptions, IngestReport, validate_lenient
from synth.models import Chunk, Record, Rejection
from synth.readers import SUPPORTED_SUFFIXES, RawRow, ReadOptions, read_file
from synth.redact import Redactor, pseudonymize_meeting_id
from synth.redact.labels import redact_label
from synth.settings import Settings
from synth.validate import ValidRow
from vectorstore.store import ChromaIndex

log = logging.getLogger(__name__)

ProgressFn = Callable[[str, int, int], None]  # (stage, done, total)


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given, and supported files under directories (sorted, so runs are reproducible)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES))
        elif p.exists():
            out.append(p)
        else:
            raise InputError(str(p), "no such file or directory")
    return out


def estimate_rows(path: Path) -> int:
    """A cheap row estimate for the progress bar (newlines; notes are one row)."""
    if path.suffix.lower() in (".csv", ".jsonl"):
        with path.open("rb") as f:
            return max(sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b"")), 1)
    return 1


@dataclass
class _Batch:
    records: list[Record]
    chunks: list[Chunk]


class Ingestor:
    def __init__(self, settings: Settings, records: RecordStore, index: ChromaIndex, redactor: Redactor,
                 chunker: Chunker) -> None:
        self.settings = settings
        self.records = records
        self.index = index
        self.redactor = redactor
        self.chunker = chunker

    # -- public --------------------------------------------------------------------------------------------
    def ingest(self, paths: Sequence[Path], options: IngestOptions | None = None,
               progress: ProgressFn | None = None) -> IngestReport:
        options = options or IngestOptions()
        progress = progress or (lambda stage, done, total: None)
        started = time.perf_counter()
        report = IngestReport()
        files = expand_paths(paths)
        report.files = len(files)
        # first: it marks runs of dead processes; file names are labels that may name a person
        run_id = self.records.start_run([redact_label(str(f)) for f in files])
        report.run_id = run_id
        indexer = _IndexThread(self)
        indexer.start()
        try:
            report.resumed = self.resume(progress, skip_live_runs=True)
            total = sum(estimate_rows(f) for f in files)
            seen: dict[str, str | None] = {}
            for batch_rows, batch_rejections in self._batches(files, options, report):
                self._store_batch(self._drop_forgotten(batch_rows, report), batch_rejections, seen, run_id, report,
                                  indexer)
                progress("ingest", report.read, max(total, report.read))
            indexer.finish()
            indexer.raise_error()  # the last batch's indexing failed: the run failed (finally records it)
            if report.failed_files:
                report.status = "failed"  # a file could not be read at all (the other files' rows are kept)
        except KeyboardInterrupt:
            report.status = "interrupted"
            indexer.stop()
            log.warning("interrupted: committed batches are kept; rerun the same command to finish")
        except BaseException:
            report.status = "failed"
            indexer.stop()
            raise
        finally:
            report.indexed = indexer.indexed
            report.seconds = time.perf_counter() - started
            self.records.finish_run(run_id, report.status, report.as_dict(), report.seconds)
        indexer.raise_error()
        return report

    def resume(self, progress: ProgressFn | None = None, *, skip_live_runs: bool = False) -> int:
        """Index records that were committed but not indexed (an earlier run was interrupted); with
        `skip_live_runs`, not those of an ingest still running in another process (it indexes them itself)."""
        pending = self.records.unindexed_record_ids(skip_live_runs=skip_live_runs)
        step = self.settings.ingest_batch_size
        for i in range(0, len(pending), step):
            pairs = self.records.records_with_chunks(pending[i:i + step])
            self._index([r for r, _ in pairs], [c for _, cs in pairs for c in cs])
            if progress:
                progress("index", min(i + step, len(pending)), len(pending))
        return len(pending)

    def reindex(self, progress: ProgressFn | None = None) -> int:
        """Index every record again, into an index the caller has just opened empty
        (`Services.reindex` opens it with `fresh=True`)."""
        self.records.mark_all_unindexed()
        return self.resume(progress)

    # -- stage A: read, validate, de-duplicate, redact, chunk, commit --------------------------------------
    def _batches(self, files: Sequence[Path], options: IngestOptions,
                 report: IngestReport) -> Iterator[tuple[list[ValidRow], list[Rejection]]]:
        size = self.settings.ingest_batch_size
        rows: list[ValidRow] = []
        rejections: list[Rejection] = []
        for path in files:
            for item in self._valid_rows(path, options, report):
                if isinstance(item, Rejection):
                    rejections.append(item)
                else:
                    rows.append(item)
                if len(rows) + len(rejections) >= size:
                    yield rows, rejections
                    rows, rejections = [], []
        if rows or rejections:
            yield rows, rejections

    def _valid_rows(self, path: Path, options: IngestOptions,
                    report: IngestReport) -> Iterator[ValidRow | Rejection]:
        profile = PROFILES[options.profile] if options.profile else None
        read_opts = ReadOptions(mapping=options.mapping, ignore=options.ignore, profile=profile,
                                ignore_unknown=options.ignore_unknown, max_file_bytes=self.settings.max_file_bytes,
                                max_json_depth=self.settings.max_json_depth, notices=report.warnings)
        defaults: Mapping[str, Any] = {**(profile.defaults if profile else {}), **options.defaults}
        prefix = options.id_prefix or (profile.id_prefix if profile else "")
        prefix = prefix.replace("{stem}", source_stem(path))
        votes: Counter[str] = Counter()  # unambiguous day-first / month-first dates in this file
        pending: list[ValidRow] = []  # rows whose date reads both ways, settled when the file is read
        try:
            items = read_file(path, read_opts)
            for item in items:
                report.read += 1
                if isinstance(item, RawRow):
                    try:
                        row = validate_lenient(item, report.warnings, max_chars=self.settings.max_text_chars,
                                               defaults=defaults, id_prefix=prefix,
                                               salt=self.settings.pseudonym_salt.get_secret_value())
                    except RowError as e:
                        yield Rejection(file=e.file, row=e.row, field=e.field, reason=e.reason)
                        continue
                    if row.ambiguous is not None:
                        pending.append(row)
                        continue
                    if row.date_order:
                        votes[row.date_order] += 1
                    yield row
                else:
                    yield item
        except InputError as e:
            rejection = Rejection(file=e.file, row=None, field=None, reason=e.reason, detail=e.detail or None)
            report.failed_files.append(rejection)
            report.rejections.append(rejection)
            log.warning("%s", rejection)
        if pending:
            yield from self._settle(path, pending, votes, options.date_order or self.settings.date_order, report)

    @staticmethod
    def _settle(path: Path, pending: list[ValidRow], votes: Counter[str], given: DateOrder | None,
                report: IngestReport) -> Iterator[ValidRow | Rejection]:
        """Ambiguous dates (01/02/2022) follow the file's majority of unambiguous rows; with none (or a tie),
        `--date-order`; without that, each such row is rejected with a reason naming the option."""
        dmy, mdy = votes["dmy"], votes["mdy"]
        order: DateOrder | None = "dmy" if dmy > mdy else "mdy" if mdy > dmy else given
        if order is None:
            why = ("no row in this file has a date that settles it" if not dmy
                   else f"this file's unambiguous dates are evenly split ({dmy} day-first, {mdy} month-first)")
            for row in pending:
                yield Rejection(file=row.file, row=row.row, field="date",
                                reason=f"day and month could be either way round and {why}; pass "
                                       "--date-order dmy|mdy (or set SYNTH_DATE_ORDER)")
            return
        words = "day-first" if order == "dmy" else "month-first"
        basis = (f"as most of its unambiguous dates are ({dmy} day-first, {mdy} month-first)" if dmy != mdy
                 else "as --date-order (SYNTH_DATE_ORDER) says")
        report.notices.append(f"{path}: {len(pending)} rows with dates that read both ways (like 01/02/2022) "
                              f"were read {words}, {basis}")
        report.ambiguous_dates += len(pending)
        for row in pending:
            assert row.ambiguous is not None
            row.settle(row.ambiguous.read(order))
            yield row

    def _store_batch(self, rows: list[ValidRow], rejections: list[Rejection], seen: dict[str, str | None],
                     run_id: int, report: IngestReport, indexer: _IndexThread) -> None:
        """De-duplicate by id: the same id with the same text (compared by digest) is a duplicate, with another
        text a conflict, reported and counted, never silently dropped; rows without a source id carry a
        content id, so they de-duplicate by content."""
        seen.update(self.records.text_hashes(r.id for r in rows if r.id not in seen))
        fresh: list[ValidRow] = []
        conflicts: list[Rejection] = []
        for r in rows:
            if r.id not in seen:
                seen[r.id] = r.text_hash
                fresh.append(r)
            elif seen[r.id] in (None, r.text_hash):  # None: stored before digests were kept
                report.duplicates += 1
            else:
                conflicts.append(Rejection(
                    file=r.file, row=r.row, field="id",
                    reason="conflict: this id already holds a different text (an earlier row or ingest); the row "
                           "was not stored. Give one of them another id (e.g. --id-prefix) to keep both"))
        records = self._redact(fresh, rejections)
        chunks = self.chunker.chunk([r.id for r in records], [r.text for r in records])
        taken = self.records.add_batch(records, chunks, rejections + conflicts, run_id)
        if taken:  # another writer (a concurrent ingest) stored these ids after the look-up above
            records, chunks = self._settle_taken(records, chunks, taken, seen, run_id, report)
        report.accepted += len(records)
        report.rejected += len(rejections)
        report.conflicts += len(conflicts)
        report.rejections.extend(rejections + conflicts)
        for record in records:
            report.redactions.update(record.redactions)
        if records:
            indexer.put(_Batch(records, chunks))

    def _settle_taken(self, records: list[Record], chunks: list[Chunk], taken: dict[str, str | None],
                      seen: dict[str, str | None], run_id: int, report: IngestReport
                      ) -> tuple[list[Record], list[Chunk]]:
        """Records another writer stored first are duplicates (same text) or conflicts, as if stored before."""
        conflicts = [Rejection(file=r.source_file, row=r.source_row, field="id",
                               reason="conflict: this id already holds a different text (stored by another ingest "
                                      "running at the same time); the row was not stored")
                     for r in records if r.id in taken and taken[r.id] not in (None, r.text_hash)]
        report.duplicates += sum(r.id in taken for r in records) - len(conflicts)
        report.conflicts += len(conflicts)
        report.rejections.extend(conflicts)
        if conflicts:
            self.records.add_rejections(conflicts, run_id)
        seen.update(taken)
        return ([r for r in records if r.id not in taken], [c for c in chunks if c.record_id not in taken])

    def _drop_forgotten(self, rows: list[ValidRow], report: IngestReport) -> list[ValidRow]:
        """Rows whose record was deleted on request (`synth records delete`) are counted, never stored again."""
        forgotten = self.records.forgotten_ids(r.id for r in rows)
        report.forgotten += sum(r.id in forgotten for r in rows)
        return [r for r in rows if r.id not in forgotten] if forgotten else rows

    def _redact(self, rows: list[ValidRow], rejections: list[Rejection]) -> list[Record]:
        """Redact every free-text field in one batched call; build the stored records."""
        texts = [r.text for r in rows]
        extra = [(i, "location", r.fields["location"]) for i, r in enumerate(rows) if r.fields.get("location")]
        extra += [(i, f"top_concerns.{j}", c) for i, r in enumerate(rows)
                  for j, c in enumerate(r.fields.get("top_concerns", []))]
        results = self.redactor.redact_batch(texts + [t for _, _, t in extra])
        fields = [dict(r.fields, top_concerns=list(r.fields.get("top_concerns", []))) for r in rows]
        salt = self.settings.pseudonym_salt.get_secret_value()
        for f in fields:  # a meeting id naming a host ("home-of-Szczepanski-…") is kept only as a salted hash
            if f.get("meeting_id"):
                f["meeting_id"] = pseudonymize_meeting_id(f["meeting_id"], salt)
        counts = [Counter(res.counts) for res in results[: len(rows)]]
        for (i, name, _), res in zip(extra, results[len(rows):], strict=True):
            if name == "location":
                fields[i]["location"] = res.text
            else:
                fields[i]["top_concerns"][int(name.split(".")[1])] = res.text
            counts[i].update(res.counts)
        records: list[Record] = []
        for row, f, res, c in zip(rows, fields, results[: len(rows)], counts, strict=True):
            try:
                records.append(Record(id=row.id, text=res.text, source_file=row.file, source_row=row.row,
                                      redactions=dict(c), text_hash=row.text_hash, **f))
            except ValidationError as e:
                err = e.errors()[0]
                rejections.append(Rejection(file=row.file, row=row.row, field=".".join(map(str, err["loc"])) or None,
                                            reason=err["msg"]))
        return records

    # -- stage B: embed, upsert, mark indexed -------------------------------------------------------------------
    def _index(self, records: Sequence[Record], chunks: Sequence[Chunk]) -> None:
        if chunks:
            by_id = {r.id: r for r in records}
            vectors = self.index.embedder.embed([c.text for c in chunks])
            self.index.upsert([c.id for c in chunks], vectors, [c.text for c in chunks],
                              [c.metadata(by_id[c.record_id]) for c in chunks])
        self.records.mark_indexed(r.id for r in records)


_QUEUED_BATCHES = 3  # committed batches waiting for the index thread, which embeds all it finds in one call


class _IndexThread:
    """Runs stage B beside stage A. onnxruntime and SQLite release the GIL, so the two overlap on 2 cores.
    The queue is short: stage A never runs far ahead of what is indexed (bounded memory). The batches waiting
    are indexed together: the embedder sorts one call's texts by length, so a longer call pads less."""

    def __init__(self, ingestor: Ingestor) -> None:
        self._ingestor = ingestor
        self._queue: queue.Queue[_Batch | None] = queue.Queue(maxsize=_QUEUED_BATCHES)
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="synth-index", daemon=True)
        self.indexed = 0

    def start(self) -> None:
        self._thread.start()

    def put(self, batch: _Batch) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(batch, timeout=0.2)
                return
            except queue.Full:
                continue
        self.raise_error()

    def finish(self) -> None:
        """Index everything queued, then end."""
        self._queue.put(None)
        self._thread.join()

    def stop(self) -> None:
        """End after the batches in hand; queued batches stay committed and unindexed for the next run."""
        self._stop.set()
        self._thread.join()

    def raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                batches = [self._queue.get(timeout=0.2)]
            except queue.Empty:
                continue
            while batches[-1] is not None and len(batches) <= _QUEUED_BATCHES:
                try:
                    batches.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            work = [b for b in batches if b is not None]
            try:
                if work:
                    self._ingestor._index([r for b in work for r in b.records], [c for b in work for c in b.chunks])
                    self.indexed += sum(len(b.records) for b in work)
            except BaseException as e:  # surfaced to the caller thread by raise_error()
                self._error = e
                self._stop.set()
                return
            if batches[-1] is None:
                return
