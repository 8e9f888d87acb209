"""A scripted `ChatModel` for tests, usable wherever the real one is.

    model = FakeChatModel(name="fake-a").enqueue('{"labels": []}', TimeoutError("read timeout"))
    model.complete([("human", "...")])      # the first reply; the next call raises the TimeoutError
    model.calls[0].messages                 # every call's messages, as (role, text) pairs
    FakeChatModel(respond=lambda messages: "...")     # or answer from the messages

Replies are given in the order enqueued: a string (the reply's text), a `ChatReply` (with usage or a finish
reason) or an exception (raised, as a failing client would). When the queue is empty the last reply is given
again (a model that keeps saying the same thing); a call with nothing ever enqueued and no `respond` is an
error. Replies carry no usage unless enqueued as a `ChatReply`, so tokens are counted with tiktoken.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from synth.llm.model import ChatReply, Message

Scripted = str | ChatReply | BaseException
Respond = Callable[[list[Message]], Scripted]


@dataclass(frozen=True)
class FakeCall:
    """One call: the messages received and what was answered (the reply, or the exception raised)."""

    messages: list[Message]
    answer: ChatReply | BaseException

    @property
    def text(self) -> str:
        """Every message's text, separated by a blank line (as the prompt was rendered)."""
        return "\n\n".join(text for _, text in self.messages)

    def of(self, role: str) -> list[str]:
        """The texts of the messages with `role` ("system", "human", "ai")."""
        return [text for r, text in self.messages if r == role]


class FakeChatModel:
    def __init__(self, *replies: Scripted, name: str = "fake", respond: Respond | None = None) -> None:
        self.name = name
        self.respond = respond
        self.calls: list[FakeCall] = []
        self._queue: deque[Scripted] = deque()
        self._last: Scripted | None = None
        self.enqueue(*replies)

    def enqueue(self, *replies: Scripted) -> FakeChatModel:
        """Add replies to the end of the queue; returns the model, for chaining."""
        self._queue.extend(replies)
        return self

    @property
    def received(self) -> list[list[Message]]:
        """The messages of every call, in order."""
        return [c.messages for c in self.calls]

    def complete(self, messages: Sequence[Message]) -> ChatReply:
        sent = list(messages)
        scripted: Scripted
        if self._queue:
            scripted = self._last = self._queue.popleft()
        elif self.respond is not None:
            try:
                scripted = self.respond(sent)
            except Exception as e:  # a scripted failure, recorded like an enqueued one
                scripted = e
        elif self._last is not None:
            scripted = self._last
        else:
            raise AssertionError("FakeChatModel was called with no reply enqueued and no respond function")
        answer = ChatReply(scripted) if isinstance(scripted, str) else scripted
        self.calls.append(FakeCall(sent, answer))
        if isinstance(answer, BaseException):
            raise answer
        return answer
