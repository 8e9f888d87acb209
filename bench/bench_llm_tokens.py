"""LLM tokens per 1,000 records for a full city summary, counted through the real chains.

    python bench/bench_llm_tokens.py --records 1000
    python bench/bench_llm_tokens.py --records 300 --base-url http://127.0.0.1:8080/v1 --model M --annotate-limit 40

Generates the sample city, ingests it offline (MiniLM embedder, regex redactor), runs the offline synthesis
(`Synthesizer.refresh`), then counts the tokens of every LLM call a full city summary makes:

(a) the default flow: records annotated offline; the LLM writes the theme labels (`label_themes`, the labels
    are saved in the taxonomy as the wired flow would) and every district's and the city's narrative
    (`Synthesizer.summarize` -> `write_narrative`, fact sheets by code);
(b) per-record LLM annotation on top: `LLMAnnotator.annotate` over every record (no cache).

Without --base-url each phase has a fake chat model that reads the real rendered prompt and returns
schema-valid output (labels from keywords, annotations from the offline annotation's spans, narratives from
the prompt's own facts and quotes), so the prompts are the real ones and replies are of realistic size.
Tokens are counted by synth.llm.chat.UsageCounter: with tiktoken (the configured encoding) over the rendered
messages plus chat-format overhead, and over the returned text. With --base-url the same chains call that
OpenAI-compatible server and the counts are the server's own (its tokenizer); --annotate-limit then
annotates only that many records and scales the figure to 1,000.

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

from langchain_core.language_models import BaseChatModel  # noqa: E402
from langchain_core.language_models.fake_chat_models import FakeListChatModel  # noqa: E402
from langchain_core.messages import BaseMessage  # noqa: E402
from pydantic import Field  # noqa: E402

from synth.llm.chat import UsageCounter  # noqa: E402
from synth.synthesis.models import OTHER_THEME, Annotation, Theme  # noqa: E402

ANCHOR_IN, ANCHOR_OUT = 340_000, 107_000  # Sensemaker, per 1,000 statements
SPAN_WORDS = 12  # the annotate prompt asks for excerpts of at most 12 words


def block(messages: list[BaseMessage], name: str) -> Any:
    """The JSON inside the prompt's `<<<NAME ... NAME>>>` block (retries append messages after it)."""
    for message in messages:
        if m := re.search(rf"<<<{name}[^\n]*\n(.*?)\n{name}>>>", message.text, re.DOTALL):
            return json.loads(m.group(1))
    raise ValueError(f"no {name} block in the prompt")


class Responder(FakeListChatModel):
    """A fake chat model that answers each call from its rendered messages (`respond`)."""

    model_name: str = "bench-fake"
    responses: list[str] = Field(default_factory=lambda: [""])
    respond: Callable[[list[BaseMessage]], str]

    def _call(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> str:
        return self.respond(messages)


# --- schema-valid replies from the real prompts ---------------------------------------------------------


def label_reply(messages: list[BaseMessage]) -> str:
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


def narrative_reply(messages: list[BaseMessage]) -> str:
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


def annotation_reply(offline: dict[str, Annotation]) -> Callable[[list[BaseMessage]], str]:
    """Per record the offline annotation's themed concerns, as excerpts of at most SPAN_WORDS words."""

    def respond(messages: list[BaseMessage]) -> str:
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


def chat_model(args: argparse.Namespace, respond: Callable[[list[BaseMessage]], str],
               usage: UsageCounter) -> BaseChatModel:
    if not args.base_url:
        return Responder(respond=respond, callbacks=[usage])
    from synth.llm.chat import build_chat_model
    from synth.settings import Settings

    settings = Settings(_env_file=None, llm_backend="openai", openai_base_url=args.base_url,
                        openai_api_key=args.api_key, llm_model=args.model, tiktoken_encoding=args.encoding)
    return build_chat_model(settings, usage=usage, max_tokens=args.max_tokens, timeout=1800, max_retries=0)


def phase(name: str, usage: UsageCounter, records: int, sample: int | None = None, note: str = "") -> Phase:
    scale = 1000 / (sample if sample else records)
    return Phase(name, len(usage.calls), usage.prompt_tokens, usage.completion_tokens, scale, note)


def run(args: argparse.Namespace) -> list[Phase]:
    from samplecity import generate_city
    from synth.services import Services
    from synth.settings import Settings
    from synth.synthesis.llm_annotate import LLMAnnotator
    from synth.synthesis.llm_labels import LabelStats, label_themes

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

        label_usage = UsageCounter(args.encoding, log_calls=False)
        stats = LabelStats()
        labels = label_themes(chat_model(args, label_reply, label_usage), concern_themes, examples,
                              encoding=args.encoding, stats=stats)
        for tid, label in labels.items():
            state.themes[tid] = state.themes[tid].model_copy(update={"label": label})
        synth.store.save_taxonomy(state)

        narrative_usage = UsageCounter(args.encoding, log_calls=False)
        summaries = []
        if not args.skip_narratives:
            synth.chat_model = chat_model(args, narrative_reply, narrative_usage)
            summaries = synth.summarize()
        by_source = {s: sum(x.provenance.source == s for x in summaries) for s in ("llm", "fallback")}
        attempts = sum(x.provenance.attempts for x in summaries)

        records = list(svc.records.iter_records())
        sample = records[:args.annotate_limit] if args.annotate_limit else records
        by_text = {r.text: offline[r.id] for r in records if r.id in offline}
        annotate_usage = UsageCounter(args.encoding, log_calls=False)
        annotator = LLMAnnotator(chat_model(args, annotation_reply(by_text), annotate_usage), args.encoding,
                                 budget_tokens=args.budget, max_records=args.max_records,
                                 fallback=lambda rs: {r.id: offline[r.id] for r in rs})
        annotator.annotate(sample, {tid: state.themes[tid] for tid in concern_themes})
        svc.close()
    n = report.accepted
    return [
        phase("theme labels", label_usage, n, note=f"{len(concern_themes)} themes, {stats.labelled} LLM labels"),
        phase("narratives", narrative_usage, n,
              note=f"{len(summaries)} summaries ({by_source['llm']} llm, {by_source['fallback']} fallback), "
                   f"{attempts} attempts"),
        phase("record annotation", annotate_usage, n, len(sample),
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
