"""Benchmark `synth ask`: latency of the query engine at 10k and 100k records, latency of the retrieval path on
a real Chroma collection, and LLM tokens per answer through the real chains.

    python bench/bench_ask.py                       # 10k and 100k, retrieval on 600 ingested records
    python bench/bench_ask.py --sizes 10000 --retrieval-store .synth   # reuse an ingested store
    python bench/bench_ask.py --cli-only --cli-store /tmp/city10k      # `synth ask` processes, cold and warm

What is measured
----------------
* figures path: `Asker.ask` (rules parser with the offline MiniLM embedder for topic phrases, router, query
  engine, answer text, citations, coverage) over fact rows built from a generated sample city's truth and
  replicated with new ids to the target size (MiniLM ingest of 100k records does not fit the time budget). The
  FactIndex is built once (its build time is printed) and every figures question of evals/questions.yaml is
  asked `--rounds` times. Declined questions are included: they are asked too.
* retrieval path: open questions of evals/questions.yaml against a Chroma collection of records ingested with
  MiniLM (`--retrieval-records`, or an existing store), the whole `ask` including the query embedding.
* CLI: `synth ask` as a user runs it, a new process per question, on a store of `--cli-records` sample-city
  records ingested and annotated with MiniLM and the presidio redactor (or `--cli-store`, an ingested data dir).
  Cold: the ask's warm-start cache cleared first (the first question after records, taxonomy or annotations
  changed: refresh and corpus run); warm: the cache in place. Cold and warm alternate question by question, so
  the machine's load weighs on both alike; wall clock and CPU seconds of the child process.
* tokens: every question through the LLM chains (parse and phrase) with a fake chat model that echoes a valid
  structured query (the rules parser's) and the code's answer; prompt and reply counted with tiktoken
  (synth/tokens.py) since the fake reports no usage. These are the prompt sizes a real model would receive;
  a real model's replies (and retries) may be longer.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evals.questions import load_questions, truth_themes  # noqa: E402
from samplecity import CityTruth, generate_city  # noqa: E402
from synth.ask.llm import AskLLM  # noqa: E402
from synth.ask.parse import parse_question  # noqa: E402
from synth.ask.service import Asker  # noqa: E402
from synth.llm.fake import FakeChatModel  # noqa: E402
from synth.llm.model import Message  # noqa: E402
from synth.synthesis.facts import FactRow  # noqa: E402
from synth.synthesis.models import Annotation, Concern, SentimentScore  # noqa: E402
from synth.synthesis.themes import seed_state  # noqa: E402
from vectorstore.embeddings import MiniLMEmbedder  # noqa: E402

FIGURE_CATEGORIES = {"count", "share", "ranking", "compare", "trend", "unanswerable", "individual"}


def synthetic_rows(truth: CityTruth, size: int) -> list[FactRow]:
    """Fact rows from the truth's annotations, replicated with new ids (copy k: `<id>~k`) up to `size`."""
    base = []
    for rid, t in truth.records.items():
        concerns = [Concern(index=i, text=f"Residents raised {truth.themes[th].label.lower()}.", theme_id=th,
                            sentiment=SentimentScore(label="negative", score=-0.5)) for i, th in enumerate(t.themes)]
        base.append((rid, t, concerns))
    rows: list[FactRow] = []
    copy = 0
    while len(rows) < size:
        for rid, t, concerns in base:
            if len(rows) >= size:
                break
            new_id = rid if copy == 0 else f"{rid}~{copy}"
            text = " ".join(c.text for c in concerns) or "We started late."
            rows.append(FactRow(record_id=new_id, district=t.district, date=t.date, kind=t.kind.value,
                                meeting_id=(t.meeting_id if copy == 0 else f"{t.meeting_id}~{copy}")
                                if t.meeting_id else None, note_taker=None, attendee_count=t.attendees,
                                text=text, annotation=Annotation(record_id=new_id, concerns=concerns,
                                                                 annotator="bench", sentiment=SentimentScore(
                                                                     label="neutral", score=0.0))))
        copy += 1
    return rows


def percentiles(ms: list[float]) -> str:
    a = np.array(ms)
    return f"p50 {np.percentile(a, 50):.1f} ms, p95 {np.percentile(a, 95):.1f} ms, max {a.max():.1f} ms (n={a.size})"


def time_questions(asker: Asker, questions: list[str], rounds: int) -> list[float]:
    asker.ask(questions[0])  # warm up (model session, caches)
    out = []
    for _ in range(rounds):
        for q in questions:
            started = time.perf_counter()
            asker.ask(q)
            out.append((time.perf_counter() - started) * 1000)
    return out


def echo_reply(context: Any) -> Callable[[list[Message]], str]:
    """A fake chat model's answers: to the parse prompt the rules parser's query for the question, to the
    answer prompt the code's answer text (the coverage for an open answer) and the record ids it was given."""

    def respond(messages: list[Message]) -> str:
        prompt = "\n".join(text for _, text in messages)
        if "<<<QUESTION" in prompt and "<<<FIGURES" not in prompt:
            question = prompt.split("<<<QUESTION", 1)[1].split("QUESTION>>>", 1)[0].strip()
            return parse_question(question, context).model_dump_json(exclude_defaults=True)
        facts = json.loads(prompt.split("<<<FIGURES", 1)[1].split("FIGURES>>>", 1)[0])
        ids = re.findall(r'"record_id": "([^"]+)"', prompt.split("<<<RECORDS", 1)[1])
        # an open answer's FIGURES hold no sentence (its text quotes residents, who stay in RECORDS)
        text = facts.get("computed_answer") or f"Residents spoke about this ({facts['coverage']})."
        return json.dumps({"text": text, "citations": ids[:3]})

    return respond


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--retrieval-records", type=int, default=600)
    ap.add_argument("--retrieval-store", type=Path, help="an ingested data dir to query instead")
    ap.add_argument("--cli-records", type=int, default=10_000)
    ap.add_argument("--cli-store", type=Path, help="an ingested data dir for the CLI asks (else one is built)")
    ap.add_argument("--cli-questions", type=int, default=8, help="questions asked cold and warm")
    ap.add_argument("--cli-only", action="store_true", help="only the CLI asks")
    args = ap.parse_args()
    if args.cli_only:
        cli_asks(args)
        return

    specs = load_questions()
    figure_qs = [q.question for q in specs if q.category in FIGURE_CATEGORIES]
    open_qs = [q.question for q in specs if q.category == "open"]
    embedder = MiniLMEmbedder()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        truth = generate_city(Path(tmp) / "city", records=10_000, seed=7)
        print(f"sample city: {truth.records_total} records generated in {time.perf_counter() - started:.1f} s")
    taxonomy = seed_state(truth_themes(truth), embedder.embed)

    for size in args.sizes:
        rows = synthetic_rows(truth, size)
        started = time.perf_counter()
        asker = Asker.build(rows, taxonomy, embedder.embed)
        build = time.perf_counter() - started
        ms = time_questions(asker, figure_qs, args.rounds)
        print(f"figures path, {size:,} records (FactIndex built in {build:.2f} s): {percentiles(ms)}")
        if size == args.sizes[0]:
            llm = AskLLM(FakeChatModel(name="echo", respond=echo_reply(asker.context)))
            llm_asker = Asker(asker.facts, asker.matcher, llm=llm)
            tokens = [llm_asker.ask(q).llm_tokens for q in figure_qs + open_qs]
            answered = [t for t in tokens if t]
            print(f"LLM tokens per answer (parse + phrase, tiktoken cl100k_base, echo model): mean "
                  f"{statistics.mean(answered):.0f}, p50 {statistics.median(answered):.0f}, max {max(answered)} "
                  f"over {len(answered)} questions")
    retrieval(args, open_qs)
    cli_asks(args)


def retrieval(args: argparse.Namespace, open_qs: list[str]) -> None:
    from synth.redact import RegexRedactor
    from synth.services import Services
    from synth.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.retrieval_store or Path(tmp) / "data"
        svc = Services(Settings(data_dir=data_dir, redactor="regex", _env_file=None), _redactor=RegexRedactor())
        try:
            if args.retrieval_store is None:
                city = Path(tmp) / "city"
                generate_city(city, records=args.retrieval_records, seed=7, pii_records=10)
                started = time.perf_counter()
                svc.ingestor.ingest([city / "notes", city / "comments"])
                svc.synthesizer.refresh()
                print(f"retrieval store: {args.retrieval_records} records ingested and annotated with MiniLM in "
                      f"{time.perf_counter() - started:.0f} s")
            asker = Asker.from_services(svc)
            ms = time_questions(asker, open_qs, args.rounds)
            print(f"retrieval path, Chroma collection of {svc.index.count():,} chunks "
                  f"({len(asker.facts):,} records): {percentiles(ms)}")
        finally:
            svc.close()


def cli_asks(args: argparse.Namespace) -> None:
    import os
    import resource
    import subprocess

    from synth.ask.cache import AskCache
    from synth.db import RecordStore
    from synth.settings import Settings

    specs = load_questions()
    picks = [q.question for q in specs if q.category in FIGURE_CATEGORIES][::3]
    picks = [q for pair in zip(picks, [q.question for q in specs if q.category == "open"], strict=False)
             for q in pair][:args.cli_questions]
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.cli_store or Path(tmp) / "data"
        env = {**os.environ, "SYNTH_DATA_DIR": str(data_dir)}
        synth = [sys.executable, "-m", "synth.cli"]
        if args.cli_store is None:
            generate_city(Path(tmp) / "city", records=args.cli_records, seed=7)
            started = time.perf_counter()
            subprocess.run([*synth, "ingest", str(Path(tmp) / "city" / "notes"), str(Path(tmp) / "city" / "comments")],
                           env=env, check=True, capture_output=True)
            print(f"CLI store: {args.cli_records:,} records ingested in {time.perf_counter() - started:.0f} s")
        records = RecordStore(Settings(data_dir=data_dir, _env_file=None).resolved_database_url)
        n = records.count_records()

        def run(question: str) -> tuple[float, float]:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            subprocess.run([*synth, "ask", question], env=env, capture_output=True, check=False)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            return (time.perf_counter() - started) * 1000, cpu * 1000

        run(picks[0])  # the first question: annotates what is new and builds the cache
        cold: list[tuple[float, float]] = []
        warm: list[tuple[float, float]] = []
        for question in picks:
            AskCache(records).clear()
            cold.append(run(question))
            warm.append(run(question))
        records.close()

    def line(name: str, ms: list[tuple[float, float]]) -> str:
        wall, cpu = np.array([w for w, _ in ms]), np.array([c for _, c in ms])
        return (f"{name}: wall p50 {np.percentile(wall, 50) / 1000:.2f} s, p95 {np.percentile(wall, 95) / 1000:.2f} s; "
                f"CPU p50 {np.percentile(cpu, 50) / 1000:.2f} s, p95 {np.percentile(cpu, 95) / 1000:.2f} s")

    print(f"CLI `synth ask`, a new process per question, {n:,} records, {len(picks)} questions, "
          f"load avg {os.getloadavg()[0]:.1f}")
    print("  " + line("cold (cache cleared)", cold))
    print("  " + line("warm (cache in place)", warm))
    ratio = np.median([w for w, _ in cold]) / np.median([w for w, _ in warm])
    cpu_ratio = np.median([c for _, c in cold]) / np.median([c for _, c in warm])
    print(f"  cold / warm p50: wall {ratio:.1f}x, CPU {cpu_ratio:.1f}x")


if __name__ == "__main__":
    print(f"bench_ask {dt.datetime.now():%Y-%m-%d %H:%M}")
    main()
