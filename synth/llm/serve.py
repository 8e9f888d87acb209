"""llama.cpp's OpenAI-compatible server, run as a subprocess on loopback.

`llama-cpp-python[server]` (the `llm` extra) ships the server as `python -m llama_cpp.server`. How it runs
(the name it serves the model under, address, context window, threads) is one `ServerOptions`, which gives
its command line (`server_command`). `start_server` launches it on a model file, waits until `/v1/models`
lists the model, and returns a `LocalServer`; `running_server` is the same as a context manager (tests,
scripts):

    with running_server(ensure_local_model(model_dir), ServerOptions(port=0)) as server:
        settings = Settings(llm_backend="openai", openai_base_url=server.base_url,
                            openai_api_key="local", llm_model=server.model_alias)

The server process gets its own session (Ctrl-C in a terminal reaches only synth, which then stops the
server) and, on Linux, is killed by the kernel if the process that started it dies.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

import httpx

from synth.errors import ConfigError, LLMError
from synth.llm.model_files import MODEL_ALIAS

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_N_CTX = 4096
STARTUP_TIMEOUT_S = 180.0
# Modules `python -m llama_cpp.server` needs: llama_cpp itself and the [server] extra's web stack.
_SERVER_MODULES = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings")
INSTALL_HINT = 'CMAKE_BUILD_PARALLEL_LEVEL=2 pip install "llama-cpp-python[server]>=0.3.16,<0.4"'


def missing_server_modules() -> list[str]:
    """Modules the server needs that are not installed (empty when it can run). Imports nothing."""
    missing = []
    for name in _SERVER_MODULES:
        try:
            if importlib.util.find_spec(name) is None:
                missing.append(name)
        except (ImportError, ValueError):
            missing.append(name)
    return missing


def free_port(host: str = DEFAULT_HOST) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def default_threads() -> int:
    """Physical-ish core count for generation: all cores the process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class ServerOptions:
    """How the server runs: the name it serves the model under (`alias`, what SYNTH_LLM_MODEL must say), the
    address it listens on, its context window in tokens and its CPU threads.

    `port=0`: `start_server` picks a free port (the `LocalServer` has the real one); `n_threads=None`: every
    core the process may use. Raises ConfigError on an impossible value.
    """

    alias: str = MODEL_ALIAS
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    n_ctx: int = DEFAULT_N_CTX
    n_threads: int | None = None

    def __post_init__(self) -> None:
        if not self.alias.strip():
            raise ConfigError("the server's model alias is empty")
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port {self.port} is not a TCP port (0-65535; 0 picks a free one)")
        if self.n_ctx < 1:
            raise ConfigError(f"n_ctx {self.n_ctx}: the context window must be at least 1 token")
        if self.n_threads is not None and self.n_threads < 1:
            raise ConfigError(f"n_threads {self.n_threads}: use at least 1 (or None for every core)")

    @property
    def threads(self) -> int:
        return self.n_threads or default_threads()


def server_command(model_path: Path, options: ServerOptions | None = None) -> list[str]:
    """The argv that starts llama.cpp's OpenAI-compatible server (llama-cpp-python 0.3.x flags).

    The port is passed as given: `start_server` replaces 0 by a free port first.
    """
    options = options if options is not None else ServerOptions()
    threads = options.threads
    return [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(model_path),
        "--model_alias", options.alias,
        "--host", options.host,
        "--port", str(options.port),
        "--n_ctx", str(options.n_ctx),
        "--n_threads", str(threads),
        "--n_threads_batch", str(threads),
    ]


@dataclass
class LocalServer:
    """A running llama.cpp server: its process, the options it runs with (its real port) and log file."""

    process: subprocess.Popen[bytes]
    options: ServerOptions
    log_path: Path | None = None
    started_in_s: float = 0.0
    _log_handle: IO[bytes] | None = field(default=None, repr=False)

    @property
    def host(self) -> str:
        return self.options.host

    @property
    def port(self) -> int:
        return self.options.port

    @property
    def model_alias(self) -> str:
        return self.options.alias

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL (SYNTH_OPENAI_BASE_URL); a wildcard bind is reached on loopback."""
        host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "[::1]"}.get(self.host, self.host)
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.port}/v1"

    def env(self) -> dict[str, str]:
        """The environment variables that point synth at this server."""
        return {
            "SYNTH_LLM_BACKEND": "openai",
            "SYNTH_OPENAI_BASE_URL": self.base_url,
            "SYNTH_OPENAI_API_KEY": "local",
            "SYNTH_LLM_MODEL": self.model_alias,
        }

    def is_running(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        if self.log_path is None or not self.log_path.is_file():
            return ""
        text = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def exit_report(self) -> str | None:
        """None while the server runs; once it has exited, its exit code (or the signal that killed it) and the
        end of its log, so a dead server is reported as such rather than as a client's connection error."""
        code = self.process.poll()
        if code is None:
            return None
        how = f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"
        tail = self.log_tail()
        where = f"; end of {self.log_path}:\n{tail}" if tail else "; it wrote no log"
        return f"the llama.cpp server on {self.base_url} {how}{where}"

    def stop(self, timeout: float = 15.0) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after `timeout`). Idempotent."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    # PR_SET_PDEATHSIG = 1: the kernel sends SIGTERM to the server when synth (its parent) dies.
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


def _ready(base_url: str, alias: str) -> bool:
    try:
        r = httpx.get(f"{base_url}/models", timeout=2.0)
    except httpx.HTTPError:
        return False
    if r.status_code != 200:
        return False
    try:
        ids = {m.get("id") for m in r.json().get("data", [])}
    except (ValueError, AttributeError):
        return False
    return alias in ids


def start_server(
    model_path: Path,
    options: ServerOptions | None = None,
    *,
    log_path: Path | None = None,
    startup_timeout: float = STARTUP_TIMEOUT_S,
) -> LocalServer:
    """Start the server on `model_path` with `options` (default `ServerOptions()`) and wait until
    `/v1/models` lists its alias.

    `port=0` picks a free port. The server's output goes to `log_path` (discarded when None).
    Raises ConfigError when llama-cpp-python[server] is missing or the port is taken, LLMError when the
    server exits or does not answer within `startup_timeout` seconds (with the end of its log).
    """
    options = options if options is not None else ServerOptions()
    if missing := missing_server_modules():
        raise ConfigError(
            f"the local LLM server needs llama-cpp-python[server] (missing: {', '.join(missing)}); it builds "
            f"from source in about 5 minutes on 2 cores: {INSTALL_HINT}   (or run scripts/setup_llm.sh)"
        )
    model_path = Path(model_path)
    if not model_path.is_file():
        raise ConfigError(f"model file {model_path} does not exist")
    if options.port == 0:
        options = replace(options, port=free_port(options.host))
    elif not _port_free(options.host, options.port):
        raise ConfigError(f"{options.host}:{options.port} is already in use; pick another --port")
    handle: IO[bytes] | None = None
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        handle = log_path.open("wb")
    cmd = server_command(model_path, options)
    started = time.monotonic()
    process = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=handle if handle is not None else subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )
    server = LocalServer(process, options, log_path, _log_handle=handle)
    try:
        deadline = started + startup_timeout
        while not _ready(server.base_url, options.alias):
            if process.poll() is not None:
                raise LLMError(
                    f"the llama.cpp server exited with code {process.returncode} while starting"
                    + (f"; end of {log_path}:\n{server.log_tail()}" if log_path else "; pass a log path to see why")
                )
            if time.monotonic() > deadline:
                raise LLMError(
                    f"the llama.cpp server did not answer on {server.base_url}/models within {startup_timeout:.0f}s"
                    + (f"; end of {log_path}:\n{server.log_tail()}" if log_path else "")
                )
            time.sleep(0.25)
    except BaseException:
        server.stop()
        raise
    server.started_in_s = time.monotonic() - started
    return server


@contextlib.contextmanager
def running_server(
    model_path: Path,
    options: ServerOptions | None = None,
    *,
    log_path: Path | None = None,
    startup_timeout: float = STARTUP_TIMEOUT_S,
) -> Iterator[LocalServer]:
    """`start_server(...)` as a context manager: the server is stopped on exit, whatever happened."""
    server = start_server(model_path, options, log_path=log_path, startup_timeout=startup_timeout)
    try:
        yield server
    finally:
        server.stop()
