"""Offline synthesis time and memory on the sample city, at several sizes, to see how time grows.

    python bench/bench_synthesis.py --records 2000 5000 10000

For each size, in its own child process: generate the city, ingest it (not timed here: see bench_ingest.py;
synthesis reads only the SQL store, so the vector index is replaced by one that drops chunks and the regex
redactor is used, which lets 100k records be prepared in minutes), then time `Synthesizer.refresh()` (split,
embed and score every span, discover the taxonomy) and
`Synthesizer.summarize()` (annotations, fact sheets, deterministic narratives for every district and the city),
then `summarize()` again with nothing new (a later run: stored learner decisions and summaries are reused).
Prints seconds per phase, records/s and peak RSS, then the growth exponent between sizes
(time ~ records^k; k close to 1 is linear).
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


class _DroppingIndex:
    """Stands in for Chroma during preparation: the synthesis phases never read the vector index."""

    def __init__(self) -> None:
        from vectorstore.embeddings import HashingEmbedder

        self.embedder = HashingEmbedder(dim=8)

    def upsert(self, *args: object, **kwargs: object) -> None:
        pass

    def close(self) -> None:
        pass


def run(records: int, seed: int, q: mp.Queue) -> None:
    from samplecity import generate_city
    from synth.services import Services
    from synth.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        city = Path(tmp) / "city"
        generate_city(city, records=records, seed=seed)
        svc = Services(Settings(data_dir=Path(tmp) / "data", redactor="regex", _env_file=None))
        svc.__dict__["index"] = _DroppingIndex()
        svc.ingestor.ingest([city / "notes", city / "comments"])
        synth = svc.synthesizer
        t = time.perf_counter()
        report = synth.refresh()
        refresh_s = time.perf_counter() - t
        t = time.perf_counter()
        summaries = synth.summarize()
        summarize_s = time.perf_counter() - t
        t = time.perf_counter()
        synth.summarize()
        again_s = time.perf_counter() - t
        q.put({"records": records, "refresh_s": refresh_s, "summarize_s": summarize_s, "again_s": again_s,
               "themes": report.concern_themes, "summaries": len(summaries),
               "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
        svc.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, nargs="+", default=[2000, 5000, 10000])
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    ctx = mp.get_context("spawn")
    results = []
    for n in args.records:
        q: mp.Queue = ctx.Queue()
        p = ctx.Process(target=run, args=(n, args.seed, q))
        p.start()
        res = q.get()
        p.join()
        results.append(res)
        total = res["refresh_s"] + res["summarize_s"]
        print(f"{n:>7} records  refresh {res['refresh_s']:7.1f} s  summarize {res['summarize_s']:6.1f} s  "
              f"again {res['again_s']:6.1f} s  "
              f"{n / total:6.1f} records/s  {res['themes']} themes  peak RSS {res['peak_mb']:6.0f} MB", flush=True)
    for a, b in zip(results, results[1:], strict=False):
        ta, tb = a["refresh_s"] + a["summarize_s"], b["refresh_s"] + b["summarize_s"]
        k = math.log(tb / ta) / math.log(b["records"] / a["records"])
        print(f"growth {a['records']} -> {b['records']}: time ~ records^{k:.2f}")


if __name__ == "__main__":
    main()
