"""How long new records take to reach `/ask` and the summaries on their own (synth/freshness.py).

    python bench/bench_freshness.py --records 10000          # generates and ingests a sample city first (long)
    python bench/bench_freshness.py --store DATA_DIR         # a copy of an existing store (DATA_DIR is not changed)

Preparation (not timed as freshness): the store is annotated (`Synthesizer.refresh`) and the live corpus built,
then the API app starts with its background refresher, and one `/ask` and one summary warm it. Then, twice:

- **API**: 20 new comments for District 3, November 2026, are posted to `POST /records`;
- **CLI-style**: 20 more are ingested by a second `Services` over the same store (another process's ingest);

and from the moment the ingest returns, `/ask` ("How many comments mentioned street lighting in District 3 in
November 2026?", its coverage counts every record in scope) and `summary_for(District 3, 2026-11)` are polled
every 0.5 s until both include the new records. Prints those delays, and what the refresher spent on them
(annotating the new records, rebuilding the corpus).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DISTRICT, PERIOD = "District 3", "2026-11"
QUESTION = f"How many comments mentioned street lighting in {DISTRICT} in November 2026?"
TEXTS = ["The street lights on {s} have been out for weeks and it feels unsafe walking home",
         "Please fix the broken lamp posts along {s}; the whole block is dark after eight",
         "Cars race down {s} at night and nobody enforces the speed limit",
         "Thank you to the officers who came to the {s} block party, it meant a lot"]
STREETS = ["Elm Street", "Oak Avenue", "Maple Drive", "Cedar Lane", "Birch Road", "Willow Way"]


def new_records(count: int, tag: str) -> list[dict[str, Any]]:
    return [{"id": f"fresh-{tag}-{i}", "text": f"{TEXTS[i % len(TEXTS)].format(s=STREETS[i % 6])} ({tag} {i}).",
             "district": DISTRICT, "date": f"{PERIOD}-{1 + i % 28:02d}", "kind": "comment"} for i in range(count)]


def build_store(data_dir: Path, records: int, redactor: str) -> None:
    from samplecity import generate_city
    from synth.services import Services
    from synth.settings import Settings

    city = data_dir.parent / "city"
    generate_city(city, records=records, seed=7)
    svc = Services(Settings(data_dir=data_dir, redactor=redactor, _env_file=None))  # type: ignore[call-arg]
    t = time.perf_counter()
    report = svc.ingestor.ingest([city / "notes", city / "comments"])
    print(f"  built: {report.accepted:,} records ingested in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    svc.close()


def timed(log: list[tuple[str, float]], name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            log.append((name, time.perf_counter() - t))

    return run


def wait_until_included(client: Any, svc: Any, ask_before: int, summary_before: int, added: int,
                        started: float) -> tuple[float, float]:
    from synth.synthesis.live import summary_for

    ask_at = summary_at = None
    while ask_at is None or summary_at is None:
        if ask_at is None and client.post("/ask", json={"question": QUESTION}).json()["coverage"]["records"] \
                == ask_before + added:
            ask_at = time.monotonic() - started
        summary = summary_for(svc, DISTRICT, PERIOD)
        if summary_at is None and summary is not None and summary.counts.records == summary_before + added:
            summary_at = time.monotonic() - started
        if time.monotonic() - started > 600:
            raise SystemExit("not included after 600 s")
        time.sleep(0.5)
    return ask_at, summary_at


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, help="data directory of an ingested store (copied, not changed)")
    ap.add_argument("--records", type=int, default=10_000, help="sample-city size to build without --store")
    ap.add_argument("--new", type=int, default=20, help="records added by each ingest")
    ap.add_argument("--interval", type=float, default=2.0, help="the refresher's polling interval (seconds)")
    ap.add_argument("--redactor", default="regex", help="redactor of the timed ingests (and of a built store)")
    args = ap.parse_args()

    from fastapi.testclient import TestClient

    from api.main import create_app
    from synth.redact import build_redactor
    from synth.services import Services
    from synth.settings import Settings
    from synth.synthesis.live import summary_for

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        if args.store:
            shutil.copytree(args.store, data_dir)
        else:
            build_store(data_dir, args.records, args.redactor)
        settings = Settings(data_dir=data_dir, redactor=args.redactor, refresh_seconds=args.interval,  # type: ignore[call-arg]
                            _env_file=None)
        svc = Services(settings)
        spent: list[tuple[str, float]] = []
        t = time.perf_counter()
        svc.synthesizer.refresh()
        prep_refresh = time.perf_counter() - t
        t = time.perf_counter()
        svc.live.corpus()
        prep_corpus = time.perf_counter() - t
        total = svc.records.count_records()
        svc.synthesizer.refresh = timed(spent, "annotate new records", svc.synthesizer.refresh)  # type: ignore[method-assign]
        svc.live._build = timed(spent, "rebuild corpus", svc.live._build)  # type: ignore[method-assign]
        print(f"bench_freshness {time.strftime('%Y-%m-%d %H:%M')}, {total:,} records, load avg "
              f"{os.getloadavg()[0]:.1f}, refresher every {args.interval:g} s")
        print(f"  preparation: refresh {prep_refresh:.1f} s, first corpus {prep_corpus:.1f} s")
        with TestClient(create_app(svc)) as client:
            ask_before = client.post("/ask", json={"question": QUESTION}).json()["coverage"]["records"]
            summary = summary_for(svc, DISTRICT, PERIOD)
            summary_before = summary.counts.records if summary else 0
            t = time.perf_counter()
            while not client.app.state.refresher.status().learner_ready:  # a server that has been up a while
                time.sleep(0.5)
            print(f"  refresher warm-up (form learner fitted in the background): {time.perf_counter() - t:.1f} s")
            spent.clear()
            t = time.perf_counter()
            posted = client.post("/records", json={"records": new_records(args.new, "api")}).json()
            ingest_s = time.perf_counter() - t
            assert posted["accepted"] == args.new, posted
            ask_s, summary_s = wait_until_included(client, svc, ask_before, summary_before, args.new,
                                                   time.monotonic())
            print(f"  API ingest of {args.new} ({ingest_s:.1f} s), then included by /ask after {ask_s:.1f} s, "
                  f"by the summary after {summary_s:.1f} s")
            print("    refresher: " + ", ".join(f"{name} {s:.1f} s" for name, s in spent))

            spent.clear()
            other = Services(settings, _redactor=build_redactor(args.redactor))
            with tempfile.NamedTemporaryFile("w", suffix=".json", dir=tmp, delete=False) as f:
                json.dump(new_records(args.new, "cli"), f)
            t = time.perf_counter()
            assert other.ingestor.ingest([Path(f.name)]).accepted == args.new
            ingest_s = time.perf_counter() - t
            other.close()
            ask_s, summary_s = wait_until_included(client, svc, ask_before + args.new,
                                                   summary_before + args.new, args.new, time.monotonic())
            print(f"  CLI-style ingest of {args.new} by another Services ({ingest_s:.1f} s), then included by "
                  f"/ask after {ask_s:.1f} s, by the summary after {summary_s:.1f} s")
            print("    refresher: " + ", ".join(f"{name} {s:.1f} s" for name, s in spent))
        svc.close()


if __name__ == "__main__":
    main()
