"""Token accounting of failed model calls: a call that raises (HTTP error, timeout, a reply the client cannot
parse) has still cost its prompt, so `UsageCounter` records it (`failed=True`) and counts its prompt tokens;
`AskLLM` counts them in the tokens its error reports.

The HTTP cases run the real `build_chat_model` client against a small OpenAI-compatible server on loopback
that fails on purpose; the others use fakes at LangChain's chat model interface.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import openai
import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.prompts import ChatPromptTemplate
from openai.types.chat import ChatCompletion

from synth.ask.llm import AskLLM, AskLLMError
from synth.ask.models import Answer, Citation, Coverage, Figure
from synth.errors import LLMError
from synth.llm.chat import LangChainChatModel, UsageCounter, build_chat_model
from synth.settings import Settings
from synth.tokens import count_tokens
from tests.loopback import serving
from tests.test_ask_guards import DownAfterFirst

PROMPT = ChatPromptTemplate.from_messages([("system", "Summarise resident comments in one sentence."),
                                           ("human", "{q}")])
QUESTION = {"q": "Streetlight out on 5th Ave for two weeks; cars speed on Main St every morning."}


class Raising(BaseChatModel):
    """A chat model whose every call raises `error` (as the client does on an HTTP error or a timeout)."""

    error: Any

    @property
    def _llm_type(self) -> str:
        return "raising"

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        raise self.error


class CutShort(Raising):
    """Streams two chunks of its reply, then raises `error` (a connection dropped mid-reply)."""

    def _stream(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        yield ChatGenerationChunk(message=AIMessageChunk(content="Streetlights are out on"))
        yield ChatGenerationChunk(message=AIMessageChunk(content=" 5th Ave and"))
        raise self.error


def _estimate_of_a_successful_call() -> int:
    """The prompt tokens UsageCounter estimates for PROMPT/QUESTION when the call succeeds."""
    usage = UsageCounter(log_calls=False)
    (PROMPT | GenericFakeChatModel(messages=iter([AIMessage("ok")]))).invoke(QUESTION, config={"callbacks": [usage]})
    [call] = usage.calls
    assert call.estimated and not call.failed
    return call.prompt_tokens


@pytest.mark.parametrize("error", [TimeoutError("read timeout"), ConnectionError("connection refused")])
def test_a_failed_call_counts_its_prompt_tokens(error: Exception, caplog: pytest.LogCaptureFixture) -> None:
    usage = UsageCounter()
    with caplog.at_level(logging.INFO, logger="synth.llm.chat"), pytest.raises(type(error)):
        (PROMPT | Raising(error=error)).invoke(QUESTION, config={"callbacks": [usage]})
    [call] = usage.calls
    assert call.failed and call.estimated
    assert call.prompt_tokens == _estimate_of_a_successful_call() > 15
    assert call.completion_tokens == 0
    assert usage.prompt_tokens == call.prompt_tokens and usage.total_tokens == call.prompt_tokens
    assert usage.failed_calls == 1
    [line] = [r.getMessage() for r in caplog.records if r.name == "synth.llm.chat"]
    assert "failed after" in line and f"prompt_tokens={call.prompt_tokens} completion_tokens=0 (estimated)" in line


def test_failed_and_successful_calls_add_up() -> None:
    usage = UsageCounter(log_calls=False)
    ok = GenericFakeChatModel(messages=iter([AIMessage("Lights out, speeding.")]))
    (PROMPT | ok).invoke(QUESTION, config={"callbacks": [usage]})
    with pytest.raises(TimeoutError):
        (PROMPT | Raising(error=TimeoutError("read timeout"))).invoke(QUESTION, config={"callbacks": [usage]})
    good, bad = usage.calls
    assert (good.failed, bad.failed) == (False, True)
    assert bad.prompt_tokens == good.prompt_tokens
    assert usage.prompt_tokens == 2 * good.prompt_tokens
    assert usage.completion_tokens == good.completion_tokens > 0
    assert usage.failed_calls == 1
    usage.reset()
    assert usage.failed_calls == 0 and usage.total_tokens == 0


def test_a_stream_cut_short_counts_its_prompt_and_the_partial_reply() -> None:
    usage = UsageCounter(log_calls=False)
    with pytest.raises(ConnectionError):
        for _ in (PROMPT | CutShort(error=ConnectionError("connection reset"))).stream(
                QUESTION, config={"callbacks": [usage]}):
            pass
    [call] = usage.calls
    assert call.failed and call.estimated
    assert call.prompt_tokens == _estimate_of_a_successful_call()
    assert call.completion_tokens == count_tokens("Streetlights are out on 5th Ave and")


def test_a_reply_the_client_cannot_parse_counts_the_usage_the_endpoint_reported() -> None:
    # structured output (json_schema): the client raises when the reply was cut at the token limit; the
    # error carries the completion, with the endpoint's usage
    completion = ChatCompletion.model_validate({
        "id": "c1", "object": "chat.completion", "created": 0, "model": "qwen",
        "choices": [{"index": 0, "finish_reason": "length",
                     "message": {"role": "assistant", "content": '{"summary": "Lights out'}}],
        "usage": {"prompt_tokens": 61, "completion_tokens": 20, "total_tokens": 81},
    })
    usage = UsageCounter(log_calls=False)
    with pytest.raises(openai.LengthFinishReasonError):
        (PROMPT | Raising(error=openai.LengthFinishReasonError(completion=completion))).invoke(
            QUESTION, config={"callbacks": [usage]})
    [call] = usage.calls
    assert (call.prompt_tokens, call.completion_tokens, call.estimated, call.failed) == (61, 20, False, True)


# --------------------------------------------------------------------------------------------------------
# the real client against an endpoint that fails
# --------------------------------------------------------------------------------------------------------


class _Failing(BaseHTTPRequestHandler):
    server: _FailingServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.server.hits += 1
        if self.server.mode == "slow":
            time.sleep(1.5)
        payload = json.dumps({"error": {"message": "model crashed", "type": "server_error"}}).encode()
        try:
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:  # the client gave up (timeout)
            pass


class _FailingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Failing)
        self.mode = "error"
        self.hits = 0


@pytest.fixture
def failing_endpoint() -> Iterator[_FailingServer]:
    with serving(_FailingServer()) as server:
        yield server


@pytest.mark.parametrize(("mode", "error"), [("error", openai.InternalServerError), ("slow", openai.APITimeoutError)])
def test_the_real_client_counts_a_call_the_endpoint_failed(
    failing_endpoint: _FailingServer, mode: str, error: type[Exception]
) -> None:
    failing_endpoint.mode = mode
    settings = Settings(_env_file=None, llm_backend="openai",
                        openai_base_url=f"http://127.0.0.1:{failing_endpoint.server_address[1]}/v1",
                        openai_api_key="local", llm_model="qwen2.5-coder-1.5b-instruct")
    usage = UsageCounter(settings.tiktoken_encoding, log_calls=False)
    llm = build_chat_model(settings, usage=usage, timeout=0.5, max_retries=0)
    with pytest.raises(error):
        (PROMPT | llm).invoke(QUESTION)
    assert failing_endpoint.hits == 1
    [call] = usage.calls
    assert call.failed and call.estimated and call.model == "qwen2.5-coder-1.5b-instruct"
    assert call.prompt_tokens == _estimate_of_a_successful_call()


# --------------------------------------------------------------------------------------------------------
# ask: the error reports the tokens spent, the failed call's prompt included
# --------------------------------------------------------------------------------------------------------


def _open_answer() -> Answer:
    cover = Coverage(records=3, meeting_notes=0, meetings=0, other_records=3, districts=["District 4"],
                     period="2026-11", text="based on 3 records (3 comments) in District 4, Nov 2026")
    return Answer(question="What do residents say about the lights?", text="What residents said: ...",
                  status="answered", route="retrieval", coverage=cover,
                  citations=[Citation(record_id="r1", snippet="The lamps on Birch are out.")],
                  figures=[Figure(name="records raising Street lighting", value=3, display="3", measure="records")])


def test_ask_reports_the_tokens_of_a_failed_phrasing() -> None:
    llm = AskLLM(LangChainChatModel(Raising(error=TimeoutError("read timeout"))))
    with pytest.raises(AskLLMError) as raised:
        llm.phrase(_open_answer())
    assert isinstance(raised.value, LLMError)  # what the caller catches
    prompt_tokens = raised.value.tokens
    assert prompt_tokens > 100  # the rendered prompt: instructions, figures, records

    # the first attempt's reply is rejected (a number from nowhere), the retry fails: both are counted
    stray = json.dumps({"text": "97% of residents are satisfied.", "citations": ["r1"]})
    llm = AskLLM(DownAfterFirst(stray))
    with pytest.raises(AskLLMError) as raised:
        llm.phrase(_open_answer())
    first = prompt_tokens + count_tokens(stray)
    assert raised.value.tokens > first + prompt_tokens  # the retry's prompt also carries the history
