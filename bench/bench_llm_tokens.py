"""LLM tokens per 1,000 records for a full city summary, counted through the real chains.

    python bench/bench_llm_tokens.py --records 1000
    python bench/bench_llm_tokens.py --records 300 --base-url http://127.0.0.1:8080/v1 --model M --annotate-limit 40

Generates the sample city, ingests it offline (MiniLM embedder, regex redactor), runs the offline synthesis
(`Synthesizer.refresh`), then counts the tokens of every LLM call a full city summary makes:

(a) the default flow: records annotated offline; the LLM writes the theme labels (`label_themes`, the labels
    are saved in the taxonomy as the wired flow would) and every district's and the city's narrative
    (`Synthesizer.summarize` -> `write_narrative`, fact sheets by code);
(b) per-record LLM annotation on top: `LLMAnnotator.annotate` over every record (no cache).

Without --base-url each phase has a fake chat model (synth.llm.fake.FakeChatModel) that reads the real
rendered prompt and returns schema-valid output (labels from keywords, annotations from the offline
annotation's spans, narratives from the prompt's own facts and quotes), so the prompts are the real ones and
replies are of realistic size. The figures are the product's own accounting, as each step records it
(synth.llm.structured.StructuredOutput): the theme labels' LabelStats, each summary's provenance and the
annotator's AnnotationStats. The fake reports no usage, so every call is counted with tiktoken over the text of
the messages sent and over the reply (labels and annotation in --encoding; narratives in the synthesizer's
default, cl100k_base). With --base-url the same chains call that OpenAI-compatible server and the counts are
the server's own (its tokenizer); --annotate-limit then annotates only that many records and scales the figure
to 1,000.

Anchor: Jigsaw's Sensemaker reports about 340k input and 107k output tokens per 1,000 statements.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synth.llm.fake import FakeChatModel  # noqa: E402
from synth.llm.model import ChatModel, Message  # noqa: E402
from synth.llm.structured import CallTotals, Tally  # noqa: E402
from synth.synthesis.models import OTHER_THEME, Annotation, Theme  # noqa: E402

ANCHOR_IN, ANCHOR_OUT = 340_000, 107_000  # Sensemaker, per 1,000 statements
SPAN_WORDS = 12  # the annotate prompt asks for excerpts of at most 12 words


def block(messages: list[Message], name: str) -> Any:
    """The JSON inside the prompt's `<<<NAME ... NAME>>>` block (retries append messages after it)."""
    for _, text in messages:
        if m := re.search(rf"<<<{name}[^\n]*\n(.*?)\n{name}>>>", text, re.DOTALL):
            return json.loads(m.group(1))
    raise ValueError(f"no {name} block in the prompt")


# --- schema-valid replies from the real prompts ---------------------------------------------------------


def label_reply(messages: list[Message]) -> str:
    """2-4 word labels from each theme's keywords, distinct."""
    taken: set[str] = set()
    out = []
    for theme in block(messages, "THEMES"):
        words = [w for w in theme["keywords"] if w.isalpha()] or ["resident", "feedback"]
        label = " ".join([words[0].capitalize(), *words[1:2]] if len(words) > 1 else [words[0].capitalize(), "issues"])
        for extra in [*words[2:4], "concerns", "reports"]:
            if label.casefold() not in taken:
                break
            label = f"{label} {extra}"
        taken.add(label.casefold())
        out.append({"id": theme["id"], "label": label})
    return json.dumps({"labels": out})


def narrative_reply(messages: list[Message]) -> str:
    """One cited sentence per top theme (numbers as FACTS writes them) and per praised theme."""
    facts, quotes = block(messages, "FACTS"), block(messages, "RESIDENT_QUOTES")
    sentences: list[dict[str, Any]] = []  # no uncited opening: a theme named "District ..." would make it a claim
    for theme in facts["themes_by_mentions"][:3]:
        cited = [q["record_id"] for q in quotes.get(theme["id"], [])[:2]]
        if cited:
            sentences.append({"text": f"{theme['label']} came up in {theme['mentions']} records "
                                      f"({theme['share_of_records']}).", "citations": cited})
    for theme in facts["praised_themes"][:2]:
        cited = [q["record_id"] for q in quotes.get(theme["id"], [])[:2]]
        if cited:
            sentences.append({"text": f"Residents praised {theme['label']}.", "citations": cited})
    return json.dumps({"sentences": sentences})


def annotation_reply(offline: dict[str, Annotation]) -> Callable[[list[Message]], str]:
    """Per record the offline annotation's themed concerns, as excerpts of at most SPAN_WORDS words."""

    def respond(messages: list[Message]) -> str:
        shown = {t["id"] for t in block(messages, "THEMES")}
        out = []
        for rec in block(messages, "RECORDS"):
            ann = offline.get(rec["text"])
            concerns = [{"text": " ".join(c.text.split()[:SPAN_WORDS]), "theme_id": c.theme_id,
                         "sentiment": c.sentiment.label, "score": round(c.sentiment.score, 1)}
                        for c in (ann.concerns if ann else []) if c.theme_id != OTHER_THEME and c.theme_id in shown]
            out.append({"id": rec["id"], "concerns": concerns})
        return json.dumps({"records": out})

    return respond


# --- the run ---------------------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    calls: int
    input_tokens: int
    output_tokens: int
    scale: float  # multiplier to per 1,000 records
    note: str = ""


def chat_model(args: argparse.Namespace, respond: Callable[[list[Message]], str]) -> ChatModel:
    if not args.base_url:
        return FakeChatModel(name="bench-fake", respond=respond)
    from synth.llm.chat import open_chat_model
    from synth.settings import Settings

    settings = Settings(_env_file=None, llm_backend="openai", openai_base_url=args.base_url,
                        openai_api_key=args.api_key, llm_model=args.model, tiktoken_encoding=args.encoding)
    return open_chat_model(settings, max_tokens=args.max_tokens, timeout=1800, max_retries=0)


def phase(name: str, totals: CallTotals, records: int, sample: int | None = None, note: str = "") -> Phase:
    """A phase's calls and tokens as the product counted them (`totals`: its stats)."""
    scale = 1000 / (sample if sample else records)
    return Phase(name, totals.calls, totals.input_tokens, totals.output_tokens, scale, note)


def run(args: argparse.Namespace) -> list[Phase]:
    from samplecity import generate_city
    from synth.services import Services
    from synth.settings import Settings
    from synth.synthesis.llm_annotate import LLMAnnotator
    from synth.synthesis.llm_labels import LabelStats, label_themes
    from synth.synthesis.pipeline import Synthesizer

    with tempfile.TemporaryDirectory() as tmp:
        city = Path(tmp) / "city"
        generate_city(city, records=args.records, seed=args.seed)
        svc = Services(Settings(data_dir=Path(tmp) / "data", embedder="minilm", redactor="regex",
                                _env_file=None))
        t = time.perf_counter()
        report = svc.ingestor.ingest([city / "notes", city / "comments"])
        synth = svc.synthesizer
        synth.refresh()
        print(f"ingested {report.accepted} records and ran the offline synthesis in {time.perf_counter() - t:.0f} s",
              flush=True)
        state = synth.taxonomy()
        offline = synth.annotations(state)
        concern_themes = {tid: t for tid, t in state.themes.items() if t.is_concern}
        examples = theme_examples(offline, concern_themes)

        stats = LabelStats()
        labels = label_themes(chat_model(args, label_reply), concern_themes, examples, encoding=args.encoding,
                              stats=stats)
        for tid, label in labels.items():
            state.themes[tid] = state.themes[tid].model_copy(update={"label": label})
        synth.store.save_taxonomy(state)

        summaries = []
        if not args.skip_narratives:
            model = chat_model(args, narrative_reply)
            writer = Synthesizer(svc.records, synth.annotator, chat_model=model, config=synth.config,
                                 narrative_budget_tokens=synth.narrative_budget_tokens)
            summaries = writer.summarize()
        by_source = {s: sum(x.provenance.source == s for x in summaries) for s in ("llm", "fallback")}
        # every call a narrative made is an attempt; its tokens add up every attempt (summary provenance)
        narrative_totals = Tally(calls=sum(x.provenance.attempts for x in summaries),
                                 input_tokens=sum(x.provenance.input_tokens for x in summaries),
                                 output_tokens=sum(x.provenance.output_tokens for x in summaries))

        records = list(svc.records.iter_records())
        sample = records[:args.annotate_limit] if args.annotate_limit else records
        by_text = {r.text: offline[r.id] for r in records if r.id in offline}
        annotator = LLMAnnotator(chat_model(args, annotation_reply(by_text)), args.encoding,
                                 budget_tokens=args.budget, max_records=args.max_records,
                                 fallback=lambda rs: {r.id: offline[r.id] for r in rs})
        annotator.annotate(sample, {tid: state.themes[tid] for tid in concern_themes})
        svc.close()
    n = report.accepted
    return [
        phase("theme labels", stats, n, note=f"{len(concern_themes)} themes, {stats.labelled} LLM labels"),
        phase("narratives", narrative_totals, n,
              note=f"{len(summaries)} summaries ({by_source['llm']} llm, {by_source['fallback']} fallback), "
                   f"{narrative_totals.calls} attempts"),
        phase("record annotation", annotator.stats, n, len(sample),
              note=f"{len(sample)} records, {annotator.stats.fallback} fallback, budget {args.budget}, "
                   f"max {args.max_records} a call"),
    ]


def theme_examples(annotations: dict[str, Annotation], themes: dict[str, Theme]) -> dict[str, list[str]]:
    """Up to 8 distinct spans per theme, in record order."""
    out: dict[str, list[str]] = {tid: [] for tid in themes}
    for ann in annotations.values():
        for c in ann.concerns:
            if c.theme_id in out and len(out[c.theme_id]) < 8 and c.text not in out[c.theme_id]:
                out[c.theme_id].append(c.text)
    return out


def print_table(phases: list[Phase], records: int) -> None:
    print(f"\nLLM tokens for a full city summary of {records} records, per 1,000 records")
    print(f"{'':30} {'calls':>6} {'input':>10} {'output':>10} {'in/1k':>9} {'out/1k':>9}  note")

    def row(name: str, ps: list[Phase], note: str = "") -> tuple[float, float]:
        per_in = sum(p.input_tokens * p.scale for p in ps)
        per_out = sum(p.output_tokens * p.scale for p in ps)
        print(f"{name:30} {sum(p.calls for p in ps):>6} {sum(p.input_tokens for p in ps):>10,} "
              f"{sum(p.output_tokens for p in ps):>10,} {per_in:>9,.0f} {per_out:>9,.0f}  {note}")
        return per_in, per_out

    labels, narratives, annotation = phases
    row("  theme labels", [labels], labels.note)
    row("  narratives (districts + city)", [narratives], narratives.note)
    a_in, a_out = row("(a) default flow", [labels, narratives])
    row("  per-record annotation", [annotation], annotation.note)
    b_in, b_out = row("(b) per-record LLM annotation", phases)
    print(f"{'Sensemaker (anchor)':30} {'':>6} {'':>10} {'':>10} {ANCHOR_IN:>9,} {ANCHOR_OUT:>9,}")
    for name, i, o, target in (("(a)", a_in, a_out, " (target: at most 10%)"), ("(b)", b_in, b_out, "")):
        print(f"{name} / anchor: input {i / ANCHOR_IN:.1%}, output {o / ANCHOR_OUT:.1%}, "
              f"total {(i + o) / (ANCHOR_IN + ANCHOR_OUT):.1%}{target}")
    print("Labels and narratives cost about the same for any city size (one call per theme batch and per district),"
          "\nso their share per 1,000 records falls as the city grows; annotation grows with the records.")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--encoding", default="cl100k_base", help="tiktoken encoding for counting and budgets")
    ap.add_argument("--budget", type=int, default=6000, help="LLMAnnotator budget_tokens (rendered prompt)")
    ap.add_argument("--max-records", type=int, default=40, help="LLMAnnotator max_records (records per call)")
    ap.add_argument("--base-url", help="an OpenAI-compatible endpoint to call instead of the counting fakes")
    ap.add_argument("--api-key", default="local")
    ap.add_argument("--model", default="qwen2.5-coder-1.5b-instruct")
    ap.add_argument("--max-tokens", type=int, default=2000, help="reply limit per call with --base-url")
    ap.add_argument("--skip-narratives", action="store_true", help="no narratives (slow local models)")
    ap.add_argument("--annotate-limit", type=int, default=0, help="annotate only this many records (0: all)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    print_table(run(args), args.records)


if __name__ == "__main__":
    main()
