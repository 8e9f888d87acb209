"""Ingest throughput and peak memory on the sample city, beside the bare embedding model on the same texts.

    python bench/bench_ingest.py --records 10000

Each phase runs in its own child process (so each peak RSS is its own), one after the other in one run:
  bare      MiniLM embedder alone on every record's text (model loaded before the clock starts)
  pipeline  `Ingestor.ingest` into a fresh store: read, validate, de-duplicate, redact (presidio), chunk,
            SQLite commit, embed, Chroma upsert (models loaded before the clock starts)
Target: pipeline records/s >= 0.8 x bare records/s. Each phase's CPU seconds (all its threads) are printed
too: on a shared machine the wall clock moves with other load, the CPU time much less.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _texts(city: Path) -> list[str]:
    from synth.ingest import expand_paths
    from synth.readers import RawRow, read_file
    from synth.validate import validate_row

    texts = []
    for path in expand_paths([city / "notes", city / "comments"]):
        for item in read_file(path):
            if isinstance(item, RawRow):
                texts.append(validate_row(item, max_chars=50_000, salt="bench").text)
    return texts


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bare(city: str, q: mp.Queue) -> None:
    from synth.settings import Settings
    from vectorstore.embeddings import MiniLMEmbedder

    texts = _texts(Path(city))
    emb = MiniLMEmbedder.from_settings(Settings(_env_file=None))
    emb.embed(texts[:64])  # warm-up
    t, cpu = time.perf_counter(), time.process_time()
    emb.embed(texts)
    q.put({"phase": "bare", "records": len(texts), "seconds": time.perf_counter() - t,
           "cpu_seconds": time.process_time() - cpu, "peak_mb": _peak_mb()})


def pipeline(city: str, q: mp.Queue) -> None:
    from synth.services import Services
    from synth.settings import Settings

    with tempfile.TemporaryDirectory() as data:
        svc = Services(Settings(data_dir=Path(data), _env_file=None))
        ingestor = svc.ingestor  # loads embedder, redactor, tokenizer, opens stores
        ingestor.redactor.redact_batch(["Warm-up text from Officer Dana Reyes about Main St."])
        svc.embedder.embed(["warm-up"])
        cpu = time.process_time()
        report = ingestor.ingest([Path(city) / "notes", Path(city) / "comments"])
        q.put({"phase": "pipeline", "records": report.accepted, "seconds": report.seconds,
               "cpu_seconds": time.process_time() - cpu, "peak_mb": _peak_mb(),
               "chunks": svc.records.count_chunks(), "rejected": report.rejected,
               "redactions": sum(report.redactions.values())})
        svc.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args()

    from samplecity import generate_city

    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        city = Path(tmp) / "city"
        t = time.perf_counter()
        generate_city(city, records=args.records, seed=args.seed)
        print(f"sample city: {args.records} records generated in {time.perf_counter() - t:.1f} s")
        results = {}
        for phase in (bare, pipeline):
            q: mp.Queue = ctx.Queue()
            p = ctx.Process(target=phase, args=(str(city), q))
            p.start()
            res = q.get()
            p.join()
            results[res["phase"]] = res
            rate = res["records"] / res["seconds"]
            print(f"{res['phase']:<9} {res['records']:>7} records  {res['seconds']:7.1f} s  {rate:7.1f} records/s"
                  f"  CPU {res['cpu_seconds']:6.1f} s  peak RSS {res['peak_mb']:6.0f} MB")
    ratio = (results["pipeline"]["records"] / results["pipeline"]["seconds"]) / (
        results["bare"]["records"] / results["bare"]["seconds"])
    cpu_ratio = (results["bare"]["cpu_seconds"] / results["bare"]["records"]) / (
        results["pipeline"]["cpu_seconds"] / results["pipeline"]["records"])
    print(f"pipeline / bare throughput: {ratio:.2f} (target >= 0.80); records per CPU-second: {cpu_ratio:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "ratio": ratio, "cpu_ratio": cpu_ratio}, indent=2))


if __name__ == "__main__":
    main()
