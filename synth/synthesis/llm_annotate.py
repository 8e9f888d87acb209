"""LLM annotation: many records per call, validated, retried, cached; the offline annotator as the fallback.

    annotator = LLMAnnotator(chat_model, "cl100k_base", cache=AnnotationCache(records.engine),
                             fallback=offline_annotations)
    annotations = annotator.annotate(records, themes)     # record id -> Annotation

`prompts/annotate_v<N>.md | model | parse` receives the concern themes (id, label, keywords) and a batch of
records packed greedily within `budget_tokens` of rendered prompt (tiktoken). Records go in a delimited
data block as JSON, with '<' and '>' escaped so no text can close the block, under batch-local ids ("r1",
"r2", ...): short ids cost fewer tokens both ways and cannot be confused with ids in the text. A reply must
parse into `LLMBatch` and answer every record of the batch exactly once with known theme ids; concern texts
are matched back to a verbatim span of the record (whitespace, case and surrounding quotes forgiven) and
dropped when they are not in it. Each record's first valid answer is kept; while some record has none, the
reply is answered with its problems in the same conversation (`synth.llm.structured`), up to `max_retries`
times; then the records still unanswered are split in halves, each tried the same way, at
most `max_splits` levels deep (a reply cut off at the token limit is split at once, not retried); records
still failing get the `fallback` annotation (offline) or, without one, raise LLMError. A failing model call
(network, server) raises LLMError.

Answers are cached in SQL (`AnnotationCache`, synth/synthesis/llm_cache.py) by record text hash, prompt
version, model and taxonomy fingerprint, so a second run over the same records makes no call. Fallback
annotations are not cached: the next run asks the model again, so a fixed prompt or model takes effect.

Worst case per packed batch: (1 + max_retries) * (2 ** (max_splits + 1) - 1) calls (21 with the defaults).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from synth.errors import ConfigError, LLMError, StructuredOutputError
from synth.llm.chains import data_json, pack
from synth.llm.model import ChatModel
from synth.llm.structured import StructuredOutput
from synth.models import Record
from synth.prompts import load_prompt
from synth.synthesis.annotate import record_sentiment
from synth.synthesis.llm_cache import AnnotationCache, CacheScope, record_hash, taxonomy_fingerprint
from synth.synthesis.models import OTHER_THEME, Annotation, Concern, SentimentLabel, SentimentScore, Theme
from synth.synthesis.store import StoredSpan
from synth.tokens import count_tokens

log = logging.getLogger(__name__)

PROMPT_NAME = "annotate"
# Rendered prompt per call. The fixed part (instructions and themes) is about 1,100 tokens with 20 themes, so
# a small budget wastes most of each call on it: on the 1,000-record sample city 1,500 costs 938k input tokens,
# 3,000 costs 147k, 6,000 costs 100k. A reply is about 130 tokens a record, so the context must hold the
# budget plus max_records * 130 (6,000 + 40 * 130 = 11k; a 4k-context local server needs about 1,500 and 8).
DEFAULT_BUDGET_TOKENS = 6000
DEFAULT_MAX_RECORDS = 40  # per call: bounds the reply
THEME_KEYWORDS = 5  # keywords per theme shown to the model

Fallback = Callable[[list[Record]], dict[str, Annotation]]


# --- what the model must answer ------------------------------------------------------------------------


class LLMConcern(BaseModel):
    text: str = Field(min_length=1)
    theme_id: str
    sentiment: SentimentLabel
    score: float = Field(ge=-1.0, le=1.0)


class LLMRecord(BaseModel):
    id: str
    concerns: list[LLMConcern]


class LLMBatch(BaseModel):
    """The reply's schema: one entry per record of the batch, by batch-local id."""

    records: list[LLMRecord]


def theme_entries(themes: Mapping[str, Theme]) -> list[dict[str, Any]]:
    """What the model is shown of the taxonomy: concern themes only (chatter counts as "other"), by id."""
    return [{"id": t.id, "label": t.label, "keywords": t.keywords[:THEME_KEYWORDS]}
            for _, t in sorted(themes.items()) if t.is_concern and t.id != OTHER_THEME]


# --- span matching ---------------------------------------------------------------------------------------

_QUOTES = " \t\n\"'“”‘’`"
_TRAILING = ".,;:!?"


def _normalised(text: str) -> tuple[str, list[int]]:
    """Casefolded text with whitespace runs as one space, and each output character's index in `text`."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch.isspace():
            if out and out[-1] != " ":
                out.append(" ")
                where.append(i)
            continue
        for c in ch.casefold():
            out.append(c)
            where.append(i)
    return "".join(out), where


def locate_span(span: str, text: str) -> str | None:
    """The verbatim part of `text` that `span` quotes (forgiving whitespace, case, surrounding quotes and
    trailing punctuation), or None when `span` is not in `text`."""
    if span.strip() and span in text:
        return span
    haystack, where = _normalised(text)
    stripped = span.strip(_QUOTES)
    for candidate in dict.fromkeys([span, stripped, stripped.rstrip(_TRAILING).strip(_QUOTES)]):
        needle = _normalised(candidate)[0].strip()
        if not needle:
            continue
        start = haystack.find(needle)
        if start >= 0:
            return text[where[start]:where[start + len(needle) - 1] + 1]
    return None


# --- checking a reply ----------------------------------------------------------------------------------


@dataclass
class BatchCheck:
    """A reply checked against its batch: the concerns by batch-local id, and the problems found."""

    concerns: dict[str, list[Concern]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    dropped_spans: int = 0


def check_batch(reply: LLMBatch, batch: Mapping[str, Record], theme_ids: set[str]) -> BatchCheck:
    """Every record answered exactly once, only known theme ids, concern texts verbatim (else dropped; a
    record whose every concern is dropped is a problem). `concerns` holds the records answered validly; it is
    empty when the reply uses an id that is not in the batch."""
    check = BatchCheck()
    answered: dict[str, int] = {}
    for entry in reply.records:
        answered[entry.id] = answered.get(entry.id, 0) + 1
        if entry.id not in batch:
            check.problems.append(f"id {entry.id!r} is not a record in RECORDS; answer only the ids given")
            continue
        if answered[entry.id] > 1:
            check.concerns.pop(entry.id, None)  # two answers for one record: neither is trusted
            continue
        concerns = _record_concerns(entry, batch[entry.id].text, theme_ids, check)
        if concerns is not None:
            check.concerns[entry.id] = concerns
    if any(alias not in batch for alias in answered):
        check.concerns.clear()  # ids the batch does not have: answers may be shifted, so none is trusted
    for alias in batch:
        if answered.get(alias, 0) > 1:
            check.problems.append(f"record {alias} is answered {answered[alias]} times; answer it once")
        elif alias not in answered:
            check.problems.append(f"record {alias} has no entry; give one entry for every record")
    return check


def _record_concerns(entry: LLMRecord, text: str, theme_ids: set[str], check: BatchCheck) -> list[Concern] | None:
    found: list[tuple[int, str, LLMConcern]] = []
    for c in entry.concerns:
        if c.theme_id != OTHER_THEME and c.theme_id not in theme_ids:
            check.problems.append(f"record {entry.id}: theme_id {c.theme_id!r} is not in THEMES; use a listed "
                                  f"id or \"other\"")
            return None
        span = locate_span(c.text, text)
        if span is None:
            check.dropped_spans += 1
            continue
        found.append((text.find(span), span, c))
    if entry.concerns and not found:
        check.problems.append(f"record {entry.id}: no concern text is an exact excerpt of the record; copy "
                              f"excerpts character for character")
        return None
    found.sort(key=lambda f: f[0])
    unique = list({(span, c.theme_id): (span, c) for _, span, c in found}.values())
    return [Concern(index=i, text=span, theme_id=c.theme_id,
                    sentiment=SentimentScore(label=c.sentiment, score=round(c.score, 4)))
            for i, (span, c) in enumerate(unique)]


def build_annotation(record_id: str, concerns: list[Concern], annotator: str) -> Annotation:
    """The record's annotation; its sentiment by annotate.record_sentiment's rule (#positive - #negative
    over the concerns with a theme, else over all of them, as the offline annotator does over its spans)."""
    spans = [StoredSpan(record_id, c.index, c.text, _NO_VECTOR, c.sentiment) for c in concerns]
    return Annotation(record_id=record_id, concerns=concerns, sentiment=record_sentiment(concerns, spans),
                      annotator=annotator)


_NO_VECTOR = np.zeros(0, dtype=np.float32)


# --- the annotator -------------------------------------------------------------------------------------


@dataclass
class AnnotationStats:
    """Running totals over every annotate() call."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached: int = 0  # records answered from the cache
    annotated: int = 0  # records the model annotated (and were cached)
    fallback: int = 0  # records given the fallback annotation
    splits: int = 0  # batches split in halves after failing
    dropped_spans: int = 0  # concern texts that were not in their record


class LLMAnnotator:
    """Annotates records with a chat model. `encoding` is the tiktoken encoding the budget is measured in."""

    def __init__(self, chat_model: ChatModel, encoding: str = "cl100k_base", *,
                 budget_tokens: int = DEFAULT_BUDGET_TOKENS, max_records: int = DEFAULT_MAX_RECORDS,
                 max_retries: int = 2, max_splits: int = 2, cache: AnnotationCache | None = None,
                 fallback: Fallback | None = None, prompt_version: int | None = None) -> None:
        if max_retries < 0 or max_splits < 0 or max_records < 1 or budget_tokens < 1:
            raise ConfigError("LLMAnnotator needs max_retries >= 0, max_splits >= 0, max_records >= 1 and "
                              "budget_tokens >= 1")
        self.encoding = encoding
        self.budget_tokens = budget_tokens
        self.max_records = max_records
        self.max_retries = max_retries
        self.max_splits = max_splits
        self.cache = cache
        self.fallback = fallback
        self.prompt = load_prompt(PROMPT_NAME, prompt_version)
        self.stats = AnnotationStats()
        self.asker = StructuredOutput(chat_model, self.prompt, LLMBatch, encoding=encoding, max_reasks=max_retries,
                                      stats=self.stats, what="annotate", logger=log)
        self.chat_model = self.asker.chat_model
        self.model = self.asker.model
        self.key = f"llm:{self.prompt.key}:{self.model}"  # Annotation.annotator

    # -- public -----------------------------------------------------------------------------------------
    def annotate(self, records: Sequence[Record], themes: Mapping[str, Theme]) -> dict[str, Annotation]:
        """Record id -> annotation for every record: cached, else asked of the model, else the fallback."""
        entries = theme_entries(themes)
        scope = CacheScope(self.prompt.key, self.model, taxonomy_fingerprint(entries))
        by_hash: dict[str, list[Record]] = {}
        for r in records:
            by_hash.setdefault(record_hash(r), []).append(r)
        known = self.cache.get_many(scope, list(by_hash)) if self.cache else {}
        self.stats.cached += sum(len(by_hash[h]) for h in known)
        todo = [rs[0] for h, rs in by_hash.items() if h not in known]  # identical texts are asked once
        made = self._annotate_uncached(todo, entries) if todo else {}
        if self.cache and made:
            self.cache.put_many(scope, {record_hash(r): made[r.id] for r in todo if made[r.id].annotator == self.key})
        out: dict[str, Annotation] = {}
        for h, rs in by_hash.items():
            first = known.get(h) or made[rs[0].id]
            for r in rs:
                out[r.id] = first.model_copy(update={"record_id": r.id})
        return {r.id: out[r.id] for r in records}

    def batches(self, records: Sequence[Record], themes: Mapping[str, Theme]) -> list[list[Record]]:
        """How `records` would be packed into calls (for inspection and tests)."""
        entries = theme_entries(themes)
        return pack(list(records), lambda b: self.prompt_tokens(b, entries), budget=self.budget_tokens,
                    max_items=self.max_records)

    def prompt_tokens(self, batch: Sequence[Record], entries: Sequence[Mapping[str, Any]]) -> int:
        """Tokens of the prompt rendered for `batch` (every message's text, tiktoken)."""
        return count_tokens(self.prompt.render(**self.variables(batch, entries)), self.encoding)

    @staticmethod
    def variables(batch: Sequence[Record], entries: Sequence[Mapping[str, Any]]) -> dict[str, str]:
        """The prompt's variables: the themes, the batch's records under batch-local ids r1, r2, ..., and
        those ids listed (small models otherwise tend to stop after the first record)."""
        return {"themes_json": data_json(entries),
                "records_json": data_json([{"id": f"r{i}", "text": r.text} for i, r in enumerate(batch, 1)]),
                "record_ids": ", ".join(f"r{i}" for i in range(1, len(batch) + 1))}

    # -- batches ----------------------------------------------------------------------------------------
    def _annotate_uncached(self, records: list[Record], entries: list[dict[str, Any]]) -> dict[str, Annotation]:
        out: dict[str, Annotation] = {}
        failed: list[Record] = []
        batches = pack(records, lambda b: self.prompt_tokens(b, entries), budget=self.budget_tokens,
                       max_items=self.max_records)
        for batch in batches:
            done, lost = self._batch(batch, entries, depth=0)
            out.update(done)
            failed += lost
        self.stats.annotated += len(out)
        if failed:
            out.update(self._fallback(failed))
        return out

    def _batch(self, batch: list[Record], entries: list[dict[str, Any]],
               depth: int) -> tuple[dict[str, Annotation], list[Record]]:
        """Annotations of the batch's records, and the records that still fail: those without a valid answer
        after the retries are split in halves (a lone one tried alone) and tried again, max_splits deep."""
        done = self._attempts(batch, entries)
        rest = [r for r in batch if r.id not in done]
        if not rest or len(batch) == 1 or depth >= self.max_splits:
            return done, rest
        self.stats.splits += 1
        mid = len(rest) // 2
        lost: list[Record] = []
        for part in ([rest[:mid], rest[mid:]] if mid else [rest]):
            more, failed = self._batch(part, entries, depth + 1)
            done.update(more)
            lost += failed
        return done, lost

    def _attempts(self, batch: list[Record], entries: list[dict[str, Any]]) -> dict[str, Annotation]:
        """Up to 1 + max_retries calls in one conversation, each told the previous reply's problems. A record's
        first valid answer is kept, so a reply that answers only some records is not wasted, and asking ends
        once every record has one. A reply cut off at the token limit is not retried: the same batch would be
        cut off again, so _batch splits it instead."""
        aliases = {f"r{i}": r for i, r in enumerate(batch, 1)}
        theme_ids = {e["id"] for e in entries}
        accepted: dict[str, list[Concern]] = {}

        def check(reply: LLMBatch) -> list[str]:
            checked = check_batch(reply, aliases, theme_ids)
            self.stats.dropped_spans += checked.dropped_spans
            for alias, concerns in checked.concerns.items():
                accepted.setdefault(alias, concerns)
            missing = [a for a in aliases if a not in accepted]
            return [] if not missing else checked.problems or [f"record {a} has no valid entry" for a in missing]

        try:
            self.asker.ask(self.variables(batch, entries), check, stop_when_cut_off=True,
                           context=f"records={len(batch)}")
        except StructuredOutputError as e:
            if e.last_reply.truncated:
                log.warning("annotate: a reply for %d records hit the token limit; splitting", len(batch))
            else:
                log.warning("annotate: %d of %d records without a valid answer after %d calls (last problems: %s)",
                            len(aliases) - len(accepted), len(aliases), len(e.attempts),
                            "; ".join(e.attempts[-1].problems[:3]))
        return {aliases[a].id: build_annotation(aliases[a].id, c, self.key) for a, c in accepted.items()}

    def _fallback(self, failed: list[Record]) -> dict[str, Annotation]:
        if self.fallback is None:
            raise LLMError(f"the model's annotations of {len(failed)} records failed the checks after retries "
                           f"and splits (e.g. {failed[0].id}), and no fallback annotator was given")
        log.warning("annotate: %d records get the fallback annotation", len(failed))
        self.stats.fallback += len(failed)
        made = self.fallback(failed)
        missing = [r.id for r in failed if r.id not in made]
        if missing:
            raise LLMError(f"the fallback annotator returned nothing for {len(missing)} records, e.g. {missing[0]}")
        return {r.id: made[r.id] for r in failed}
