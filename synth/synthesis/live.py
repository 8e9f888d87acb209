"""This process's current corpus, and summaries that are regenerated only when their facts changed.

    corpus_key (cheap: span rows per annotator, the newest deletion, taxonomy rows, settings, code)
      unchanged ─► the corpus in memory
      changed   ─► the ask's warm-start cache (synth/ask/cache.py) for the store's fingerprint, when another
                   process already built it; else `Synthesizer.corpus()` (seconds at 10,000 records), saved there

The key leaves out records that are not annotated yet: a new record changes nothing an answer or a summary
shows until the background refresher (synth/freshness.py) has split and scored it, so an ingest does not make
the next request rebuild the corpus only to find the same annotations. A deletion changes the key at once (a
forgotten record is never served from memory).

`summary_for(services, district, period)` keeps each (district, period) summary in memory for the corpus it was
built from; when the corpus changes, the cell's fact sheet is built again and its narrative is written again
only if the sheet's fingerprint (its counts, shares, quotes and record ids, the prompt, the model and the
annotator) differs from the stored summary's: a new record in District 3 rewrites District 3 and the city,
not District 5.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text

from synth.ask.cache import AskCache, AskInputs, code_stamp, settings_key, store_fingerprint
from synth.synthesis.corpus import Corpus
from synth.synthesis.facts import CITY_WIDE
from synth.synthesis.themes import TaxonomyState

if TYPE_CHECKING:
    from synth.db import RecordStore
    from synth.outbound import Scrub
    from synth.services import Services
    from synth.synthesis.summary import Summary


def corpus_key(records: RecordStore, settings: str) -> str:
    """A digest of what the annotated corpus is computed from, without reading every record id."""
    h = hashlib.sha256(f"{settings}|{code_stamp()}".encode())
    tables = set(inspect(records.engine).get_table_names())
    with records.engine.connect() as conn:
        if "deletions" in tables:
            h.update(f"deleted|{conn.execute(text('SELECT MAX(id) FROM deletions')).scalar()}\0".encode())
        if "spans" in tables:
            for annotator, n in conn.execute(text("SELECT annotator, COUNT(*) FROM spans GROUP BY annotator "
                                                  "ORDER BY annotator")):
                h.update(f"span|{annotator}|{n}\0".encode())
        if "themes" in tables:
            for tid, data, centroid in conn.execute(text("SELECT id, data, centroid FROM themes ORDER BY id")):
                data = data if isinstance(data, str) else json.dumps(data, sort_keys=True)
                h.update(f"theme|{tid}|{data}\0".encode() + bytes(centroid or b""))
    return h.hexdigest()


def corpus_of(inputs: AskInputs, outbound: Scrub | None) -> Corpus:
    """A corpus from the ask's cached inputs: all a fact sheet needs (the spans themselves are not kept)."""
    annotations = {row.record_id: row.annotation for row in inputs.rows}
    return Corpus(taxonomy=TaxonomyState(dict(inputs.themes), dict(inputs.centroids)), spans=[],
                  annotations=annotations, rows=inputs.rows, scores=inputs.scores, outbound=outbound)


class LiveCorpus:
    """The corpus of one process (`Services.live`), rebuilt when its key changes; one build at a time."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.generation = 0  # bumped on every rebuild: what the ask and the summaries key their memos on
        self._lock = threading.RLock()
        self._key: str | None = None
        self._corpus: Corpus | None = None
        self._summaries: dict[tuple[str, str], tuple[int, Summary]] = {}

    def key(self) -> str:
        return corpus_key(self.services.records, settings_key(self.services.settings))

    def corpus(self) -> Corpus:
        with self._lock:
            key = self.key()  # read before building: a write during the build makes the next call rebuild
            if self._corpus is None or key != self._key:
                self._corpus, self._key = self._build(), key
                self.generation += 1
            return self._corpus

    def _build(self) -> Corpus:
        svc = self.services
        if svc.settings.annotator != "offline":  # the ask cache holds only the offline annotator's corpus
            return replace(svc.synthesizer.corpus(), spans=[])
        cache = AskCache(svc.records)
        fingerprint = store_fingerprint(svc.records, settings_key(svc.settings))
        inputs = cache.load(fingerprint, need_refreshed=False)
        if inputs is not None:
            return corpus_of(inputs, svc.outbound)
        refreshed = not svc.synthesizer.store.records_without_spans(svc.synthesizer.annotator.key)
        corpus = svc.synthesizer.corpus()
        cache.save(fingerprint, AskInputs.of(corpus), refreshed=refreshed)
        return replace(corpus, spans=[])  # span vectors are 1.5 KB each; sheets and answers do not read them

    def summary(self, district: str | None, period: str | None = None) -> Summary | None:
        """`district`'s summary (None or CITY_WIDE: the city's) for `period` (default: the district's default
        period); None when nothing is annotated yet."""
        with self._lock:  # the corpus and its generation read together
            corpus, generation = self.corpus(), self.generation
            name = district or CITY_WIDE
            period = period or (corpus.default_period(name).period if corpus.rows else None)
            memo = self._summaries.get((name, period or ""))
        if not corpus.rows or period is None:
            return None
        if memo is not None and memo[0] == generation:
            return memo[1]
        # outside the lock: a narrative can take a model call, and questions must not wait for it
        [summary] = self.services.synthesizer.summarize(district=name, period=period, corpus=corpus)
        with self._lock:
            if self._summaries.get((name, period), (-1,))[0] <= generation:  # never replace a newer one
                self._summaries[(name, period)] = (generation, summary)
        return summary


def summary_for(services: Services, district: str | None, period: str | None = None) -> Summary | None:
    """The summary the API shows: reused while nothing behind it changed (see the module docstring)."""
    return services.live.summary(district, period)
