"""The ask's warm start: what an Asker is built from (fact rows, concern themes and their centroids, quote
scores, a snapshot of the vector index), kept in the store and reused while the store's fingerprint is unchanged.

Building it reads every span, classifies it and embeds the taxonomy's example phrases: seconds at 10,000
records, for every `synth ask` process. The fingerprint is cheap to read and changes whenever an answer could:

    every record id (an added or deleted record)  ─┐
    how many records the vector index holds       ─┤
    span rows per annotator (records annotated)   ─┤
    taxonomy rows (themes, edits, centroids)      ─┼─► sha256 ─► equal to the stored one: the stored rows are used
    settings (embedder, annotator, taxonomy)      ─┤
    the code (synth and vectorstore files)        ─┘

The annotator's key (version, embedder, sentiment weights) is not read: building the annotator loads models,
and what it is made of is in the settings and the code.

The cache holds record text, so it is a store of record data: `Forgetter` deletes it with any record
(synth/forget.py), and the next ask rebuilds it. It is kept only for the offline annotator (an LLM annotator's
answers for records it failed on are retried by the next run, so they are not frozen here).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import hashlib
import json
import logging
import pickle
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Boolean, DateTime, LargeBinary, String, delete, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

import synth
from synth.db import Base, RecordStore

if TYPE_CHECKING:
    from collections.abc import Sequence

    from synth.outbound import Scrub
    from synth.services import Services
    from synth.settings import Settings
    from synth.synthesis.corpus import Corpus
    from synth.synthesis.facts import FactRow
    from synth.synthesis.models import Theme
    from vectorstore.snapshot import IndexSnapshot

log = logging.getLogger(__name__)
FORMAT = 2  # bump when the pickled content changes shape (2: the vector index's snapshot)
SNAPSHOT_MAX_CHUNKS = 300_000  # beyond this (~230 MB of vectors) open questions open Chroma itself


class AskCacheRow(Base):
    __tablename__ = "ask_cache"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)  # "asker", "quotes"
    fingerprint: Mapped[str] = mapped_column(String(200))  # the store's digest, "|" and the settings it used
    refreshed: Mapped[bool] = mapped_column(Boolean)  # built right after a refresh (no record left to annotate)
    built_at: Mapped[dt.datetime] = mapped_column(DateTime, default=lambda: dt.datetime.now(dt.UTC))
    data: Mapped[bytes] = mapped_column(LargeBinary)


@dataclass
class AskInputs:
    """What `Asker.build` needs, without the taxonomy's discovery code (and its libraries)."""

    rows: list[FactRow]
    themes: dict[str, Theme]
    centroids: dict[str, np.ndarray]
    scores: dict[tuple[str, int], float] | None
    # the vector index as it was (vectorstore/snapshot.py): open questions are searched without opening Chroma
    index: IndexSnapshot | None = None

    @classmethod
    def of(cls, corpus: Corpus) -> AskInputs:
        scores = dict(corpus.scores) if corpus.scores is not None else None
        return cls(corpus.rows, dict(corpus.taxonomy.themes), dict(corpus.taxonomy.centroids), scores)


def index_snapshot(svc: Services) -> IndexSnapshot | None:
    """The vector index as it is now, when it is small enough to keep in the cache. An index that cannot be read
    (a Chroma server down, records indexed with another embedder) is no reason to fail a figures question: open
    questions then open the index themselves, and say what is wrong."""
    from vectorstore.snapshot import IndexSnapshot

    try:
        if svc.index.count() > SNAPSHOT_MAX_CHUNKS:
            return None
        return IndexSnapshot.of(svc.index)
    except Exception as e:  # noqa: BLE001 - the snapshot is an optimisation
        log.warning("no snapshot of the vector index for the ask cache: %s", e)
        return None


@functools.cache
def code_stamp() -> str:
    """Size and modification time of every file of the synth and vectorstore packages (modules, prompts,
    shipped weights and taxonomies): a cache built by other code is not reused."""
    import vectorstore

    h = hashlib.sha256(synth.__version__.encode())
    for package in (synth, vectorstore):
        root = Path(package.__file__ or "").parent
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                st = path.stat()
                h.update(f"{package.__name__}/{path.relative_to(root)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def settings_key(settings: Settings) -> str:
    """The settings the annotations depend on (no secret, no path)."""
    return f"{settings.embedder}|{settings.embedding_model}|{settings.annotator}|{settings.taxonomy}"


def store_fingerprint(records: RecordStore, settings: str) -> str:
    """A digest of everything an answer is computed from (see the module docstring)."""
    h = hashlib.sha256(f"{FORMAT}|{settings}|{code_stamp()}".encode())
    tables = set(inspect(records.engine).get_table_names())
    with records.engine.connect() as conn:
        for (rid,) in conn.execute(text("SELECT id FROM records ORDER BY id")):
            h.update(rid.encode() + b"\0")
        # the index thread flips `indexed` after a commit: the snapshot of the index must follow
        h.update(f"indexed|{conn.execute(text('SELECT COUNT(*) FROM records WHERE indexed')).scalar()}".encode())
        hash_spans_and_themes(conn, tables, spans=h, themes=h)
    return h.hexdigest()


def hash_spans_and_themes(conn: Connection, tables: set[str], *, spans: Any, themes: Any) -> None:
    """Feed the span counts per annotator into `spans`, and every theme row and review correction into
    `themes` (hashlib objects; the same one for a single digest). Shared by the store fingerprint and the live
    corpus key."""
    if "spans" in tables:
        for annotator, n in conn.execute(text("SELECT annotator, COUNT(*) FROM spans GROUP BY annotator "
                                              "ORDER BY annotator")):
            spans.update(f"span|{annotator}|{n}\0".encode())
    if "themes" in tables:
        for tid, data, centroid in conn.execute(text("SELECT id, data, centroid FROM themes ORDER BY id")):
            data = data if isinstance(data, str) else json.dumps(data, sort_keys=True)
            themes.update(f"theme|{tid}|{data}\0".encode() + bytes(centroid or b""))
    if "review_corrections" in tables:  # a reviewer's verdicts change counts as a taxonomy edit does
        for row in conn.execute(text("SELECT record_id, span_index, span_digest, theme_id, also_theme, sentiment "
                                     "FROM review_corrections ORDER BY record_id, span_index")):
            themes.update(("correction|" + "|".join(str(v) for v in row) + "\0").encode())


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Unpickling 10,000 annotated records creates 120,000+ objects; each time allocations pass a threshold,
    the cyclic garbage collector walks the young objects again, which took 85% of the load (1.9 s of CPU
    against 0.3 s paused, measured in one process). Nothing loaded here is garbage yet."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class AskCache:
    KEY = "asker"
    QUOTES = "quotes"  # snippets after the outbound redaction pass (record data, like KEY)
    RECORD_DATA = (KEY, QUOTES)  # what a deletion clears

    def __init__(self, records: RecordStore) -> None:
        self.records = records

    def load(self, fingerprint: str, *, need_refreshed: bool) -> AskInputs | None:
        """The stored inputs if they were built for this fingerprint (and after a refresh when one is asked)."""
        with self.records.session() as s:
            row = s.get(AskCacheRow, self.KEY)
            if row is None or row.fingerprint != fingerprint or (need_refreshed and not row.refreshed):
                return None
            data = row.data
        try:
            with collector_paused():
                inputs = pickle.loads(data)  # written by this store's own code (the fingerprint names the code)
        except Exception as e:  # noqa: BLE001 - a damaged cache is rebuilt, never fatal
            log.warning("ask cache unreadable (%s): rebuilding it", e)
            return None
        return inputs if isinstance(inputs, AskInputs) else None

    def save(self, fingerprint: str, inputs: AskInputs, *, refreshed: bool) -> None:
        data = pickle.dumps(inputs, protocol=pickle.HIGHEST_PROTOCOL)
        with self.records.write_session() as s:
            s.merge(AskCacheRow(key=self.KEY, fingerprint=fingerprint, refreshed=refreshed, data=data,
                                built_at=dt.datetime.now(dt.UTC)))

    def clear(self) -> None:
        """Forget the cached corpus and quotes."""
        with self.records.write_session() as s:
            s.execute(delete(AskCacheRow).where(AskCacheRow.key.in_(self.RECORD_DATA)))

    def _read(self, key: str, stamp: str) -> object | None:
        with self.records.session() as s:
            row = s.get(AskCacheRow, key)
            data = row.data if row is not None and row.fingerprint == stamp else None
        try:
            return pickle.loads(data) if data is not None else None
        except Exception as e:  # noqa: BLE001 - a damaged entry is rebuilt, never fatal
            log.warning("ask cache entry %s unreadable (%s): rebuilding it", key, e)
            return None

    def _write(self, key: str, stamp: str, value: object, *, refreshed: bool = True) -> None:
        with self.records.write_session() as s:
            s.merge(AskCacheRow(key=key, fingerprint=stamp, refreshed=refreshed, built_at=dt.datetime.now(dt.UTC),
                                data=pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)))

    def remembered(self, scrub: Scrub, stamp: str) -> Scrub:
        """`scrub` (the outbound redaction pass), each snippet's result kept under `stamp` (the store's
        fingerprint and the redactor's setting): a quote shown before does not load the redactor again."""

        def scrub_remembered(texts: Sequence[str]) -> list[str]:
            known = self._read(self.QUOTES, stamp)
            known = known if isinstance(known, dict) else {}
            todo = [t for t in dict.fromkeys(texts) if t not in known]
            if todo:
                known.update(zip(todo, scrub(todo), strict=True))
                self._write(self.QUOTES, stamp, known)
            return [known[t] for t in texts]

        return scrub_remembered
