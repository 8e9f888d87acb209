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
reply is answered with its problems (`prompts/json_retry_v1.md`) in the same conversation, up to
`max_retries` times; then the records still unanswered are split in halves, each tried the same way, at
most `max_splits` levels deep (a reply cut off at the token limit is split at once, not retried); records
still failing get the `fallback` annotation (offline) or, without one, raise LLMError. A failing model call
(network, server) raises LLMError.

Answers are cached in SQL (`AnnotationCache`) by record text hash, prompt version, model and taxonomy
fingerprint, so a second run over the same records makes no call. Fallback annotations are not cached: the
next run asks the model again, so a fixed prompt or model takes effect.

Worst case per packed batch: (1 + max_retries) * (2 ** (max_splits + 1) - 1) calls (21 with the defaults).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Generic, Protocol, TypeVar

import numpy as np
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.prompts import MessagesPlaceholder
from langchain_core.runnables import Runnable, RunnableLambda
from langchain_core.utils.json import parse_json_markdown
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import JSON, DateTime, String, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from synth.db import Base
from synth.errors import ConfigError, LLMError
from synth.llm.chains import escaped_json, model_name
from synth.models import Record
from synth.prompts import PromptFile, load_prompt
from synth.synthesis.annotate import record_sentiment
from synth.synthesis.models import OTHER_THEME, Annotation, Concern, SentimentLabel, SentimentScore, Theme
from synth.synthesis.store import StoredSpan
from synth.tokens import count_tokens

log = logging.getLogger(__name__)

PROMPT_NAME = "annotate"
RETRY_PROMPT_NAME = "json_retry"
# Rendered prompt per call. The fixed part (instructions and themes) is about 1,100 tokens with 20 themes, so
# a small budget wastes most of each call on it: on the 1,000-record sample city 1,500 costs 938k input tokens,
# 3,000 costs 147k, 6,000 costs 100k. A reply is about 130 tokens a record, so the context must hold the
# budget plus max_records * 130 (6,000 + 40 * 130 = 11k; a 4k-context local server needs about 1,500 and 8).
DEFAULT_BUDGET_TOKENS = 6000
DEFAULT_MAX_RECORDS = 40  # per call: bounds the reply
THEME_KEYWORDS = 5  # keywords per theme shown to the model

Fallback = Callable[[list[Record]], dict[str, Annotation]]
T = TypeVar("T")
X = TypeVar("X")  # one item's answer


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


# --- helpers shared with llm_labels and evals/judge ----------------------------------------------------


def data_json(items: Sequence[Mapping[str, Any]]) -> str:
    """A JSON list, one compact item per line, with '<' and '>' escaped so no value can close its block."""
    return "[\n" + ",\n".join(escaped_json(i) for i in items) + "\n]"


def pack(items: Sequence[T], cost: Callable[[list[T]], int], *, budget: int, max_items: int) -> list[list[T]]:
    """Consecutive batches whose `cost` (the rendered prompt's tokens) stays within `budget`, at most
    `max_items` each. An item over the budget on its own still goes, alone: nothing is truncated."""
    batches: list[list[T]] = []
    current: list[T] = []
    for item in items:
        if current and (len(current) >= max_items or cost([*current, item]) > budget):
            batches.append(current)
            current = []
        current.append(item)
    if current:
        batches.append(current)
    return batches


def format_errors(error: ValidationError) -> str:
    """Pydantic errors as short 'where: what' lines the model can act on."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'reply'}: {e['msg']}" for e in error.errors()[:8])


@dataclass
class ParsedReply:
    """The parser step's result: the reply text, the validated object or why there is none, the usage, and
    whether the model stopped at its token limit."""

    text: str
    value: Any
    problem: str | None
    usage: Mapping[str, Any] | None
    truncated: bool = False


def json_parser(schema: type[BaseModel]) -> Callable[[AIMessage], ParsedReply]:
    """The chain's parser: strict JSON (code fences tolerated) validated against `schema`, or the reason why
    not. Strict because LangChain's default partial parser would silently close a reply cut off at the token
    limit, turning a cut excerpt into a valid-looking concern."""

    def parse(message: AIMessage) -> ParsedReply:
        text = message.text
        truncated = (message.response_metadata or {}).get("finish_reason") == "length"
        usage = message.usage_metadata
        try:
            value = schema.model_validate(parse_json_markdown(text, parser=json.loads))
        except ValidationError as e:
            return ParsedReply(text, None, format_errors(e), usage, truncated)
        except (ValueError, TypeError) as e:  # not JSON at all
            problem = "the reply was cut off at the token limit" if truncated else \
                f"not JSON: {str(e).splitlines()[0][:200]}"
            return ParsedReply(text, None, problem, usage, truncated)
        return ParsedReply(text, value, None, usage, truncated)

    return parse


def build_chain(prompt: PromptFile, chat_model: BaseChatModel,
                schema: type[BaseModel]) -> Runnable[dict[str, Any], ParsedReply]:
    """prompt (+ earlier replies and their problems) | model | parse."""
    chat_prompt = prompt.as_chat_prompt() + MessagesPlaceholder("history", optional=True)
    return chat_prompt | chat_model | RunnableLambda(json_parser(schema))


@dataclass
class CallResult:
    reply: ParsedReply
    input_tokens: int
    output_tokens: int


def call_chain(chain: Runnable[dict[str, Any], ParsedReply], variables: dict[str, str], history: list[BaseMessage],
               rendered: str, encoding: str) -> CallResult:
    """One model call. Token counts from the endpoint's usage, else tiktoken over what was sent and returned."""
    try:
        reply = chain.invoke({**variables, "history": history})
    except Exception as e:  # any failure of the model client: a clear error, never a silent fallback
        raise LLMError(f"the chat model failed: {e}; check the LLM server, or run without a model") from e
    usage = reply.usage or {}
    sent = rendered + "".join(f"\n\n{m.text}" for m in history)
    input_tokens = int(usage.get("input_tokens") or count_tokens(sent, encoding))
    output_tokens = int(usage.get("output_tokens") or count_tokens(reply.text, encoding))
    return CallResult(reply, input_tokens, output_tokens)


class CallTotals(Protocol):
    """The running totals a RetryingChain adds each call to (AnnotationStats, LabelStats, JudgeStats)."""

    calls: int
    input_tokens: int
    output_tokens: int


@dataclass
class Asked(Generic[X]):
    """What RetryingChain.ask ends with: the accepted answers by item id, the last reply's problems, the calls
    made, and whether it stopped early because a reply hit the token limit (`stop_when_cut_off`)."""

    value: dict[str, X]
    problems: list[str]
    calls: int
    cut_off: bool = False


class RetryingChain:
    """`prompt | model | parse` asked about a batch of items, and asked again in the same conversation with
    each failing reply's problems (`prompts/json_retry_v1.md`), up to 1 + max_retries calls. Each call is
    added to `stats` and logged as "<what> llm call ... <noun>=N attempt=i/n ... problems=N"; running out of
    calls is a warning ("<what>: k of N <noun> <failing> after n calls (last problems: ...)")."""

    def __init__(self, chat_model: BaseChatModel, prompt: PromptFile, schema: type[BaseModel], *, encoding: str,
                 max_retries: int, stats: CallTotals, what: str, noun: str, failing: str = "without a valid answer",
                 logger: logging.Logger = log) -> None:
        self.prompt = prompt
        self.retry_prompt = load_prompt(RETRY_PROMPT_NAME)
        self.chain = build_chain(prompt, chat_model, schema)
        self.model = model_name(chat_model)
        self.encoding = encoding
        self.max_retries = max_retries
        self.stats = stats
        self.what, self.noun, self.failing, self.log = what, noun, failing, logger

    def ask(self, variables: dict[str, str], ids: Sequence[str],
            check: Callable[[Any], tuple[dict[str, X], list[str]]], *, keep_first: bool,
            stop_when_cut_off: bool = False) -> Asked[X]:
        """Answers by item id for the batch of `ids`. `check(parsed reply)` gives one reply's valid answers and
        its problems (a reply that does not parse into the schema has no answers and that one problem).

        keep_first: each item's first valid answer is kept across replies, and asking ends once every item has
        one (even if that reply had other problems). Otherwise the answers are those of the first reply without
        problems, else those of the last reply.
        stop_when_cut_off: a reply cut off at the token limit ends the asking at once (`Asked.cut_off`): the
        same prompt would be cut off again."""
        rendered = self.prompt.render(**variables)  # strict: a missing or extra variable fails here
        history: list[BaseMessage] = []
        accepted: dict[str, X] = {}
        problems: list[str] = []
        attempts = self.max_retries + 1
        for attempt in range(1, attempts + 1):
            started = time.monotonic()
            call = call_chain(self.chain, variables, history, rendered, self.encoding)
            self.stats.calls += 1
            self.stats.input_tokens += call.input_tokens
            self.stats.output_tokens += call.output_tokens
            found: dict[str, X] = {}
            if call.reply.value is None:
                problems = [f"the reply is not JSON of the required shape: {call.reply.problem}"]
            else:
                found, problems = check(call.reply.value)
            if keep_first:
                for item, answer in found.items():
                    accepted.setdefault(item, answer)
            else:
                accepted = found
            self.log.info("%s llm call model=%s prompt=%s %s=%d attempt=%d/%d input_tokens=%d output_tokens=%d "
                          "latency_ms=%.0f problems=%d", self.what, self.model, self.prompt.key, self.noun, len(ids),
                          attempt, attempts, call.input_tokens, call.output_tokens,
                          (time.monotonic() - started) * 1000, len(problems))
            if (len(accepted) == len(ids)) if keep_first else not problems:
                return Asked(accepted, problems, attempt)
            if stop_when_cut_off and call.reply.truncated:
                return Asked(accepted, problems, attempt, cut_off=True)
            feedback = self.retry_prompt.render(problems="\n".join(f"- {p}" for p in problems[:20]))
            history += [AIMessage(content=call.reply.text), HumanMessage(content=feedback)]
        self.log.warning("%s: %d of %d %s %s after %d calls (last problems: %s)", self.what,
                         len(ids) - len(accepted), len(ids), self.noun, self.failing, attempts, "; ".join(problems[:3]))
        return Asked(accepted, problems, attempts)


# --- the cache -----------------------------------------------------------------------------------------


class LLMAnnotationRow(Base):
    """One cached LLM annotation.

    The key holds everything the answer depends on: the record's text (hash), the prompt (name and version),
    the model, and the taxonomy the model chose from (fingerprint). The taxonomy is in the key because a
    theme id in a cached answer is only right for the themes the model was shown: after a merge, split,
    rename or rediscovery an old answer may point at a theme that is gone or now means something else, and
    the record must be asked again.
    """

    __tablename__ = "llm_annotations"

    record_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    prompt: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    taxonomy: Mapped[str] = mapped_column(String(64), primary_key=True)
    annotation: Mapped[dict[str, Any]] = mapped_column(JSON)  # Annotation.model_dump(), record_id as first seen
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=lambda: dt.datetime.now(dt.UTC))


@dataclass(frozen=True)
class CacheScope:
    """The part of the key shared by one annotate() call."""

    prompt: str
    model: str
    taxonomy: str


class AnnotationCache:
    """LLM annotations in the system of record (the table is created on the shared Base's engine)."""

    def __init__(self, engine: Engine) -> None:
        Base.metadata.create_all(engine, tables=[LLMAnnotationRow.__table__])  # type: ignore[list-item]
        self._session = sessionmaker(engine, expire_on_commit=False)

    def get_many(self, scope: CacheScope, hashes: Sequence[str]) -> dict[str, Annotation]:
        """Cached annotations by record hash (records absent from the cache are absent from the result)."""
        found: dict[str, Annotation] = {}
        unique = list(dict.fromkeys(hashes))
        with self._session() as s:
            for i in range(0, len(unique), 500):
                q = select(LLMAnnotationRow).where(
                    LLMAnnotationRow.prompt == scope.prompt, LLMAnnotationRow.model == scope.model,
                    LLMAnnotationRow.taxonomy == scope.taxonomy,
                    LLMAnnotationRow.record_hash.in_(unique[i:i + 500]))
                for row in s.scalars(q):
                    found[row.record_hash] = Annotation.model_validate(row.annotation)
        return found

    def put_many(self, scope: CacheScope, annotations: Mapping[str, Annotation]) -> None:
        """Store annotations by record hash (one transaction; an existing entry is replaced)."""
        with self._session.begin() as s:
            for record_hash, ann in annotations.items():
                s.merge(LLMAnnotationRow(record_hash=record_hash, prompt=scope.prompt, model=scope.model,
                                         taxonomy=scope.taxonomy, annotation=ann.model_dump(mode="json")))


def record_hash(record: Record) -> str:
    """sha256 of the record's exact (redacted) text: the answer's spans are verbatim spans of this text."""
    return hashlib.sha256(record.text.encode("utf-8")).hexdigest()


def theme_entries(themes: Mapping[str, Theme]) -> list[dict[str, Any]]:
    """What the model is shown of the taxonomy: concern themes only (chatter counts as "other"), by id."""
    return [{"id": t.id, "label": t.label, "keywords": t.keywords[:THEME_KEYWORDS]}
            for _, t in sorted(themes.items()) if t.is_concern and t.id != OTHER_THEME]


def taxonomy_fingerprint(entries: Sequence[Mapping[str, Any]]) -> str:
    """sha256 of the theme entries exactly as the prompt shows them."""
    return hashlib.sha256(json.dumps(list(entries), sort_keys=True).encode("utf-8")).hexdigest()


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

    def __init__(self, chat_model: BaseChatModel, encoding: str = "cl100k_base", *,
                 budget_tokens: int = DEFAULT_BUDGET_TOKENS, max_records: int = DEFAULT_MAX_RECORDS,
                 max_retries: int = 2, max_splits: int = 2, cache: AnnotationCache | None = None,
                 fallback: Fallback | None = None, prompt_version: int | None = None) -> None:
        if max_retries < 0 or max_splits < 0 or max_records < 1 or budget_tokens < 1:
            raise ConfigError("LLMAnnotator needs max_retries >= 0, max_splits >= 0, max_records >= 1 and "
                              "budget_tokens >= 1")
        self.chat_model = chat_model
        self.encoding = encoding
        self.budget_tokens = budget_tokens
        self.max_records = max_records
        self.max_retries = max_retries
        self.max_splits = max_splits
        self.cache = cache
        self.fallback = fallback
        self.prompt = load_prompt(PROMPT_NAME, prompt_version)
        self.model = model_name(chat_model)
        self.key = f"llm:{self.prompt.key}:{self.model}"  # Annotation.annotator
        self.stats = AnnotationStats()
        self.asker = RetryingChain(chat_model, self.prompt, LLMBatch, encoding=encoding, max_retries=max_retries,
                                   stats=self.stats, what="annotate", noun="records")

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
        first valid answer is kept, so a reply that answers only some records is not wasted. A reply cut off at
        the token limit is not retried: the same batch would be cut off again, so _batch splits it instead."""
        aliases = {f"r{i}": r for i, r in enumerate(batch, 1)}
        theme_ids = {e["id"] for e in entries}
        asked = self.asker.ask(self.variables(batch, entries), list(aliases),
                               partial(self._check, aliases=aliases, theme_ids=theme_ids), keep_first=True,
                               stop_when_cut_off=True)
        if asked.cut_off:
            log.warning("annotate: a reply for %d records hit the token limit; splitting", len(batch))
        return self._annotations(aliases, asked.value)

    def _annotations(self, aliases: Mapping[str, Record], accepted: Mapping[str, list[Concern]]
                     ) -> dict[str, Annotation]:
        return {aliases[a].id: build_annotation(aliases[a].id, c, self.key) for a, c in accepted.items()}

    def _check(self, reply: LLMBatch, aliases: Mapping[str, Record],
               theme_ids: set[str]) -> tuple[dict[str, list[Concern]], list[str]]:
        check = check_batch(reply, aliases, theme_ids)
        self.stats.dropped_spans += check.dropped_spans
        return check.concerns, check.problems

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
