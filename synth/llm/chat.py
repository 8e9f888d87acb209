"""The chat model for every generative step: one factory, any OpenAI-compatible endpoint, behind the
`ChatModel` interface of `synth.llm.model`.

`open_chat_model(settings)` is what the services use: the configured endpoint as a `ChatModel`
(`LangChainChatModel` over `build_chat_model`'s client); `complete(messages)` runs `prompt | model | parse`.

`build_chat_model(settings)` returns LangChain's `ChatOpenAI` pointed at `SYNTH_OPENAI_BASE_URL` (OpenAI,
Azure's OpenAI-compatible endpoint, vLLM, Ollama, or the local llama.cpp server of `synth llm serve`), with
temperature 0, a timeout and bounded retries. Token counting (`get_num_tokens`) works offline and for
non-OpenAI model names: the tiktoken files come from `synth.tokens` and `tiktoken_model_name` names an OpenAI
model of the configured encoding (`SYNTH_TIKTOKEN_ENCODING`).

Every call through the model logs one line on this module's logger (model, tokens, latency). Pass a
`UsageCounter` to collect the counts:

    usage = UsageCounter()
    llm = build_chat_model(settings, usage=usage)
    chain = prompt | llm | JsonOutputParser()
    chain.invoke({...})
    usage.prompt_tokens, usage.completion_tokens, usage.calls[-1].latency_s

A call that raises (HTTP error, timeout, a reply the client cannot parse) is recorded too, with
`failed=True`: its prompt tokens count (the endpoint's usage when the error carries it, else estimated with
tiktoken from the messages sent), so totals are not understated. The client's own retries inside one call
are not seen: a failed call counts one prompt.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_core.runnables import RunnableLambda
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from synth.errors import ConfigError
from synth.llm.chains import model_name
from synth.llm.model import ChatReply, Message, Usage
from synth.tokens import SUPPORTED_ENCODINGS, count_tokens, ensure_tiktoken_cache

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from synth.prompts import PromptFile
    from synth.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 120.0
DEFAULT_MAX_RETRIES = 2

# An OpenAI model name per offline encoding: ChatOpenAI counts tokens with the encoding of
# `tiktoken_model_name`, and only knows the message overhead of OpenAI chat model families.
# o200k_harmony shares o200k_base's ranks, so ordinary text counts the same.
_TIKTOKEN_MODEL_FOR_ENCODING: dict[str, str] = {
    "cl100k_base": "gpt-4",
    "o200k_base": "gpt-4o",
    "o200k_harmony": "gpt-4o",
}
# Per-message overhead of OpenAI's chat format (<|im_start|>role ... <|im_end|>), used for estimates only.
_TOKENS_PER_MESSAGE = 3
_TOKENS_PER_REPLY = 3


def _configure_hint() -> str:
    return (
        "set SYNTH_LLM_BACKEND=openai, SYNTH_OPENAI_BASE_URL (e.g. http://127.0.0.1:8080/v1), "
        "SYNTH_OPENAI_API_KEY and SYNTH_LLM_MODEL; for a local model run `synth llm serve`, which prints them"
    )


def build_chat_model(
    settings: Settings,
    *,
    usage: UsageCounter | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    max_retries: int = DEFAULT_MAX_RETRIES,
    max_tokens: int | None = None,
) -> BaseChatModel:
    """A `ChatOpenAI` for the endpoint in `settings`, temperature 0 (`CompatibleChatOpenAI`, a subclass that
    also sends `max_tokens`, unless the endpoint is OpenAI's or Azure's).

    `usage` (optional) collects token counts of every call; without it a counter that only logs is attached.
    Raises ConfigError when no generative backend is configured or the configuration is incomplete.
    """
    if settings.llm_backend == "offline":
        raise ConfigError(f"no generative model is configured (SYNTH_LLM_BACKEND=offline): {_configure_hint()}")
    if settings.llm_backend != "openai":  # pragma: no cover - Settings only allows the two values
        raise ConfigError(f"unknown SYNTH_LLM_BACKEND {settings.llm_backend!r}: use 'openai' or 'offline'")
    base_url = (settings.openai_base_url or "").strip()
    if not base_url:
        raise ConfigError(
            "SYNTH_LLM_BACKEND=openai needs SYNTH_OPENAI_BASE_URL, the endpoint's OpenAI-compatible base URL "
            "(https://api.openai.com/v1 for OpenAI, http://127.0.0.1:8080/v1 for `synth llm serve`)"
        )
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"SYNTH_OPENAI_BASE_URL must start with http:// or https://, got {base_url!r}")
    api_key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
    if not api_key:
        raise ConfigError(
            "SYNTH_LLM_BACKEND=openai needs SYNTH_OPENAI_API_KEY (any non-empty value, e.g. 'local', for a "
            "local server that does not check keys)"
        )
    if not settings.llm_model.strip():
        raise ConfigError("SYNTH_LLM_MODEL is empty: set the model name the endpoint serves")
    tiktoken_model = _TIKTOKEN_MODEL_FOR_ENCODING.get(settings.tiktoken_encoding)
    if tiktoken_model is None:
        raise ConfigError(
            f"tiktoken encoding '{settings.tiktoken_encoding}' is not available offline; "
            f"use one of {', '.join(SUPPORTED_ENCODINGS)} (SYNTH_TIKTOKEN_ENCODING)"
        )
    ensure_tiktoken_cache()  # before ChatOpenAI's token counting first loads tiktoken

    counter = usage if usage is not None else UsageCounter(encoding=settings.tiktoken_encoding)
    cls = ChatOpenAI if _is_openai_hosted(base_url) else CompatibleChatOpenAI
    return cls(
        model=settings.llm_model,
        base_url=base_url,
        api_key=SecretStr(api_key),
        temperature=0,
        timeout=timeout,
        max_retries=max_retries,
        max_completion_tokens=max_tokens,  # ChatOpenAI's alias of max_tokens
        tiktoken_model_name=tiktoken_model,
        callbacks=[counter],
    )


def chat_prompt(prompt: PromptFile) -> ChatPromptTemplate:
    """A LangChain chat prompt with the prompt file's messages and input variables (jinja2 format).

    LangChain raises KeyError on a missing variable but ignores extra ones: call `render_messages` with the
    same values first when strictness matters.
    """
    return ChatPromptTemplate.from_messages(list(prompt.messages), template_format="jinja2")


def open_chat_model(settings: Settings, **options: Any) -> LangChainChatModel:
    """The configured endpoint as a `ChatModel` (`options` as for `build_chat_model`)."""
    return LangChainChatModel(build_chat_model(settings, **options))


class LangChainChatModel:
    """A `ChatModel` over any LangChain chat model: `prompt | model | parse`, where the prompt passes the
    rendered messages through unchanged and the parser keeps the text, usage and finish reason."""

    def __init__(self, model: BaseChatModel) -> None:
        self.model = model
        self.name = model_name(model)
        prompt = ChatPromptTemplate.from_messages([MessagesPlaceholder("messages")])
        self.chain = prompt | model | RunnableLambda(_reply)

    def complete(self, messages: Sequence[Message]) -> ChatReply:
        return self.chain.invoke({"messages": [_ROLES[role](content=text) for role, text in messages]})


_ROLES: dict[str, type[BaseMessage]] = {"system": SystemMessage, "human": HumanMessage, "ai": AIMessage}


def _reply(message: BaseMessage) -> ChatReply:
    meta = getattr(message, "usage_metadata", None)
    usage = Usage(int(meta.get("input_tokens") or 0), int(meta.get("output_tokens") or 0)) if meta else None
    finish = (message.response_metadata or {}).get("finish_reason")
    return ChatReply(message.text, usage, str(finish) if finish else None)


def _is_openai_hosted(base_url: str) -> bool:
    host = (urlsplit(base_url).hostname or "").lower()
    return host == "openai.com" or host.endswith((".openai.com", ".openai.azure.com"))


class CompatibleChatOpenAI(ChatOpenAI):
    """ChatOpenAI that also sends the token limit as `max_tokens`, for OpenAI-compatible servers.

    ChatOpenAI sends the limit only as `max_completion_tokens` (OpenAI's current name). llama.cpp's server
    (like other compatible servers) reads only `max_tokens`, silently ignores the new name and generates
    until the context is full. OpenAI's own endpoints reject `max_tokens` for some models, so they get the
    plain class (`build_chat_model` chooses).
    """

    @classmethod
    def lc_id(cls) -> list[str]:
        return ChatOpenAI.lc_id()  # serialised (and loaded back) as a plain ChatOpenAI

    def _get_request_payload(self, input_: Any, *, stop: list[str] | None = None, **kwargs: Any) -> dict:
        payload = super()._get_request_payload(input_, stop=stop, **kwargs)
        if payload.get("max_completion_tokens") is not None and "max_tokens" not in payload:
            payload["max_tokens"] = payload["max_completion_tokens"]
        return payload


@dataclass(frozen=True)
class CallUsage:
    """Tokens and latency of one model call. `estimated` when the endpoint reported no usage (tiktoken);
    `failed` when the call raised (its prompt counted, with whatever reply came before the failure)."""

    model: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    estimated: bool = False
    failed: bool = False

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class UsageCounter(BaseCallbackHandler):
    """LangChain callback handler: records tokens and latency per chat model call and logs one line each.

    Counts come from the response's usage metadata (`AIMessage.usage_metadata`, else the provider's
    `token_usage`); when the endpoint reports none they are estimated with tiktoken (`estimated=True`).
    A call that raises is recorded as `failed`, with its prompt tokens (and the tokens of any partial reply).
    Thread-safe: one counter may serve a batch running on several threads.
    """

    raise_error = False  # a counting problem must never fail the call itself

    def __init__(self, encoding: str = "cl100k_base", *, log_calls: bool = True) -> None:
        super().__init__()
        self.encoding = encoding
        self.log_calls = log_calls
        self.calls: list[CallUsage] = []
        self._lock = threading.Lock()
        self._started: dict[UUID, tuple[float, str, list[BaseMessage]]] = {}

    # -- totals ---------------------------------------------------------------------------------------
    @property
    def prompt_tokens(self) -> int:
        with self._lock:
            return sum(c.prompt_tokens for c in self.calls)

    @property
    def completion_tokens(self) -> int:
        with self._lock:
            return sum(c.completion_tokens for c in self.calls)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def failed_calls(self) -> int:
        with self._lock:
            return sum(c.failed for c in self.calls)

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()

    # -- callbacks ------------------------------------------------------------------------------------
    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        params = kwargs.get("invocation_params") or {}
        model = str(params.get("model") or params.get("model_name") or (metadata or {}).get("ls_model_name") or "?")
        flat = [m for batch in messages for m in batch]
        with self._lock:
            self._started[run_id] = (time.perf_counter(), model, flat)

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        started, model, messages = self._pop(run_id)
        self._record(started, model, messages, response, failed=False)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, response: LLMResult | None = None,
                     **kwargs: Any) -> None:
        """The call raised: it still cost its prompt (the server may have read it all before a timeout, and
        has when the reply failed to parse), so it is recorded as failed with its prompt tokens: the usage
        the error carries (openai's LengthFinishReasonError holds the completion), else a tiktoken estimate
        over the messages sent, plus any partial reply `response` holds (a stream cut short)."""
        started, model, messages = self._pop(run_id)
        reported = _usage_of_error(error)
        if reported is not None:
            response = LLMResult(generations=[], llm_output={"token_usage": reported})
        self._record(started, model, messages, response or LLMResult(generations=[]), failed=True, error=error)

    # -- internals ------------------------------------------------------------------------------------
    def _pop(self, run_id: UUID) -> tuple[float, str, list[BaseMessage]]:
        with self._lock:
            return self._started.pop(run_id, (time.perf_counter(), "?", []))

    def _record(self, started: float, model: str, messages: list[BaseMessage], response: LLMResult, *,
                failed: bool, error: BaseException | None = None) -> None:
        latency = time.perf_counter() - started
        llm_output = response.llm_output or {}
        prompt, completion, seen = 0, 0, False
        replies: list[AIMessage] = []
        for gens in response.generations:
            for gen in gens:
                if not isinstance(gen, ChatGeneration) or not isinstance(gen.message, AIMessage):
                    continue
                replies.append(gen.message)
                meta = gen.message.usage_metadata
                if meta:
                    prompt += int(meta.get("input_tokens") or 0)
                    completion += int(meta.get("output_tokens") or 0)
                    seen = True
                if gen.generation_info and gen.generation_info.get("model_name"):
                    model = str(gen.generation_info["model_name"])
        if not seen and isinstance(llm_output.get("token_usage"), dict):
            usage = llm_output["token_usage"]
            prompt = int(usage.get("prompt_tokens") or 0)
            completion = int(usage.get("completion_tokens") or 0)
            seen = bool(prompt or completion)
        model = str(llm_output.get("model_name") or model)
        estimated = not seen
        if estimated:
            prompt, completion = self._estimate(messages, replies)
        call = CallUsage(model, prompt, completion, round(latency, 4), estimated, failed)
        with self._lock:
            self.calls.append(call)
        if not self.log_calls:
            return
        tokens = (f"prompt_tokens={call.prompt_tokens} completion_tokens={call.completion_tokens}"
                  + (" (estimated)" if estimated else ""))
        if failed:
            log.warning("llm call model=%s failed after %.2fs: %s: %s; %s", call.model, call.latency_s,
                        type(error).__name__, error, tokens)
        else:
            log.info("llm call model=%s %s latency=%.2fs", call.model, tokens, call.latency_s)

    # -- estimates ------------------------------------------------------------------------------------
    def _count(self, text: str) -> int:
        return count_tokens(text, self.encoding) if text else 0

    def _estimate(self, messages: list[BaseMessage], replies: list[AIMessage]) -> tuple[int, int]:
        prompt = _TOKENS_PER_REPLY + sum(_TOKENS_PER_MESSAGE + self._count(_text(m)) for m in messages)
        completion = 0
        for reply in replies:
            completion += self._count(_text(reply))
            for call in reply.tool_calls:
                completion += self._count(call["name"]) + self._count(str(call["args"]))
        return prompt, completion


def _usage_of_error(error: BaseException) -> dict[str, int] | None:
    """The endpoint's token usage an error carries (openai's LengthFinishReasonError and
    ContentFilterFinishReasonError keep the completion), as `token_usage`; None when it carries none."""
    usage = getattr(getattr(error, "completion", None), "usage", None)
    prompt = getattr(usage, "prompt_tokens", None)
    completion = getattr(usage, "completion_tokens", None)
    if not isinstance(prompt, int) or not isinstance(completion, int) or not (prompt or completion):
        return None
    return {"prompt_tokens": prompt, "completion_tokens": completion}


def _text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    parts = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and isinstance(block.get("text"), str):
            parts.append(block["text"])
    return "".join(parts)
