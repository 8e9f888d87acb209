"""Fresh data on its own: one background thread per API process annotates new records and rebuilds the corpus.

    every `interval` seconds, or at once on `notify()` (the API's ingest and delete routes call it)
      ─► records without spans (a cheap SQL check)?
           yes ─► take the store's refresh lease ─► `Synthesizer.refresh()` (only the new records are split,
                  embedded and scored; emerging themes are clustered again) ─► release
      ─► `Services.live.corpus(fresh=True)`: rebuilt if the annotations, taxonomy or deletions changed
         (synth/synthesis/live.py), so `/ask` and the summaries include the new records; until then they are
         answered from the previous corpus (a deletion or a taxonomy edit is never served stale)

Several processes on one store: every `Synthesizer.refresh()` (this thread's, and the CLI's) holds the store's
refresh lease (`RefreshLease` in synth/synthesis/store.py, a row in `meta`), so one process annotates at a
time; this thread does not wait for it but looks again at its next check. The other processes see the spans
written change the corpus key and load the corpus cached by whoever built it first. An error is logged and
retried after a growing pause; it never ends the thread.

    refresher = start(services)      # in the API's lifespan
    refresher.notify()               # after an ingest
    refresher.status()               # last refresh, records waiting, last error
    refresher.stop()
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from synth.synthesis.store import RefreshLease

if TYPE_CHECKING:
    from synth.services import Services

log = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 60.0


@dataclass(frozen=True)
class RefreshStatus:
    running: bool
    last_refresh: dt.datetime | None  # the end of the last check that left the corpus current
    pending: int  # records not annotated yet (at the last check)
    generation: int  # the corpus generation of this process (synth/synthesis/live.py)
    last_error: str | None
    learner_ready: bool  # the form learner is fitted in this process (new comments are predicted, not refitted)


class Refresher:
    def __init__(self, services: Services, interval: float = 2.0, lease: RefreshLease | None = None) -> None:
        self.services = services
        self.interval = interval
        self._lease = lease  # by default the synthesizer's (built at the first check, not at start-up)
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_refresh: dt.datetime | None = None
        self._pending = 0
        self._last_error: str | None = None
        self._learner_ready = False

    def start(self) -> Refresher:
        if self._thread is None and self.interval > 0:
            self.services.live.background = True  # questions keep the previous corpus until this rebuilds it
            self._thread = threading.Thread(target=self._run, name="synth-refresher", daemon=True)
            self._thread.start()
        return self

    @property
    def lease(self) -> RefreshLease:
        return self._lease or self.services.synthesizer.lease

    def notify(self) -> None:
        """Check now rather than at the next tick (records were added or deleted)."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopped.set()
        self._wake.set()
        if self._thread is not None:
            self.services.live.background = False
            self._thread.join(timeout)  # a refresh in progress finishes on its own (the thread is a daemon)

    def status(self) -> RefreshStatus:
        live = self.services.__dict__.get("live")
        return RefreshStatus(running=self._thread is not None and self._thread.is_alive(),
                             last_refresh=self._last_refresh, pending=self._pending,
                             generation=live.generation if live is not None else 0, last_error=self._last_error,
                             learner_ready=self._learner_ready)

    def refresh_once(self) -> bool:
        """One check: annotate what is new (when this process holds the lease) and bring the corpus up to date.
        False when another process is annotating (the corpus is left for the next check)."""
        synth = self.services.synthesizer
        pending = synth.store.records_without_spans(synth.annotator.key)
        self._pending = len(pending)
        if pending:
            if not self.lease.acquire():  # another process is annotating: look again at the next check
                return False
            synth.refresh()  # holds the same lease (renewing it per batch) and releases it
        self.services.live.corpus(fresh=True)
        self._pending = len(synth.store.records_without_spans(synth.annotator.key))
        self._last_refresh = dt.datetime.now(dt.UTC)
        if not self._learner_ready:  # once, after the corpus is served: the next rebuild then predicts new spans
            self._learner_ready = synth.warm_learner()
        return True

    def _run(self) -> None:
        failures = 0
        while not self._stopped.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stopped.is_set():
                break
            try:
                self.refresh_once()
                failures, self._last_error = 0, None
            except Exception as e:  # noqa: BLE001 - logged and retried; the thread must outlive any error
                failures += 1
                self._last_error = f"{type(e).__name__}: {e}"[:300]
                log.exception("background refresh failed (attempt %d); retrying", failures)
                self._stopped.wait(min(MAX_BACKOFF_SECONDS, self.interval * 2 ** failures))


def start(services: Services, interval: float | None = None) -> Refresher:
    """A running refresher over `services` (`settings.refresh_seconds` apart; 0 returns one that never runs)."""
    seconds = services.settings.refresh_seconds if interval is None else interval
    return Refresher(services, interval=seconds).start()
