"""The chat-model interface every generative step talks to, without importing LangChain.

    reply = chat_model.complete([("system", "You label themes."), ("human", "...")])
    reply.text, reply.usage, reply.finish_reason      # "...", Usage(812, 40), "stop"

A `ChatModel` takes messages as (role, text) pairs (role "system", "human" or "ai", as `PromptFile.
render_messages` gives them) and returns a `ChatReply`: the text, the token usage the endpoint reported (None
when it reported none) and why it stopped ("length": cut off at the token limit). A failing client raises.

Implementations: `synth.llm.chat.LangChainChatModel` (any LangChain chat model; `open_chat_model(settings)`
builds the configured endpoint's) and `synth.llm.fake.FakeChatModel` (tests). `as_chat_model` wraps a bare
LangChain chat model, so callers may pass either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar, runtime_checkable

Role = Literal["system", "human", "ai"]
Message = tuple[Role, str]
M = TypeVar("M")


@dataclass(frozen=True)
class Usage:
    """Tokens of one call as the endpoint reported them."""

    input_tokens: int
    output_tokens: int


@dataclass(frozen=True)
class ChatReply:
    text: str
    usage: Usage | None = None
    finish_reason: str | None = None

    @property
    def truncated(self) -> bool:
        """The model stopped at its token limit: the reply is cut off."""
        return self.finish_reason == "length"


@runtime_checkable
class ChatModel(Protocol):
    """Messages in; text, token usage and finish reason out. `name` is the model's name as the endpoint
    knows it (recorded with everything the model wrote)."""

    @property
    def name(self) -> str: ...

    def complete(self, messages: Sequence[Message]) -> ChatReply: ...


@dataclass(frozen=True)
class Attempt(Generic[M]):
    """One call of a structured-output exchange: the reply, the parsed value (None when the reply did not
    parse), the problems found (empty: accepted), the call's tokens (reported, else counted) and latency."""

    number: int
    reply: ChatReply
    value: M | None
    problems: list[str] = field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    latency_ms: float = 0.0


def as_chat_model(model: Any) -> ChatModel:
    """`model` itself when it is a ChatModel; a LangChain chat model wrapped in `LangChainChatModel`."""
    if isinstance(model, ChatModel):
        return model
    from synth.llm.chat import LangChainChatModel  # LangChain only when one is actually given

    return LangChainChatModel(model)
