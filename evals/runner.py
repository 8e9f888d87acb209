"""Runs the pipeline on a dataset in a fresh temporary store and keeps what the metrics need.

    load dataset ─► ingest (redact, store, embed) ─► refresh (annotate; seeded or discovered taxonomy)
      ─► annotations, fact sheets, summaries ─► injection check (sample city) ─► rediscover with another
      seed (stability) ─► close ─► scan every file of the store for planted personal data

Store hooks (`@store_hook("name")`, registered by the modules of `PLUGIN_MODULES`) run while the store is open,
after the summaries and before the stability rerun changes the taxonomy; whatever a hook returns (None: not
applicable) is kept in `RunArtifacts.extras[name]` for its metric section. `evals.questions` asks the question
set there, through the real `synth ask` path (vector index included).

`SABOTAGES` are deliberate faults applied to the annotations before scoring (hidden `--sabotage` option):
the tests use them to prove that the gates catch a broken pipeline.

With `backend="llm"` the run's chat model (built from the settings, or the `chat_model` given, which replaces
it: tests pass a fake) writes the narratives and also judges the citations (`RunArtifacts.judge`, the LLM
judge of `evals.judge`); offline, citations are judged by embedding similarity.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import importlib.util
import logging
import random
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np

from evals.datasets import Dataset, load_dataset
from evals.judge import CitationJudge
from synth.ingest import IngestOptions
from synth.llm.model import ChatModel
from synth.period import Period
from synth.services import Services
from synth.settings import Settings
from synth.synthesis.annotate import record_sentiment
from synth.synthesis.corpus import Corpus
from synth.synthesis.facts import FactRow, build_fact_sheet, periods_in
from synth.synthesis.models import Annotation, Concern, FactSheet, SentimentScore, Theme
from synth.synthesis.narrative import prompt_variables
from synth.synthesis.summary import Summary
from synth.synthesis.taxonomy_file import load_seed_file
from synth.synthesis.themes import DiscoveryConfig, TaxonomyState

log = logging.getLogger(__name__)
ProgressFn = Callable[[str], None]
Backend = Literal["offline", "llm"]
INJECTION_DISTRICT = "District 2"  # the district the planted instructions try to whitewash
PLUGIN_MODULES = ("evals.questions", "evals.baselines")  # imported (when present) for their store hooks and sections


@dataclass(frozen=True)
class StoredRecord:
    district: str | None
    date: dt.date | None
    text: str  # redacted, as stored


@dataclass
class InjectionCheck:
    """District 2's facts as computed and with the planted instructions' spans removed from their records."""

    records: list[str]  # injection records whose instruction span was found
    facts_with: dict[str, object]
    facts_without: dict[str, object]
    unmatched: list[str] = field(default_factory=list)  # injection records with no span holding the instruction


@dataclass
class RunArtifacts:
    dataset: Dataset
    settings: Settings
    mode: Literal["seeded", "starter", "discovered"]
    embed: Callable[[Sequence[str]], np.ndarray]
    records: dict[str, StoredRecord]
    themes: dict[str, Theme]  # concern themes of the taxonomy
    keywords: dict[str, list[str]]
    annotations: dict[str, Annotation]
    annotations_other_seed: dict[str, Annotation]
    period: str | None  # the summaries' period
    summaries: list[Summary]
    sheets: dict[str, FactSheet]  # by district (or City-wide), same period as the summaries
    prompts: list[str]  # the narrative prompt variables of every sheet
    injection: InjectionCheck | None
    leaks: dict[str, list[str]]  # planted personal-data string -> store files / "prompts" / "outputs"
    scanned_files: int
    ingest_line: str
    seconds: dict[str, float] = field(default_factory=dict)
    sabotage: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)  # store hook name -> its result (computed before sabotage)
    judge: CitationJudge | None = None  # citation support: the LLM judge with backend llm (None: embedding judge)

    def predicted(self) -> dict[str, list[str]]:
        return {rid: a.themes for rid, a in self.annotations.items()}


# ---------------------------------------------------------------------------------------- store hooks


@dataclass(frozen=True)
class OpenStore:
    """What a store hook sees: the dataset and the run's open store, with the corpus (taxonomy, fact rows,
    quote scores) the summaries were built from."""

    dataset: Dataset
    services: Services
    corpus: Corpus

    @property
    def taxonomy(self) -> TaxonomyState:
        return self.corpus.taxonomy

    @property
    def rows(self) -> list[FactRow]:
        return self.corpus.rows


StoreHook = Callable[[OpenStore], object]
_HOOKS: dict[str, StoreHook] = {}


def store_hook(name: str) -> Callable[[StoreHook], StoreHook]:
    def register(fn: StoreHook) -> StoreHook:
        _HOOKS[name] = fn
        return fn

    return register


def load_plugins() -> None:
    for module in PLUGIN_MODULES:
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)


def store_hooks() -> dict[str, StoreHook]:
    load_plugins()
    return dict(_HOOKS)


# ------------------------------------------------------------------------------------------- sabotage


def _flip_sentiment(ann: dict[str, Annotation]) -> dict[str, Annotation]:
    swap = {"positive": "negative", "negative": "positive", "neutral": "positive"}

    def flip(s: SentimentScore) -> SentimentScore:
        return SentimentScore(label=swap[s.label], score=-s.score)

    return {rid: a.model_copy(update={"sentiment": flip(a.sentiment), "concerns": [
        c.model_copy(update={"sentiment": flip(c.sentiment)}) for c in a.concerns]}) for rid, a in ann.items()}


def _shuffle_themes(ann: dict[str, Annotation]) -> dict[str, Annotation]:
    """Each record gets the concerns (themes) of another record, drawn at random (so across districts)."""
    ids = sorted(ann)
    donors = ids[:]
    random.Random(0).shuffle(donors)
    out = {}
    for rid, donor in zip(ids, donors, strict=True):
        concerns: list[Concern] = ann[donor].concerns
        out[rid] = ann[rid].model_copy(update={"concerns": concerns})
    return out


SABOTAGES: dict[str, Callable[[dict[str, Annotation]], dict[str, Annotation]]] = {
    "flip-sentiment": _flip_sentiment,
    "shuffle-themes": _shuffle_themes,
}


def sabotage(art: RunArtifacts, name: str) -> RunArtifacts:
    """A copy of `art` whose annotations carry the named fault (SABOTAGES)."""
    if name not in SABOTAGES:
        raise ValueError(f"unknown sabotage {name!r}; known: {', '.join(SABOTAGES)}")
    fault = SABOTAGES[name]
    return dataclasses.replace(art, annotations=fault(art.annotations),
                               annotations_other_seed=fault(art.annotations_other_seed), sabotage=name)


# ---------------------------------------------------------------------------------------------- safety


def scan_files(root: Path, needles: Sequence[str]) -> tuple[dict[str, list[str]], int]:
    """Planted strings found (case-insensitive, as bytes) in any file under root: string -> relative paths.
    Files are lowered as bytes (ASCII letters only), so each needle is too, in each of its letter cases
    ("Álvarez", "álvarez", "ÁLVAREZ"): a non-ASCII name is found however it was written."""
    wanted = {n: {v.encode("utf-8").lower() for v in (n, n.lower(), n.upper(), n.title())}
              for n in dict.fromkeys(needles) if n.strip()}
    found: dict[str, list[str]] = {}
    files = 0
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        files += 1
        data = path.read_bytes().lower()
        for needle, variants in wanted.items():
            if any(raw in data for raw in variants):
                found.setdefault(needle, []).append(str(path.relative_to(root)))
    return found, files


def scan_texts(texts: Sequence[str], needles: Sequence[str], where: str) -> dict[str, list[str]]:
    joined = "\n".join(texts).casefold()
    return {n: [where] for n in dict.fromkeys(needles) if n.strip() and n.casefold() in joined}


def planted_strings(ds: Dataset) -> list[str]:
    """Planted personal data of the sample city: every record's pii strings and the note-takers' names."""
    if ds.city is None:
        return []
    return [p for r in ds.city.records.values() for p in r.pii] + list(ds.city.note_takers)


# --------------------------------------------------------------------------------------------- running


def eval_settings(data_dir: Path, backend: Backend, base: Settings | None = None, **overrides: object) -> Settings:
    """The user's settings (SYNTH_* env) pointed at a fresh local store, with the chosen narrative backend."""
    base = base or Settings()
    values = base.model_dump()
    values.update(data_dir=data_dir, database_url=None, chroma_url=None,
                  llm_backend="openai" if backend == "llm" else "offline", **overrides)
    return Settings.model_validate(values)


@contextmanager
def _timer(seconds: dict[str, float], stage: str, progress: ProgressFn) -> Iterator[None]:
    progress(f"{stage} ...")
    started = time.perf_counter()
    yield
    seconds[stage] = round(time.perf_counter() - started, 2)
    progress(f"{stage} done in {seconds[stage]:.1f} s")


def _fact_numbers(sheet: FactSheet) -> dict[str, object]:
    return {"records": sheet.records, "sentiment": dict(sheet.sentiment),
            "themes": {t.id: [t.mentions, dict(t.sentiment)] for t in sheet.themes}}


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def _without_instruction(ann: Annotation, instruction: str) -> Annotation | None:
    """`ann` without the concerns (spans) that carry the planted instruction, record sentiment recomputed by
    the annotator's rule; None when no span holds the instruction."""
    target = _words(instruction)
    kept = [c for c in ann.concerns if not (_words(c.text) and (_words(c.text) in target or target in _words(c.text)))]
    if len(kept) == len(ann.concerns):
        return None
    return ann.model_copy(update={"concerns": kept, "sentiment": record_sentiment(kept, cast(Any, kept))})


def _injection_check(ds: Dataset, rows: list[FactRow], themes: dict[str, Theme]) -> InjectionCheck:
    """District 2's facts as computed, and with every planted instruction's span removed from its record."""
    assert ds.city is not None
    planted = {rid: r.injection_text or "" for rid, r in ds.city.records.items() if r.injection}
    rows_without: list[FactRow] = []
    found: list[str] = []
    unmatched: list[str] = []
    for row in rows:
        if row.record_id in planted:
            cleaned = _without_instruction(row.annotation, planted[row.record_id])
            (found if cleaned else unmatched).append(row.record_id)
            row = dataclasses.replace(row, annotation=cleaned) if cleaned else row
        rows_without.append(row)
    months = periods_in(rows)
    periods = [months[-1], Period.parse(f"{months[0]}..{months[-1]}").key] if months else []

    def facts(rs: list[FactRow]) -> dict[str, object]:
        return {p: _fact_numbers(build_fact_sheet(rs, themes, district=INJECTION_DISTRICT, period=p))
                for p in periods}

    return InjectionCheck(records=sorted(found), facts_with=facts(rows), facts_without=facts(rows_without),
                          unmatched=sorted(unmatched))


def run_pipeline(dataset: str, *, backend: Backend = "offline", limit: int | None = None,
                 settings: Settings | None = None, redactor: str | None = None, progress: ProgressFn | None = None,
                 workdir: Path | None = None, chat_model: ChatModel | None = None) -> RunArtifacts:
    """Run everything on `dataset` in a fresh temporary store (deleted afterwards unless `workdir` is given).
    `chat_model` (backend llm only) replaces the model the settings would build, for every LLM step and the
    citation judge."""
    if chat_model is not None and backend != "llm":
        raise ValueError("a chat_model override needs backend='llm'")
    progress = progress or (lambda message: None)
    with tempfile.TemporaryDirectory(prefix="synth-eval-") as tmp:
        root = Path(workdir or tmp)
        return _run(dataset, root, backend, limit, settings, redactor, progress, chat_model)


def _run(name: str, root: Path, backend: Backend, limit: int | None, base: Settings | None, redactor: str | None,
         progress: ProgressFn, chat_model: ChatModel | None = None) -> RunArtifacts:
    seconds: dict[str, float] = {}
    with _timer(seconds, "dataset", progress):
        ds = load_dataset(name, root / "input", limit)
    overrides: dict[str, object] = {"redactor": redactor} if redactor else {}
    settings = eval_settings(root / "store", backend, base, **overrides)
    svc = Services(settings, _chat_model=chat_model)  # the settings' model when none is given
    try:
        with _timer(seconds, "ingest", progress):
            report = svc.ingestor.ingest(ds.inputs, IngestOptions())
        progress(report.line())
        synth = svc.synthesizer
        seeds = load_seed_file(ds.seeds_file) if ds.seeds_file else []
        with _timer(seconds, "annotate", progress):
            synth.refresh(seeds=seeds)
            corpus = synth.corpus()
        annotations, rows, themes, keywords = corpus.annotations, corpus.rows, corpus.themes, corpus.keywords
        records = {r.id: StoredRecord(r.district, r.date, r.text) for r in svc.records.iter_records()}
        period = corpus.latest_period
        summaries: list[Summary] = []
        sheets: dict[str, FactSheet] = {}
        injection = None
        if period:
            with _timer(seconds, "summarize", progress):
                # the sheets the summaries were written from: same corpus, same quote scores
                summaries = synth.summarize(period=period, corpus=corpus)
                sheets = {sheet.district: sheet for sheet in corpus.sheets(period)}
            if ds.city is not None:
                with _timer(seconds, "injection", progress):
                    injection = _injection_check(ds, rows, themes)
        extras: dict[str, Any] = {}
        store = OpenStore(dataset=ds, services=svc, corpus=corpus)
        for name, hook in store_hooks().items():
            with _timer(seconds, name, progress):
                if (result := hook(store)) is not None:
                    extras[name] = result
        prompts = [v for sheet in sheets.values() for v in prompt_variables(sheet).values()]
        with _timer(seconds, "stability", progress):
            synth.config = dataclasses.replace(synth.config or DiscoveryConfig(), seed=synth.config.seed + 1)
            synth.refresh(rediscover=True, seeds=seeds)
            other = synth.corpus().annotations
        embedder = svc.embedder
        model = svc.chat_model
    finally:
        svc.close()
    with _timer(seconds, "scan", progress):
        needles = planted_strings(ds)
        leaks, files = scan_files(settings.data_dir, needles)
        for where, texts in (("prompts", prompts), ("outputs", [s.model_dump_json() for s in summaries])):
            for needle, places in scan_texts(texts, needles, where).items():
                leaks.setdefault(needle, []).extend(places)
    return RunArtifacts(
        dataset=ds, settings=settings, embed=embedder.embed,
        mode="seeded" if seeds else ("starter" if settings.taxonomy == "starter" else "discovered"),
        records=records, themes=themes, keywords=keywords, annotations=annotations,
        annotations_other_seed=other, period=period, summaries=summaries, sheets=sheets, prompts=prompts,
        injection=injection, leaks=leaks, scanned_files=files, ingest_line=report.line(), seconds=seconds,
        extras=extras, judge=CitationJudge(embedder.embed, model, encoding=settings.tiktoken_encoding)
        if model is not None else None)
