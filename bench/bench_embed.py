"""Throughput of MiniLMEmbedder: dynamic padding vs. padding every batch to 256 tokens, by batch size.

    python bench/bench_embed.py                       # 2,000 texts, batch sizes 8/16/32/64, both paddings
    python bench/bench_embed.py --n 500 --threads 1 --batch-sizes 16 32 --repeats 3

The texts are synthetic resident comments of 30-80 words (seeded, so every run embeds the same texts).
Each configuration runs on the same onnxruntime session after a warm-up; repeats go round-robin over the
configurations and the best of --repeats is reported, as wall-clock texts/s and texts per CPU-second (the
latter is less distorted when other processes compete for the cores).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vectorstore.embeddings import MiniLMEmbedder  # noqa: E402

ISSUES = [
    "the streetlight outside number {n} has been out for {d}",
    "there is a pothole on {s} big enough to damage a tyre",
    "the bus {b} has been late almost every morning for {d}",
    "cars speed down {s} during the school run",
    "the crosswalk near the elementary school on {s} has faded paint and no flashing beacon",
    "overflowing bins behind the shops on {s} attract rats",
    "the library on {s} closes at five, before most working people can get there",
    "parking meters downtown now cost three dollars an hour",
    "the playground at {p} has a broken swing and broken glass under the slide",
    "noise from the bar on {s} keeps residents awake until two in the morning on weekends",
    "the sidewalk on {s} is cracked and lifted by tree roots",
    "my call about a break-in took over an hour to get a response",
    "the community centre at {p} cancelled the seniors' lunch programme without notice",
    "storm drains on {s} flood every time it rains",
    "graffiti on the underpass near {p} has not been cleaned for {d}",
]
IMPACTS = [
    "and it feels unsafe walking home after dark",
    "which makes it hard for my elderly mother to get to her appointments",
    "so parents are afraid to let their kids walk to school",
    "and several neighbours have already complained to the council",
    "which is frustrating because we pay our taxes like everyone else",
    "and people in wheelchairs simply cannot get past",
    "so small businesses on the street are losing customers",
    "and nobody seems to be responsible for fixing it",
]
REQUESTS = [
    "Please send someone to fix it before winter.",
    "Could the city publish a timeline for the repair?",
    "I would like the council to add this to the next district meeting agenda.",
    "A speed camera or a raised crossing would help a lot.",
    "Extended evening hours on weekdays would make a real difference.",
    "Thank you to the crew who fixed the last one so quickly.",
    "We need more patrols in the evenings, not fewer.",
    "Please consult residents before cutting services again.",
]
OPENERS = ["", "Hi,", "Hello,", "As a resident of Ward {w} for {y} years,", "Again:", "I want to report that"]
STREETS = ["Elm Street", "Main St", "5th Avenue", "Oak Road", "Harbour Drive", "Mill Lane", "Cedar Ave"]
PARKS = ["Riverside Park", "Lincoln Square", "the Eastside playground", "Maple Park"]
DURATIONS = ["three weeks", "two months", "since January", "over a year", "ten days"]


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        n=rng.randint(1, 400),
        d=rng.choice(DURATIONS),
        s=rng.choice(STREETS),
        b=rng.randint(1, 60),
        p=rng.choice(PARKS),
        w=rng.randint(1, 12),
        y=rng.randint(2, 40),
    )


def civic_texts(n: int, seed: int = 7) -> list[str]:
    """n resident comments of 30-80 words each."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < n:
        target = rng.randint(30, 80)
        parts = [_fill(rng.choice(OPENERS), rng)]
        words = 0
        while words < target:
            sentence = f"{_fill(rng.choice(ISSUES), rng)} {rng.choice(IMPACTS)}."
            sentence = sentence[0].upper() + sentence[1:]
            parts.append(sentence)
            if rng.random() < 0.5:
                parts.append(rng.choice(REQUESTS))
            words = len(" ".join(parts).split())
        text_words = " ".join(p for p in parts if p).split()
        if len(text_words) > 80:
            text_words = text_words[:80]
        if len(text_words) >= 30:
            out.append(" ".join(text_words))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000, help="number of texts (default 2000)")
    ap.add_argument("--batch-sizes", type=int, nargs="+", default=[8, 16, 32, 64])
    ap.add_argument("--threads", type=int, default=0, help="onnxruntime intra-op threads (0 = default)")
    ap.add_argument("--repeats", type=int, default=1, help="runs per configuration; the best is reported")
    ap.add_argument("--no-fixed", action="store_true", help="skip the pad-to-256 runs (they are slow)")
    ap.add_argument(
        "--fixed-n", type=int, default=None, help="embed only the first N texts in the pad-to-256 runs (default: all)"
    )
    args = ap.parse_args()

    texts = civic_texts(args.n)
    t0 = time.perf_counter()
    emb = MiniLMEmbedder(batch_size=args.batch_sizes[0], threads=args.threads)
    load_s = time.perf_counter() - t0
    n_tokens = [len(e.ids) for e in emb._tokenizer.encode_batch(texts)]
    words = [len(t.split()) for t in texts]
    print(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, threads={args.threads or 'default'}; "
        f"model load {load_s:.2f}s"
    )
    print(
        f"{len(texts)} texts: {min(words)}-{max(words)} words (mean {sum(words) / len(words):.0f}), "
        f"{min(n_tokens)}-{max(n_tokens)} tokens (mean {sum(n_tokens) / len(n_tokens):.0f})"
    )
    emb.embed(texts[:64])  # warm-up

    modes = [("dynamic", False)] + ([] if args.no_fixed else [("pad-256", True)])
    configs = [(mode, fixed, bs) for mode, fixed in modes for bs in args.batch_sizes]
    rate: dict[tuple[str, int], float] = {}  # best texts/s (wall clock)
    cpu_rate: dict[tuple[str, int], float] = {}  # best texts per CPU-second (all threads)
    # Repeats go round-robin over the configurations, so a burst of load from other processes hits them
    # alike; the best run of each is kept. CPU seconds are less sensitive to such load than wall time.
    for rep in range(args.repeats):
        print(f"\nrun {rep + 1}/{args.repeats}, load average {os.getloadavg()[0]:.1f}")
        print(f"{'padding':<9} {'batch':>5} {'texts':>5} {'texts/s':>9} {'wall s':>7} {'cpu s':>7} {'texts/cpu-s':>11}")
        for mode, fixed, bs in configs:
            emb.batch_size = bs
            emb.pad_to_max_length = fixed
            run_texts = texts[: args.fixed_n] if fixed and args.fixed_n else texts
            n = len(run_texts)
            t, c = time.perf_counter(), time.process_time()
            emb.embed(run_texts)
            dt, dc = time.perf_counter() - t, time.process_time() - c
            key = (mode, bs)
            rate[key] = max(rate.get(key, 0.0), n / dt)
            cpu_rate[key] = max(cpu_rate.get(key, 0.0), n / dc)
            print(f"{mode:<9} {bs:>5} {n:>5} {n / dt:>9.1f} {dt:>7.2f} {dc:>7.2f} {n / dc:>11.1f}", flush=True)

    print(f"\nbest of {args.repeats} (load average now {os.getloadavg()[0]:.1f}):")
    print(f"{'padding':<9} {'batch':>5} {'texts/s':>9} {'texts/cpu-s':>11}")
    for mode, _, bs in configs:
        print(f"{mode:<9} {bs:>5} {rate[(mode, bs)]:>9.1f} {cpu_rate[(mode, bs)]:>11.1f}")
    best = max(rate, key=rate.__getitem__)
    best_cpu = max(cpu_rate, key=cpu_rate.__getitem__)
    print(f"fastest (wall): {best[0]} padding, batch {best[1]}: {rate[best]:.1f} texts/s")
    print(f"cheapest (CPU): {best_cpu[0]} padding, batch {best_cpu[1]}: {cpu_rate[best_cpu]:.1f} texts/cpu-s")
    if ("pad-256", best[1]) in rate:
        print(f"dynamic vs pad-256 at batch {best[1]}: {rate[best] / rate[('pad-256', best[1])]:.1f}x faster")

if __name__ == "__main__":
    main()
