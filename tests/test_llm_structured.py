"""The generative-model boundary: the structured-output helper (re-asks with the validation error, a bound on
attempts, one typed error carrying the attempts and the last reply, token accounting), the scripted fake, and
the LangChain adapter behind the ChatModel interface. No network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from pydantic import BaseModel, Field

from synth.errors import ConfigError, LLMError, StructuredOutputError
from synth.llm.chat import LangChainChatModel, UsageCounter
from synth.llm.fake import FakeChatModel
from synth.llm.model import ChatModel, ChatReply, Usage, as_chat_model
from synth.llm.structured import StructuredOutput, Tally
from synth.prompts import PromptFile, parse_prompt

PROMPT = parse_prompt("""---
name: demo
version: 3
description: A test prompt.
input_variables: [topic]
---
=== system ===
Answer with JSON: {"label": "...", "score": 0..1}.
=== human ===
Label this topic: {{ topic }}
""", source="test")


class Label(BaseModel):
    label: str = Field(min_length=1)
    score: float = Field(ge=0, le=1)


GOOD = json.dumps({"label": "Street lighting", "score": 0.9})


def words(text: str) -> int:
    return len(text.split())


def asker(model: ChatModel, prompt: PromptFile = PROMPT, **kwargs: object) -> StructuredOutput[Label]:
    return StructuredOutput(model, prompt, Label, token_counter=words, **kwargs)  # type: ignore[arg-type]


# --- the helper ----------------------------------------------------------------------------------------


def test_a_valid_reply_is_parsed_into_the_model_on_the_first_call() -> None:
    model = FakeChatModel(f"```json\n{GOOD}\n```", name="fake-x")
    accepted = asker(model).ask({"topic": "lamps"})
    assert accepted.value == Label(label="Street lighting", score=0.9)
    assert (accepted.number, accepted.problems) == (1, [])
    [call] = model.calls
    assert call.messages == [("system", 'Answer with JSON: {"label": "...", "score": 0..1}.'),
                             ("human", "Label this topic: lamps")]


def test_an_invalid_reply_is_re_asked_with_the_validation_error_in_the_same_conversation() -> None:
    bad = json.dumps({"label": "Street lighting", "score": 3})
    model = FakeChatModel(bad, GOOD)
    accepted = asker(model).ask({"topic": "lamps"})
    assert accepted.number == 2 and accepted.value is not None and accepted.value.score == 0.9
    first, second = model.received
    assert second[:2] == first
    assert second[2] == ("ai", bad)
    role, feedback = second[3]
    assert role == "human" and "rejected by the automatic checks" in feedback
    assert "- the reply is not JSON of the required shape: score: Input should be less than or equal to 1" \
        in feedback


def test_the_checks_problems_are_re_asked_and_the_reminder_follows_them() -> None:
    other = json.dumps({"label": "Noise", "score": 0.5})
    model = FakeChatModel(other, GOOD)

    def check(value: Label) -> list[str]:
        return [] if value.label == "Street lighting" else [f"label {value.label!r} is not a listed theme"]

    accepted = asker(model, reminder="Use only listed themes.").ask({"topic": "lamps"}, check)
    assert accepted.number == 2
    feedback = model.received[1][-1][1]
    assert "- label 'Noise' is not a listed theme" in feedback
    assert feedback.rstrip().endswith("Use only listed themes.")


def test_re_asks_are_bounded_then_one_typed_error_carries_the_attempts_and_the_last_reply() -> None:
    model = FakeChatModel("no JSON here", "still no JSON", "nor here", GOOD)
    with pytest.raises(StructuredOutputError) as raised:
        asker(model, max_reasks=2).ask({"topic": "lamps"})
    error = raised.value
    assert isinstance(error, LLMError)  # what callers catch for a fallback
    assert len(model.calls) == 3  # 1 + max_reasks: the valid fourth reply is never asked for
    assert [a.number for a in error.attempts] == [1, 2, 3]
    assert [a.reply.text for a in error.attempts] == ["no JSON here", "still no JSON", "nor here"]
    assert all(a.value is None and "not JSON" in a.problems[0] for a in error.attempts)
    assert error.last_reply == ChatReply("nor here")
    assert "3 times" in str(error) and "prompt demo_v3" in str(error)


def test_no_re_ask_means_one_call() -> None:
    model = FakeChatModel("nope")
    with pytest.raises(StructuredOutputError) as raised:
        asker(model, max_reasks=0).ask({"topic": "lamps"})
    assert len(model.calls) == 1 and len(raised.value.attempts) == 1
    with pytest.raises(ConfigError):
        asker(model, max_reasks=-1)


def test_a_reply_cut_off_at_the_token_limit_ends_the_exchange_when_asked_to() -> None:
    cut = ChatReply('{"label": "Street li', finish_reason="length")
    model = FakeChatModel(cut, GOOD)
    with pytest.raises(StructuredOutputError) as raised:
        asker(model).ask({"topic": "lamps"}, stop_when_cut_off=True)
    assert len(model.calls) == 1 and raised.value.last_reply.truncated
    assert "cut off at the token limit" in raised.value.attempts[0].problems[0]
    assert asker(FakeChatModel(cut, GOOD)).ask({"topic": "lamps"}).number == 2  # otherwise re-asked


def test_a_parse_function_may_replace_the_model() -> None:
    def parse(text: str) -> Label:
        return Label.model_validate(json.loads(text[text.index("{"):]))

    model = FakeChatModel(f"Here you go: {GOOD}")
    accepted = StructuredOutput(model, PROMPT, parse, token_counter=words).ask({"topic": "lamps"})
    assert accepted.value is not None and accepted.value.label == "Street lighting"


def test_tokens_are_the_reported_usage_else_counted_and_every_call_is_added_up() -> None:
    stats = Tally()
    model = FakeChatModel("nope", ChatReply(GOOD, Usage(input_tokens=700, output_tokens=12)))
    accepted = asker(model, stats=stats).ask({"topic": "lamps"})
    first_sent = "\n\n".join(text for _, text in model.received[0])
    assert accepted.input_tokens == 700 and accepted.output_tokens == 12
    assert stats.calls == 2
    assert stats.input_tokens == words(first_sent) + 700
    assert stats.output_tokens == words("nope") + 12
    per_call = Tally()  # an exchange's own totals instead of the helper's
    asker(FakeChatModel(GOOD), stats=stats).ask({"topic": "lamps"}, stats=per_call)
    assert per_call.calls == 1 and stats.calls == 2


def test_a_failing_client_is_an_llm_error_and_its_prompt_still_counts() -> None:
    stats = Tally()
    model = FakeChatModel(GOOD.replace("0.9", "9"), TimeoutError("read timeout"))
    with pytest.raises(LLMError, match="read timeout") as raised:
        asker(model, stats=stats).ask({"topic": "lamps"})
    assert not isinstance(raised.value, StructuredOutputError)
    assert isinstance(raised.value.__cause__, TimeoutError)
    retry_sent = "\n\n".join(text for _, text in model.received[1])
    assert stats.calls == 1  # the reply received; the failed call adds its prompt only
    assert stats.input_tokens == words("\n\n".join(t for _, t in model.received[0])) + words(retry_sent)


def test_the_prompt_is_rendered_strictly() -> None:
    with pytest.raises(ConfigError, match="missing"):
        asker(FakeChatModel(GOOD)).ask({})


def test_the_retry_prompt_is_one_file() -> None:
    prompts = Path(__file__).resolve().parents[1] / "prompts"
    assert sorted(p.name for p in prompts.glob("*retry*")) == ["json_retry_v2.md"]


# --- the fake ------------------------------------------------------------------------------------------


def test_the_fake_answers_in_order_repeats_the_last_and_keeps_a_history() -> None:
    model = FakeChatModel(name="scripted").enqueue("one", ChatReply("two", finish_reason="length"))
    assert isinstance(model, ChatModel) and as_chat_model(model) is model and model.name == "scripted"
    assert model.complete([("human", "a")]) == ChatReply("one")
    assert model.complete([("human", "b")]).truncated
    assert model.complete([("system", "s"), ("human", "c")]).text == "two"  # the last reply again
    assert [c.messages for c in model.calls] == [[("human", "a")], [("human", "b")], [("system", "s"), ("human", "c")]]
    assert model.calls[2].of("system") == ["s"] and model.calls[2].text == "s\n\nc"


def test_the_fake_raises_enqueued_errors_and_answers_from_a_function() -> None:
    model = FakeChatModel("ok", ConnectionError("refused"))
    model.complete([("human", "a")])
    with pytest.raises(ConnectionError):
        model.complete([("human", "b")])
    assert isinstance(model.calls[1].answer, ConnectionError)
    echo = FakeChatModel(respond=lambda messages: messages[-1][1].upper())
    assert echo.complete([("human", "hi")]).text == "HI"
    with pytest.raises(AssertionError, match="no reply enqueued"):
        FakeChatModel().complete([("human", "a")])


# --- the LangChain adapter -----------------------------------------------------------------------------


def test_the_langchain_adapter_returns_text_usage_and_finish_reason_and_keeps_the_accounting() -> None:
    usage = {"input_tokens": 40, "output_tokens": 7, "total_tokens": 47}
    replies = iter([AIMessage(GOOD, usage_metadata=usage, response_metadata={"finish_reason": "stop"})])
    counter = UsageCounter(log_calls=False)
    base = GenericFakeChatModel(messages=replies, callbacks=[counter])
    model = as_chat_model(base)
    assert isinstance(model, LangChainChatModel) and model.name == "GenericFakeChatModel"
    reply = model.complete([("system", "Be brief {{ not a template }}"), ("human", "Label: lamps")])
    assert reply == ChatReply(GOOD, Usage(40, 7), "stop")
    [call] = counter.calls
    assert (call.prompt_tokens, call.completion_tokens, call.failed) == (40, 7, False)


def test_a_failed_call_through_the_adapter_counts_its_prompt() -> None:
    class Down(GenericFakeChatModel):
        def _generate(self, *args: object, **kwargs: object):  # type: ignore[no-untyped-def,override]
            raise TimeoutError("read timeout")

    counter = UsageCounter(log_calls=False)
    model = LangChainChatModel(Down(messages=iter([]), callbacks=[counter]))
    stats = Tally()
    with pytest.raises(LLMError, match="read timeout"):
        asker(model, stats=stats).ask({"topic": "lamps"})
    [call] = counter.calls
    assert call.failed and call.prompt_tokens > 0
    assert stats.input_tokens == words(PROMPT.render(topic="lamps")) and stats.calls == 0


# --- who owns the model --------------------------------------------------------------------------------


def test_services_own_the_chat_model_and_hand_it_to_every_step(tmp_path: Path) -> None:
    from synth.redact import RegexRedactor
    from synth.services import Services
    from synth.settings import Settings
    from vectorstore.embeddings import HashingEmbedder

    offline = Services(Settings(data_dir=tmp_path / "data", embedder="hashing", redactor="regex", _env_file=None),
                       _embedder=HashingEmbedder(), _redactor=RegexRedactor())
    assert offline.chat_model is None and offline.synthesizer.chat_model is None
    offline.close()
    fake = FakeChatModel(name="fake-svc")
    svc = Services(Settings(data_dir=tmp_path / "data", embedder="hashing", redactor="regex", annotator="llm",
                            llm_backend="openai", tiktoken_encoding="o200k_base", _env_file=None),
                   _embedder=HashingEmbedder(), _redactor=RegexRedactor(), _chat_model=fake)
    assert svc.chat_model is fake and svc.synthesizer.chat_model is fake
    assert svc.synthesizer.llm_annotator is not None and svc.synthesizer.llm_annotator.chat_model is fake
    assert svc.synthesizer.llm_annotator.key == "llm:annotate_v1:fake-svc"
    # narratives are budgeted and counted in the configured encoding, like the annotator and the labels
    assert svc.synthesizer.token_encoding == "o200k_base"
    svc.close()
    incomplete = Services(Settings(data_dir=tmp_path / "data", llm_backend="openai", _env_file=None))
    with pytest.raises(ConfigError, match="SYNTH_OPENAI_BASE_URL"):  # configured but incomplete: a clear error
        _ = incomplete.chat_model
