"""Does a cited record support the claim that cites it? The citation judge of the citations and peer sections.

    judge = CitationJudge(embed)                          # embedding judge: cosine >= SUPPORT_THRESHOLD
    judge = CitationJudge(embed, chat_model)              # LLM judge (the run's model, `--backend llm`)
    verdicts = judge.judge([(claim, record_text), ...])   # one Verdict per pair, in order

The LLM judge is `prompts/judge_citation_v<N>.md | model | parse`: (claim, record) pairs go in a delimited
data block as JSON ('<' and '>' escaped, so no text can close the block) under batch-local ids ("c1", "c2",
...), as many per call as fit `budget_tokens` of rendered prompt (tiktoken). A reply must parse into
`JudgeReply` and give one verdict per pair; each pair's first valid verdict is kept, and while some pair has
none the reply is answered with its problems (`synth.llm.structured`) up to `max_retries` times. Pairs
still without a verdict, and every pair after the endpoint failed once (network, server), are judged by the
embedding judge and counted (`JudgeStats.fallback`, `Verdict.by`). A pair with an empty claim or record
text (a cited record that does not exist) is unsupported without asking anyone (`by="rule"`).

Verdicts are cached by (claim, record text), so the citations and peer sections, and a sabotaged copy of the
run, share one judgement of our citations.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from pydantic import BaseModel

from synth.errors import LLMError, StructuredOutputError
from synth.llm.chains import data_json, model_name, pack
from synth.llm.model import ChatModel
from synth.llm.structured import StructuredOutput
from synth.prompts import load_prompt
from synth.tokens import count_tokens

log = logging.getLogger(__name__)

PROMPT_NAME = "judge_citation"
DEFAULT_BUDGET_TOKENS = 4000
MAX_PAIRS_PER_CALL = 20  # bounds the reply

# Cosine between a claim and a cited record's whole text, MiniLM. Calibrated on the sample city (600 records,
# deterministic narratives, 2025-05): random (sentence, record) pairs median 0.17, 90th percentile 0.27; cited
# records median 0.24. 0.25 = "closer than ~85% of random pairings". Re-calibrate for another embedder.
SUPPORT_THRESHOLD = 0.25

Embed = Callable[[Sequence[str]], np.ndarray]
Pair = tuple[str, str]  # (claim, record text)
JudgedBy = Literal["llm", "embedding", "rule"]


class PairVerdict(BaseModel):
    id: str
    supports: bool


class JudgeReply(BaseModel):
    """The reply's schema."""

    verdicts: list[PairVerdict]


@dataclass(frozen=True)
class Verdict:
    supports: bool
    by: JudgedBy
    score: float  # cosine of claim and record (0 for an empty text), whichever judge decided


@dataclass
class JudgeStats:
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    llm: int = 0  # distinct pairs given the LLM's verdict
    fallback: int = 0  # distinct pairs the LLM was asked about (or would have been) judged by embedding instead
    endpoint_failed: bool = False


def cosines(pairs: Sequence[Pair], embed: Embed) -> list[float]:
    """For each pair: cosine similarity of the claim and the record text (0 for an empty text)."""
    texts = list(dict.fromkeys(t for pair in pairs for t in pair if t.strip()))
    if not texts:
        return [0.0] * len(pairs)
    vectors = embed(texts)
    row = {t: i for i, t in enumerate(texts)}
    return [float(vectors[row[c]] @ vectors[row[r]]) if c.strip() and r.strip() else 0.0 for c, r in pairs]


@dataclass
class CitationJudge:
    """The embedding judge, or the LLM judge when `chat_model` is given (embedding judge as its fallback)."""

    embed: Embed
    chat_model: ChatModel | None = None
    encoding: str = "cl100k_base"
    budget_tokens: int = DEFAULT_BUDGET_TOKENS
    max_pairs: int = MAX_PAIRS_PER_CALL
    max_retries: int = 2
    prompt_version: int | None = None
    stats: JudgeStats = field(default_factory=JudgeStats)
    _cache: dict[Pair, Verdict] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> Literal["llm", "embedding"]:
        return "embedding" if self.chat_model is None else "llm"

    def describe(self) -> str:
        """How a pair is judged, for the metrics' formulas."""
        cosine = f"cosine(embed(claim), embed(record text)) >= {SUPPORT_THRESHOLD} (the run's embedder)"
        if self.chat_model is None:
            return f"the embedding judge: {cosine}"
        prompt = load_prompt(PROMPT_NAME, self.prompt_version).key
        return (f"the LLM judge: model {model_name(self.chat_model)} with prompts/{prompt}.md says the record "
                f"supports the claim; a pair it still fails on after {self.max_retries} retries goes to the "
                f"embedding judge, {cosine}")

    def judge(self, pairs: Sequence[Pair]) -> list[Verdict]:
        todo = [p for p in dict.fromkeys(pairs) if p not in self._cache]
        if todo:
            self._cache.update(self._judge(todo))
        return [self._cache[p] for p in pairs]

    def _judge(self, pairs: list[Pair]) -> dict[Pair, Verdict]:
        scores = dict(zip(pairs, cosines(pairs, self.embed), strict=True))
        by_embedding = {p: Verdict(s >= SUPPORT_THRESHOLD, "embedding", s) for p, s in scores.items()}
        out = {p: Verdict(False, "rule", 0.0) for p in pairs if not (p[0].strip() and p[1].strip())}
        asked = [p for p in pairs if p not in out]
        if self.chat_model is None:
            return {**out, **{p: by_embedding[p] for p in asked}}
        llm = self._ask(asked)
        for p in asked:
            out[p] = Verdict(llm[p], "llm", scores[p]) if p in llm else by_embedding[p]
        self.stats.llm += len(llm)
        self.stats.fallback += len(asked) - len(llm)
        return out

    def _ask(self, pairs: list[Pair]) -> dict[Pair, bool]:
        assert self.chat_model is not None
        prompt = load_prompt(PROMPT_NAME, self.prompt_version)
        entries = [{"id": f"c{i}", "claim": c, "record": r} for i, (c, r) in enumerate(pairs, start=1)]
        of_id = {e["id"]: p for e, p in zip(entries, pairs, strict=True)}
        batches = pack(entries, lambda b: count_tokens(prompt.render(pairs_json=data_json(b)), self.encoding),
                       budget=self.budget_tokens, max_items=self.max_pairs)
        asker = StructuredOutput(self.chat_model, prompt, JudgeReply, encoding=self.encoding,
                                 max_reasks=self.max_retries, stats=self.stats, what="citation judge", logger=log)
        out: dict[Pair, bool] = {}
        for batch in batches:
            if self.stats.endpoint_failed:
                break
            ids = [e["id"] for e in batch]
            verdicts: dict[str, bool] = {}  # each pair's first valid verdict over up to 1 + max_retries replies

            def check(reply: JudgeReply, ids: list[str] = ids, verdicts: dict[str, bool] = verdicts) -> list[str]:
                found, problems = check_verdicts(reply, ids)
                for pid, verdict in found.items():
                    verdicts.setdefault(pid, verdict)
                return [] if len(verdicts) == len(ids) else problems

            try:
                asker.ask({"pairs_json": data_json(batch)}, check, context=f"pairs={len(ids)}")
            except StructuredOutputError as e:
                log.warning("citation judge: %d of %d pairs go to the embedding judge after %d calls (last "
                            "problems: %s)", len(ids) - len(verdicts), len(ids), len(e.attempts),
                            "; ".join(e.attempts[-1].problems[:3]))
            except LLMError as e:
                log.warning("citation judge: %s; the embedding judge takes the remaining pairs", e)
                self.stats.endpoint_failed = True
                break
            out.update({of_id[pid]: v for pid, v in verdicts.items()})
        return out


def check_verdicts(reply: JudgeReply, ids: Sequence[str]) -> tuple[dict[str, bool], list[str]]:
    """The valid verdicts by pair id, and the problems (unknown, repeated or missing ids)."""
    wanted = set(ids)
    verdicts: dict[str, bool] = {}
    problems: list[str] = []
    for item in reply.verdicts:
        if item.id not in wanted:
            problems.append(f"id {item.id!r} is not a pair in PAIRS; answer only the ids given")
        elif item.id in verdicts:
            problems.append(f"pair {item.id} has more than one verdict; give it one")
        else:
            verdicts[item.id] = item.supports
    problems += [f"pair {pid} has no verdict; judge every pair" for pid in ids if pid not in verdicts]
    return verdicts, problems
