"""Sentiment: throughput and accuracy of OfflineSentiment (shipped weights, real MiniLM) against plain VADER.

    python bench/bench_sentiment.py                 # both evaluation sets, throughput on the NHS slice
    python bench/bench_sentiment.py --repeats 3

Evaluation sets (neither is used to train or tune the model):
* civic: the hand-written civic test sentences in tests/test_sentiment.py (CIVIC_TEST);
* NHS: the held-out slice of ../shared/data/nhs_phase1/text_data.csv (evals/nhs_sentiment.py's bucket 0).
  NHS England pxtextmining phase 1 data, MIT licence.

Throughput is reported on short civic sentences and on longer NHS answers, three ways: OfflineSentiment
embedding the texts itself (what a caller without vectors pays), OfflineSentiment given precomputed vectors
(the annotator's path), and VADER. Best of --repeats.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evals import nhs_sentiment as nhs  # noqa: E402
from synth.synthesis.sentiment import OfflineSentiment, SentimentModel, VaderSentiment  # noqa: E402
from tests.test_sentiment import CIVIC_TEST  # noqa: E402
from vectorstore.embeddings import MiniLMEmbedder  # noqa: E402


def best_time(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def figures(model: SentimentModel, texts: list[str], gold: list[str]) -> str:
    pred = [s.label for s in model.score_batch(texts)]
    return f"accuracy {nhs.accuracy(gold, pred):.3f}  macro-F1 {nhs.macro_f1(gold, pred):.3f}"


def report_accuracy(name: str, texts: list[str], gold: list[str], models: dict[str, SentimentModel]) -> None:
    counts = dict(sorted(Counter(gold).items()))
    print(f"\n{name} (n={len(texts)}, {counts})")
    for label, model in models.items():
        print(f"  {label:<24} {figures(model, texts, gold)}")
    majority = [nhs.majority_label(gold)] * len(gold)
    print(f"  {'always ' + majority[0]:<24} accuracy {nhs.accuracy(gold, majority):.3f}  "
          f"macro-F1 {nhs.macro_f1(gold, majority):.3f}")


def report_throughput(name: str, texts: list[str], embedder: MiniLMEmbedder, offline: OfflineSentiment,
                      vader: VaderSentiment, repeats: int) -> None:
    vectors = embedder.embed(texts)  # also warms the session up
    rows = [
        ("OfflineSentiment (embeds)", lambda: offline.score_batch(texts)),
        ("OfflineSentiment (vectors=)", lambda: offline.score_batch(texts, vectors=vectors)),
        ("VADER", lambda: vader.score_batch(texts)),
    ]
    print(f"\nthroughput on {len(texts)} {name} (best of {repeats}):")
    for label, fn in rows:
        seconds = best_time(fn, repeats)
        print(f"  {label:<28} {len(texts) / seconds:>10,.0f} texts/s  ({seconds:.2f} s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nhs", type=Path, default=nhs.NHS_CSV, help="NHS text_data.csv")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--throughput-texts", type=int, default=500, help="NHS texts timed (0 = all)")
    args = parser.parse_args(argv)

    embedder = MiniLMEmbedder()
    offline, vader = OfflineSentiment(embedder), VaderSentiment()
    models: dict[str, SentimentModel] = {offline.version: offline, vader.version: vader}
    print(f"python {platform.python_version()} on {platform.machine()}, embedder {embedder.name}")

    civic_texts, civic_gold = [t for t, _ in CIVIC_TEST], [g for _, g in CIVIC_TEST]
    report_accuracy("civic test set", civic_texts, civic_gold, models)

    short = civic_texts * 10  # one-sentence concerns, the annotator's usual input
    report_throughput("short civic sentences (the test set x10)", short, embedder, offline, vader, args.repeats)

    if not args.nhs.is_file():
        print(f"\nNHS data not found at {args.nhs}: skipping the NHS slice")
        return 0
    test = nhs.nhs_test_slice(args.nhs)
    nhs_texts, nhs_gold = [e.text for e in test], [e.label for e in test]
    report_accuracy("NHS held-out slice", nhs_texts, nhs_gold, models)
    timed = nhs_texts[: args.throughput_texts] if args.throughput_texts else nhs_texts
    report_throughput("NHS answers (1-10 sentences)", timed, embedder, offline, vader, args.repeats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
