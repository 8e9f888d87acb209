"""The LLM's two jobs in `ask`, both optional and both checked by code:

* parse: `prompts/ask_parse_v<N>.md | model | parse` -> a pydantic-validated StructuredQuery whose themes and
  districts exist in the data; a reply that fails is answered once with its problems (`synth.llm.structured`),
  then the caller falls back to the rules parser (returns None).
* phrase: `prompts/ask_answer_v<N>.md | model | parse` -> {text, citations}. The prompt has two blocks:
  FIGURES (`answer_facts`), which holds only what code computed and the prompt tells the model to trust:
  status, kind, the figures' names and display strings, the coverage text and, for a figures answer, the
  code's sentence; and RECORDS, the residents' quotes with their record ids, marked as untrusted data.
  Residents' words never enter FIGURES: an open answer's text quotes them, so it is not sent as such. The
  model's text may contain only numbers written in FIGURES and cite only the records the code quoted, else
  the code's own text is kept.
* both raise LLMError when the model client fails (AskLLMError, with the tokens spent before the failure);
  the caller keeps the offline path.

Tokens are the endpoint's usage when it reports it, else counted with tiktoken (synth/tokens.py) over the
rendered prompt (plus retry history) and the reply; a call that fails counts its prompt.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from synth.ask.models import Answer, StructuredQuery
from synth.ask.parse import ParseContext
from synth.errors import LLMError, StructuredOutputError
from synth.llm.chains import escaped_json
from synth.llm.model import ChatModel
from synth.llm.structured import StructuredOutput, Tally
from synth.models import RecordKind
from synth.period import Period
from synth.prompts import load_prompt
from synth.tokens import count_tokens

log = logging.getLogger(__name__)
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?%?")
_JSON = re.compile(r"\{.*\}", re.DOTALL)
_KINDS = frozenset(k.value for k in RecordKind)
REMINDER = "Reply with JSON only."
V = TypeVar("V", bound=BaseModel)


class AskLLMError(LLMError):
    """The chat model (client) failed during ask; `tokens` were spent by then (the failed call's prompt
    included). Replies that keep failing the checks are not an error here: the offline path answers."""

    def __init__(self, message: str, tokens: int) -> None:
        super().__init__(message)
        self.tokens = tokens


class PhrasedAnswer(BaseModel):
    text: str
    citations: list[str] = []


def _extract_json(text: str) -> Any:
    m = _JSON.search(text)
    if not m:
        raise ValueError("no JSON object in the reply")
    return json.loads(m[0])


class AskLLM:
    def __init__(self, chat_model: ChatModel, *, max_attempts: int = 2,
                 token_counter: Callable[[str], int] = count_tokens) -> None:
        self.max_attempts = max_attempts
        self.count = token_counter
        self.parse_prompt = load_prompt("ask_parse")
        self.answer_prompt = load_prompt("ask_answer")
        self.parser = StructuredOutput(chat_model, self.parse_prompt, _extractor(StructuredQuery),
                                       max_reasks=max_attempts - 1, token_counter=token_counter, reminder=REMINDER,
                                       what="ask parse", logger=log)
        self.phraser = StructuredOutput(chat_model, self.answer_prompt, _extractor(PhrasedAnswer),
                                        max_reasks=max_attempts - 1, token_counter=token_counter, reminder=REMINDER,
                                        what="ask answer", logger=log)
        self.chat_model = self.parser.chat_model

    def _run(self, asker: StructuredOutput[V], variables: dict[str, str],
             check: Callable[[V], Sequence[str]]) -> tuple[V | None, int]:
        """Ask up to max_attempts times; (the checked value or None, tokens used)."""
        tally = Tally()
        try:
            return asker.ask(variables, check, stats=tally).value, tally.tokens
        except StructuredOutputError as e:
            log.info("%s (%s): %d attempts rejected: %s", asker.what, asker.prompt.key, len(e.attempts),
                     "; ".join(e.attempts[-1].problems))
            return None, tally.tokens
        except LLMError as e:  # the model client failed: say so, the caller keeps the offline path
            raise AskLLMError(f"the chat model failed during {asker.what} ({asker.prompt.key}): {e.__cause__ or e}",
                              tally.tokens) from e

    # -- parse ------------------------------------------------------------------------------------------
    def parse(self, question: str, ctx: ParseContext, previous: StructuredQuery | None
              ) -> tuple[StructuredQuery | None, int]:
        context = {"districts": list(ctx.districts), "first_month": ctx.first_month,
                   "latest_month": ctx.latest_month,
                   "themes": [{"id": tid, "label": t.label} for tid, t in sorted(ctx.matcher.themes.items())],
                   "previous_query": previous.model_dump(exclude_defaults=True) if previous else None}

        def check(query: StructuredQuery) -> list[str]:
            problem = validate_query(query, ctx)
            return [problem] if problem else []

        return self._run(self.parser, {"question": question, "context_json": escaped_json(context)}, check)

    # -- phrase -----------------------------------------------------------------------------------------
    def phrase(self, answer: Answer) -> tuple[Answer, int]:
        facts = answer_facts(answer)
        records = [{"record_id": c.record_id, "quote": c.snippet} for c in answer.citations]
        allowed_numbers = _numbers(json.dumps(facts, ensure_ascii=False)) | {f.display for f in answer.figures}
        allowed_ids = {c.record_id for c in answer.citations}

        def check(phrased: PhrasedAnswer) -> list[str]:
            problem = phrasing_problem(phrased, allowed_numbers, allowed_ids)
            return [problem] if problem else []

        phrased, tokens = self._run(self.phraser, {"question": answer.question, "facts_json": escaped_json(facts),
                                               "records_json": escaped_json(records)}, check)
        if phrased is None:
            return answer, tokens
        cited = [c for c in answer.citations if c.record_id in set(phrased.citations)] or answer.citations
        return answer.model_copy(update={"text": phrased.text, "citations": cited, "phrased_by": "llm"}), tokens


def _extractor(schema: type[V]) -> Callable[[str], V]:
    """The reply's first JSON object (text around it tolerated), validated against `schema`."""
    return lambda text: schema.model_validate(_extract_json(text))


def answer_facts(answer: Answer) -> dict[str, Any]:
    """The FIGURES block of the phrasing prompt: only what code computed, never a resident's words.

    A figures answer's text is the code's sentence over its figures, so it goes in as `computed_answer`; an
    open (retrieval) answer's text quotes the records, so it stays out: the quotes reach the model only in
    the RECORDS block, which the prompt marks as untrusted data.
    """
    facts: dict[str, Any] = {"status": answer.status, "kind": "figures" if answer.route == "figures" else "quotes"}
    if answer.route == "figures":
        facts["computed_answer"] = answer.text
    facts["figures"] = [{"what": f.name, "value": f.display} for f in answer.figures]
    facts["coverage"] = answer.coverage.text if answer.coverage else None
    return facts


def _numbers(text: str) -> set[str]:
    """The numbers written in `text`, without a trailing separator ("District 4," -> "4")."""
    return {n.rstrip(".,") for n in _NUMBER.findall(text)}


def validate_query(query: StructuredQuery, ctx: ParseContext) -> str | None:
    """Why a model's query cannot be run, or None."""
    unknown_themes = [t for t in query.themes if t not in ctx.matcher.themes]
    if unknown_themes:
        return f"themes {unknown_themes} are not theme ids from CONTEXT"
    unknown = [d for d in query.districts if d not in ctx.districts]
    if unknown:
        return f"districts {unknown} are not in CONTEXT (put them under unknown_districts)"
    bad_kinds = [k for k in query.kinds if k not in _KINDS]
    if bad_kinds:
        return f"kinds {bad_kinds} are not record kinds (use only {sorted(_KINDS)})"
    if query.period:
        try:
            Period.parse(query.period).months()
        except ValueError as e:
            return f"period {query.period!r}: {e}"
    if query.intent == "out_of_scope" and not query.decline_reason:
        return "out_of_scope needs a decline_reason"
    return None


def phrasing_problem(phrased: PhrasedAnswer, numbers: set[str], ids: set[str]) -> str | None:
    if not phrased.text.strip():
        return "the text is empty"
    stray = [n for n in _NUMBER.findall(phrased.text) if n not in numbers and n.rstrip(".,") not in numbers]
    if stray:
        return f"numbers {stray[:5]} are not in FIGURES; use only numbers as written there"
    bad = [i for i in phrased.citations if i not in ids]
    if bad:
        return f"citations {bad[:5]} are not record ids from RECORDS"
    return None
