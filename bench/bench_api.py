"""The API under load: `/ask` and `/summaries` latency with 20 concurrent clients on a 10,000-record store,
served by a real `synth serve` on loopback, first alone and then while an ingest runs; errors counted.

    python bench/bench_api.py                          # builds a 10k sample-city store in a temp dir
    python bench/bench_api.py --store /tmp/city10k     # reuse (or build once into) a data directory
    python bench/bench_api.py --clients 20 --seconds 60 --workers 2

Bounded: each phase stops after --seconds or --requests per client, whichever comes first. The ingest phase
starts `synth ingest` of --ingest-records new sample records in another process and measures while it runs.
Store: MiniLM embedder and the presidio redactor, as a department would run it (SYNTH_* settings apply).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

QUESTIONS = [
    "How many comments mention street lighting in District 3?",
    "What do residents say about speeding?",
    "Which district has the most comments?",
    "What are the top concerns in District 5?",
    "How did concerns about noise change over the last three months?",
    "What do residents praise about the police?",
]


def synth(data_dir: Path, *args: str, stdin: str | None = None, check: bool = True) -> str:
    env = {**os.environ, "SYNTH_DATA_DIR": str(data_dir)}
    done = subprocess.run([sys.executable, "-m", "synth.cli", *args], env=env, input=stdin, text=True,
                          capture_output=True, check=False)
    if check and done.returncode != 0:
        raise SystemExit(f"synth {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def build_store(data_dir: Path, records: int) -> None:
    if (data_dir / "synth.db").exists():
        print(f"store: reusing {data_dir}")
        return
    city = data_dir.parent / f"{data_dir.name}-city"
    print(f"store: generating and ingesting {records} sample records into {data_dir} (once) ...", flush=True)
    start = time.perf_counter()
    synth(data_dir, "sample", "--out", str(city), "--records", str(records))
    synth(data_dir, "ingest", str(city / "notes"), str(city / "comments"))
    synth(data_dir, "summarize", "--district", "District 3")  # annotate once, as the running service would
    print(f"store: built in {time.perf_counter() - start:.0f} s", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, data_dir: Path, workers: int) -> None:
        self.port = free_port()
        env = {**os.environ, "SYNTH_DATA_DIR": str(data_dir), "SYNTH_API_REQUESTS_PER_MINUTE": "100000"}
        self.proc = subprocess.Popen([sys.executable, "-m", "synth.cli", "serve", "--port", str(self.port),
                                      "--workers", str(workers)], env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.5)
        self.stop()
        raise SystemExit("synth serve did not answer /health within 120 s")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def warm_up(url: str, token: str, districts: list[str]) -> float:
    """One question and one summary per district, unmeasured: a process builds its corpus (and fits its
    learner) once after it starts; the phases measure the server people use all day, not its first minute."""
    start = time.perf_counter()
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=1800) as http:
        http.post("/ask", json={"question": QUESTIONS[0]}).raise_for_status()
        for district in districts:
            http.get(f"/summaries/{district}", params={"period": "all"}).raise_for_status()
    return time.perf_counter() - start


def load(url: str, token: str, clients: int, seconds: float, requests: int,
         districts: list[str]) -> dict[str, dict[str, Any]]:
    """Each client alternates /ask and /summaries until the time or its request count runs out."""
    results: dict[str, list[float]] = {"ask": [], "summaries": []}
    errors: dict[str, list[str]] = {"ask": [], "summaries": []}
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client(n: int) -> None:
        rng = random.Random(n)
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as http:
            for i in range(requests):
                if time.perf_counter() > stop_at:
                    return
                kind = "ask" if (i + n) % 2 == 0 else "summaries"
                start = time.perf_counter()
                try:
                    if kind == "ask":
                        res = http.post("/ask", json={"question": rng.choice(QUESTIONS)})
                    else:
                        res = http.get(f"/summaries/{rng.choice(districts)}", params={"period": "all"})
                    ok, why = res.status_code == 200, f"{res.status_code} {res.text[:120]}"
                except httpx.HTTPError as e:
                    ok, why = False, repr(e)
                elapsed = time.perf_counter() - start
                with lock:
                    (results[kind] if ok else errors[kind]).append(elapsed if ok else why)  # type: ignore[arg-type]

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out = {}
    for kind, times in results.items():
        times.sort()
        out[kind] = {"n": len(times), "errors": len(errors[kind]), "first_error": errors[kind][:1],
                     "p50": statistics.median(times) if times else float("nan"),
                     "p95": times[int(0.95 * (len(times) - 1))] if times else float("nan")}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, help="data directory (built once if empty)")
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--requests", type=int, default=30, help="per client and phase")
    ap.add_argument("--ingest-records", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="synth-bench-api-"))
    data_dir = args.store or tmp / "store"
    build_store(data_dir, args.records)
    token = synth(data_dir, "users", "add", f"bench-{os.getpid()}", "--role", "leadership").strip().splitlines()[-1]
    stats = json.loads(synth(data_dir, "stats", "--json"))
    districts = [d["district"] for d in stats if d.get("district")][:8] or ["District 1"]
    server = Server(data_dir, args.workers)
    try:
        warm = warm_up(server.url, token, districts)
        phases = {"alone": load(server.url, token, args.clients, args.seconds, args.requests, districts)}
        city = tmp / "more"
        synth(data_dir, "sample", "--out", str(city), "--records", str(args.ingest_records), "--seed", "99")
        env = {**os.environ, "SYNTH_DATA_DIR": str(data_dir)}
        ingest = subprocess.Popen([sys.executable, "-m", "synth.cli", "ingest", str(city / "notes"),
                                   str(city / "comments")], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
        phases["with ingest"] = load(server.url, token, args.clients, args.seconds, args.requests, districts)
        still_running = ingest.poll() is None
        _, ingest_err = ingest.communicate()
        if ingest.returncode != 0:
            print(f"the concurrent ingest failed:\n{ingest_err}")
    finally:
        server.stop()
    print(f"\nwarm-up (first question and one summary per district, after start): {warm:.0f} s")
    print(f"{args.clients} clients, {args.workers} worker(s), store of {args.records} records "
          f"(ingest of {args.ingest_records} {'still running at the end' if still_running else 'finished'} "
          "during the second phase)")
    print(f"{'phase':<12} {'route':<10} {'n':>5} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8}")
    for phase, routes in phases.items():
        for route, r in routes.items():
            print(f"{phase:<12} {route:<10} {r['n']:>5} {r['errors']:>6} {r['p50'] * 1000:>8.0f} "
                  f"{r['p95'] * 1000:>8.0f}")
            if r["first_error"]:
                print(f"    first error: {r['first_error'][0]}")
    if not args.store:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
