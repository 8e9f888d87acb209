"""Wall time of `synth --help`: how long a light command waits before doing anything.

    python bench/bench_cli_startup.py                 # 7 runs of this checkout's `python -m synth.cli --help`
    python bench/bench_cli_startup.py --runs 11 --command synth --help   # any command line, e.g. the installed one

Each run is a fresh interpreter; the median (and min/max) wall time is printed. The figure includes the
interpreter's own start-up (printed separately as `python -c pass`), which no change to synth can remove.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def wall_times(cmd: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=REPO, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return times


def report(label: str, times: list[float]) -> None:
    print(f"{label:<32} median {statistics.median(times):.3f} s  (min {min(times):.3f}, max {max(times):.3f}, "
          f"n={len(times)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--command", nargs=argparse.REMAINDER, default=None,
                        help="command line to time (default: python -m synth.cli --help from this checkout)")
    args = parser.parse_args()
    cmd = args.command or [sys.executable, "-m", "synth.cli", "--help"]
    wall_times(cmd, 1)  # warm the file cache and the bytecode
    report("python -c pass", wall_times([sys.executable, "-c", "pass"], args.runs))
    report(" ".join(Path(c).name if i == 0 else c for i, c in enumerate(cmd)), wall_times(cmd, args.runs))


if __name__ == "__main__":
    main()
