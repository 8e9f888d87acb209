"""The one structured-output helper: render a versioned prompt, call the model, parse the reply into a
pydantic model (or with a parse function), check it, and re-ask with the problems a bounded number of times.

    asker = StructuredOutput(chat_model, load_prompt("theme_labels"), ThemeLabels, max_reasks=2, stats=stats,
                             what="theme labels")
    accepted = asker.ask({"themes_json": ...}, check=problems_of)     # the accepted Attempt
    accepted.value                                                    # a ThemeLabels

A reply is parsed strictly (JSON, code fences tolerated, validated against the pydantic model; strict because
a lenient parser would silently close a reply cut off at the token limit), then `check(value)` lists its
problems (none: accepted). A reply that does not parse, or has problems, is answered in the same conversation
with the problems (`prompts/json_retry_v<N>.md`, plus the caller's `reminder`), up to `max_reasks` times; then
StructuredOutputError carries every attempt and the last reply. With `stop_when_cut_off` a reply cut off at
the token limit ends the exchange at once (the same prompt would be cut off again).

Tokens: the endpoint's usage when it reports it, else counted with tiktoken over every message sent and the
reply. Each call is added to `stats` (calls, input_tokens, output_tokens) and logged as one line ("<what> llm
call model=... prompt=... attempt=i/n ... problems=N"). A failing model client raises LLMError; the failed
call's prompt tokens are still added to `stats.input_tokens` (the endpoint may have read it all), not to
`stats.calls`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from langchain_core.utils.json import parse_json_markdown
from pydantic import BaseModel, ValidationError

from synth.errors import ConfigError, LLMError, StructuredOutputError
from synth.llm.model import Attempt, ChatModel, ChatReply, Message, as_chat_model
from synth.prompts import PromptFile, load_prompt
from synth.tokens import count_tokens

log = logging.getLogger(__name__)

RETRY_PROMPT_NAME = "json_retry"
MAX_PROBLEMS_SHOWN = 20  # problems listed in one re-ask
M = TypeVar("M")
Parse = Callable[[str], Any]  # reply text -> value; raises ValueError / ValidationError when it is none


class CallTotals(Protocol):
    """Running totals each call is added to (AnnotationStats, LabelStats, JudgeStats, Tally)."""

    calls: int
    input_tokens: int
    output_tokens: int


@dataclass
class Tally:
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


def format_errors(error: ValidationError) -> str:
    """Pydantic errors as short 'where: what' lines the model can act on."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'reply'}: {e['msg']}" for e in error.errors()[:8])


def json_object(text: str) -> Any:
    """The reply's JSON (a ```json fence tolerated); ValueError when it is not JSON."""
    return parse_json_markdown(text, parser=json.loads)


def json_parser(schema: type[BaseModel]) -> Parse:
    """Strict JSON validated against `schema`."""
    return lambda text: schema.model_validate(json_object(text))


def parse_problem(error: Exception, reply: ChatReply) -> str:
    """Why a reply did not parse, for the re-ask."""
    if isinstance(error, ValidationError):
        detail = format_errors(error)
    elif reply.truncated:
        detail = "the reply was cut off at the token limit"
    else:
        detail = f"not JSON: {str(error).splitlines()[0][:200] if str(error) else type(error).__name__}"
    return f"the reply is not JSON of the required shape: {detail}"


class StructuredOutput(Generic[M]):
    """`prompt | model | parse`, checked, and re-asked with the problems up to `max_reasks` times."""

    def __init__(self, chat_model: ChatModel | Any, prompt: PromptFile, parse: type[M] | Callable[[str], M], *,
                 max_reasks: int = 2, encoding: str = "cl100k_base", token_counter: Callable[[str], int] | None = None,
                 reminder: str = "", stats: CallTotals | None = None, what: str = "llm",
                 logger: logging.Logger = log) -> None:
        if max_reasks < 0:
            raise ConfigError(f"max_reasks must be at least 0, not {max_reasks}")
        self.chat_model = as_chat_model(chat_model)
        self.prompt = prompt
        self.retry_prompt = load_prompt(RETRY_PROMPT_NAME)
        is_model = isinstance(parse, type) and issubclass(parse, BaseModel)
        self.parse: Parse = json_parser(parse) if is_model else parse  # type: ignore[arg-type]
        self.max_reasks = max_reasks
        self.count = token_counter or (lambda text: count_tokens(text, encoding))
        self.reminder = reminder
        self.stats: CallTotals = stats if stats is not None else Tally()
        self.what, self.log = what, logger

    @property
    def model(self) -> str:
        return self.chat_model.name

    def feedback(self, problems: Sequence[str]) -> str:
        """The re-ask: the problems, one per line."""
        listed = "\n".join(f"- {p}" for p in problems[:MAX_PROBLEMS_SHOWN])
        return self.retry_prompt.render(problems=listed, reminder=self.reminder)

    def ask(self, variables: Mapping[str, Any], check: Callable[[M], Sequence[str]] | None = None, *,
            stop_when_cut_off: bool = False, context: str = "", stats: CallTotals | None = None) -> Attempt[M]:
        """The first attempt whose reply parses and has no problems (`check`); StructuredOutputError when none
        does within 1 + max_reasks calls. `context` is appended to each call's log line ("records=12");
        `stats` (optional) takes this exchange's calls instead of the helper's own totals."""
        totals = stats if stats is not None else self.stats
        messages: list[Message] = list(self.prompt.render_messages(**variables))  # strict: missing/extra fail
        attempts: list[Attempt[M]] = []
        calls = self.max_reasks + 1
        for number in range(1, calls + 1):
            attempt = self._call(number, messages, check, totals)
            attempts.append(attempt)
            self.log.info("%s llm call model=%s prompt=%s attempt=%d/%d input_tokens=%d output_tokens=%d "
                          "latency_ms=%.0f problems=%d%s", self.what, self.model, self.prompt.key, number, calls,
                          attempt.input_tokens, attempt.output_tokens, attempt.latency_ms, len(attempt.problems),
                          f" {context}" if context else "")
            if not attempt.problems:
                return attempt
            if stop_when_cut_off and attempt.reply.truncated:
                break
            messages += [("ai", attempt.reply.text), ("human", self.feedback(attempt.problems))]
        last = attempts[-1]
        cut = " (cut off at the token limit)" if last.reply.truncated else ""
        raise StructuredOutputError(
            f"{self.what}: the model's replies failed the checks {len(attempts)} times{cut} (prompt "
            f"{self.prompt.key}; last problems: {'; '.join(last.problems[:3])})", attempts, last.reply)

    def _call(self, number: int, messages: list[Message], check: Callable[[M], Sequence[str]] | None,
              stats: CallTotals) -> Attempt[M]:
        sent = "\n\n".join(text for _, text in messages)
        started = time.monotonic()
        try:
            reply = self.chat_model.complete(messages)
        except Exception as e:  # any failure of the model client: a clear error, never a silent fallback
            stats.input_tokens += self.count(sent)
            raise LLMError(f"the chat model failed: {e}; check the LLM server, or run without a model") from e
        latency_ms = (time.monotonic() - started) * 1000
        usage = reply.usage
        input_tokens = (usage.input_tokens if usage else 0) or self.count(sent)
        output_tokens = (usage.output_tokens if usage else 0) or self.count(reply.text)
        stats.calls += 1
        stats.input_tokens += input_tokens
        stats.output_tokens += output_tokens
        value: M | None = None
        try:
            value = self.parse(reply.text)
        except (ValueError, TypeError, ValidationError) as e:
            problems = [parse_problem(e, reply)]
        else:
            problems = list(check(value)) if check is not None else []
        return Attempt(number, reply, value, problems, input_tokens, output_tokens, latency_ms)
