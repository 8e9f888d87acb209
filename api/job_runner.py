"""A small in-process runner for ingest jobs: each job runs on its own thread, one ingest at a time per process
(the ingestor and its index thread are not shared between runs); state goes to `ingest_jobs` (synth/ingest_jobs.py).
The uploaded files live in a temporary directory that the job deletes when it ends, however it ends."""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

from synth.errors import SynthError
from synth.ingest_jobs import JobStore
from synth.ingest_report import IngestOptions
from synth.record_filter import mark_submitter
from synth.services import Services

log = logging.getLogger(__name__)


class JobRunner:
    def __init__(self, svc: Services, on_ingested: Callable[[], None] | None = None) -> None:
        self.svc = svc
        self.on_ingested = on_ingested  # the background refresher's notify: annotate the new records now
        self.store = JobStore(svc.records)
        self._one_at_a_time = threading.Lock()
        self._threads: list[threading.Thread] = []

    def submit(self, folder: Path, labels: dict[Path, str], user_id: int | None,
               options: IngestOptions | None = None) -> str:
        """Start ingesting the files in `labels` (stored path -> the client's name for it), all under `folder`,
        which is removed when the job ends; `options` as `synth ingest` takes them (a profile, defaults)."""
        job_id = self.store.create(list(labels.values()), user_id)
        thread = threading.Thread(target=self._run, args=(job_id, folder, labels, user_id, options), daemon=True,
                                  name=f"ingest-job-{job_id[:8]}")
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return job_id

    def _run(self, job_id: str, folder: Path, labels: dict[Path, str], user_id: int | None,
             options: IngestOptions | None) -> None:
        try:
            with self._one_at_a_time:
                self.store.start(job_id)

                def progress(stage: str, done: int, total: int) -> None:
                    if stage == "ingest":  # rows read of expected (indexing follows, in the background)
                        self.store.progress(job_id, done, total)

                report = self.svc.ingestor.ingest(list(labels), options, progress=progress)
                if report.run_id is not None and user_id is not None:
                    mark_submitter(self.svc.records, report.run_id, user_id)
                self.store.finish(job_id, report, {str(p): label for p, label in labels.items()})
            if self.on_ingested is not None:
                self.on_ingested()
        except SynthError as e:  # messages name files by path and reasons, never values; the path is ours
            self.store.fail(job_id, f"{type(e).__name__}: {str(e).replace(str(folder), 'upload')}")
        except Exception as e:
            log.exception("ingest job %s failed", job_id)
            self.store.fail(job_id, f"the ingest failed ({type(e).__name__}); see the server log")
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def close(self, timeout: float = 30.0) -> None:
        """Wait for running jobs (at shutdown, before the services close)."""
        for thread in self._threads:
            thread.join(timeout)
