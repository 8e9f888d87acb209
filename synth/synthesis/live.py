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
import threading
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text

from synth.ask.cache import (
    AskCache,
    AskInputs,
    code_stamp,
    hash_spans_and_themes,
    settings_key,
    store_fingerprint,
)
from synth.synthesis.corpus import Corpus
from synth.synthesis.default_period import PeriodChoice, with_period_basis
from synth.synthesis.facts import CITY_WIDE
from synth.synthesis.themes import TaxonomyState

if TYPE_CHECKING:
    from synth.db import RecordStore
    from synth.outbound import Scrub
    from synth.services import Services
    from synth.synthesis.summary import Summary


@dataclass(frozen=True)
class CorpusKey:
    """What the annotated corpus is computed from, read without touching every record id: deletions and the
    taxonomy (with settings and code) apart from the annotations, which alone may be served stale for a while."""

    deleted: int
    taxonomy: str
    spans: str

    def only_spans_differ(self, other: CorpusKey) -> bool:
        return (self.deleted, self.taxonomy) == (other.deleted, other.taxonomy)


def corpus_key(records: RecordStore, settings: str) -> CorpusKey:
    fixed, spans = hashlib.sha256(f"{settings}|{code_stamp()}".encode()), hashlib.sha256()
    tables = set(inspect(records.engine).get_table_names())
    deleted = 0
    with records.engine.connect() as conn:
        if "deletions" in tables:
            deleted = int(conn.execute(text("SELECT MAX(id) FROM deletions")).scalar() or 0)
        hash_spans_and_themes(conn, tables, spans=spans, themes=fixed)
    return CorpusKey(deleted, fixed.hexdigest(), spans.hexdigest())


def corpus_of(inputs: AskInputs, outbound: Scrub | None) -> Corpus:
    """A corpus from the ask's cached inputs: all a fact sheet needs (the spans themselves are not kept)."""
    annotations = {row.record_id: row.annotation for row in inputs.rows}
    return Corpus(taxonomy=TaxonomyState(dict(inputs.themes), dict(inputs.centroids)), spans=[],
                  annotations=annotations, rows=inputs.rows, scores=inputs.scores, outbound=outbound)


class LiveCorpus:
    """The corpus of one process (`Services.live`), rebuilt when its key changes, one build at a time. When
    only newly annotated records changed it and a background refresher will rebuild it (`background`), or a
    build is already running, callers get the previous corpus rather than wait; after a deletion or a taxonomy
    change they wait for the new one."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.generation = 0  # bumped on every rebuild: what the ask and the summaries key their memos on
        self.background = False  # set while a refresher (synth/freshness.py) keeps this corpus current
        self._state = threading.Lock()  # guards the three fields below
        self._building = threading.Lock()
        self._key: CorpusKey | None = None
        self._corpus: Corpus | None = None
        self._summaries: dict[tuple[str, str], tuple[int, Summary]] = {}

    def key(self) -> CorpusKey:
        return corpus_key(self.services.records, settings_key(self.services.settings))

    def corpus(self, *, fresh: bool = False) -> Corpus:
        return self.snapshot(fresh=fresh)[0]

    def snapshot(self, *, fresh: bool = False) -> tuple[Corpus, int]:
        """The current corpus and its generation (`fresh`: never the previous one; the refresher asks so)."""
        key = self.key()  # read before building: a write during the build makes the next call rebuild
        with self._state:
            corpus, built, generation = self._corpus, self._key, self.generation
        if corpus is not None and built is not None and (key == built or (
                not fresh and key.only_spans_differ(built) and (self.background or self._building.locked()))):
            return corpus, generation
        with self._building:
            with self._state:  # built by another thread while this one waited?
                if self._corpus is not None and self._key == key:
                    return self._corpus, self.generation
            corpus = self._build()
            with self._state:
                self._corpus, self._key = corpus, key
                self.generation += 1
                return corpus, self.generation

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
        corpus, generation = self.snapshot()
        name = district or CITY_WIDE
        if not corpus.rows:
            return None
        choice = PeriodChoice(period, "") if period else corpus.default_period(name)
        period = choice.period
        with self._state:
            memo = self._summaries.get((name, period))
        if memo is not None and memo[0] == generation:
            return memo[1]
        # outside the locks: a narrative can take a model call, and questions must not wait for it
        [summary] = self.services.synthesizer.summarize(district=name, period=period, corpus=corpus)
        summary = with_period_basis(summary, choice.reason or None)  # says why a default period was chosen
        with self._state:
            if self._summaries.get((name, period), (-1,))[0] <= generation:  # never replace a newer one
                self._summaries[(name, period)] = (generation, summary)
        return summary


def summary_for(services: Services, district: str | None, period: str | None = None) -> Summary | None:
    """The summary the API shows: reused while nothing behind it changed (see the module docstring)."""
    return services.live.summary(district, period)
