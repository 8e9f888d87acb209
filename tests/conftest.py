"""Shared fixtures. The outside servers are real and started once per session: Chroma (`chroma run` on a free
loopback port) and, for `@pytest.mark.llm` tests, llama.cpp's OpenAI-compatible server with the local model.

A local model server that dies during the session is reported as such (its exit code or signal and the end of its
log) on the test that was running, and every later test that needs it fails at once with the same report instead
of a client's "Connection error"."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from synth.errors import ConfigError
from synth.llm import model_files, serve
from synth.settings import Settings, default_model_dir


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a real Chroma server on loopback (or SYNTH_TEST_CHROMA_URL if one is already running)."""
    if url := os.environ.get("SYNTH_TEST_CHROMA_URL"):
        yield url
        return
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    assert chroma, "the chromadb package ships the `chroma` command; is the venv installed?"
    port = _free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = (path / "server.log").open("w")
    proc = subprocess.Popen([chroma, "run", "--path", str(path / "data"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"chroma server did not start; see {path / 'server.log'}")
        time.sleep(0.2)
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """Admin URL of a real PostgreSQL server on loopback, started once per session (or SYNTH_TEST_POSTGRES_URL).
    Skipped only when the server binaries are not installed (they are on the CI machine)."""
    from . import postgres

    if url := os.environ.get("SYNTH_TEST_POSTGRES_URL"):
        yield url
        return
    if postgres.server_bin() is None:
        missing = "PostgreSQL server binaries (initdb, pg_ctl) are not installed: apt-get install postgresql"
        if os.environ.get("SYNTH_TEST_REQUIRE_POSTGRES"):  # CI: a missing server is a failure, not a skip
            pytest.fail(missing)
        pytest.skip(missing)
    with postgres.running_server() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """URL of a new, empty database on the session's PostgreSQL server (dropped after the test)."""
    from . import postgres

    with postgres.fresh_database(postgres_server) as url:
        yield url


# --------------------------------------------------------------------------------------------------------
# The local generative model server (one per session)
# --------------------------------------------------------------------------------------------------------

_LLM_SERVERS: list[serve.LocalServer] = []


def local_model_dir() -> Path:
    if env := os.environ.get("SYNTH_TEST_MODEL_DIR"):
        return Path(env).expanduser()
    return default_model_dir()


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base_url, model name) of the real local server, started once for the session, or skip."""
    if url := os.environ.get("SYNTH_TEST_LLM_URL"):
        yield url, os.environ.get("SYNTH_TEST_LLM_MODEL", model_files.MODEL_ALIAS)
        return
    if missing := serve.missing_server_modules():
        pytest.skip(f"llama-cpp-python[server] is not installed (missing {', '.join(missing)}); "
                    "run scripts/setup_llm.sh or pip install -e '.[llm]'")
    if not model_files.is_verified(local_model_dir() / model_files.MODEL_FILENAME):  # assembled: parts not needed
        try:
            model_files._locate_parts()
        except ConfigError as e:
            pytest.skip(f"the model parts are not installed: run scripts/setup_llm.sh ({str(e)[:120]}...)")
    model = model_files.ensure_local_model(local_model_dir())  # parts present: a failure here is a real failure
    log_path = tmp_path_factory.mktemp("llm-server") / "server.log"
    # One thread by default: llama.cpp's threads wait for each other at every step, so on a machine whose
    # cores are busy with other work 2 threads can be 5x slower than 1. SYNTH_TEST_LLM_THREADS overrides.
    threads = int(os.environ.get("SYNTH_TEST_LLM_THREADS", "1"))
    with serve.running_server(model, serve.ServerOptions(port=0, n_threads=threads), log_path=log_path) as server:
        _LLM_SERVERS.append(server)
        try:
            yield server.base_url, server.model_alias
        finally:
            _LLM_SERVERS.remove(server)


@pytest.fixture
def llm_settings(llm_server: tuple[str, str]) -> Settings:
    url, model = llm_server
    return Settings(_env_file=None, llm_backend="openai", openai_base_url=url,  # type: ignore[call-arg]
                    openai_api_key="local", llm_model=model)


def _dead_llm_server() -> str | None:
    return next((report for server in _LLM_SERVERS if (report := server.exit_report())), None)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if "llm_server" in getattr(item, "fixturenames", ()) and (report := _dead_llm_server()):
        pytest.fail(report, pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.failed and call.when == "call" and (dead := _dead_llm_server()):
        report.longrepr = f"{dead}\n\n(the test then saw:)\n{report.longrepr}"


# --------------------------------------------------------------------------------------------------------
# Stores
# --------------------------------------------------------------------------------------------------------


@pytest.fixture(params=["embedded", "server"])
def store_backend(request: pytest.FixtureRequest) -> str:
    """Run a test against both the embedded store and the Chroma server."""
    if request.param == "server":
        request.getfixturevalue("chroma_server")
    return str(request.param)


@pytest.fixture
def settings(tmp_path: Path, store_backend: str, request: pytest.FixtureRequest) -> Settings:
    chroma_url = request.getfixturevalue("chroma_server") if store_backend == "server" else None
    # Each test gets its own collection so tests sharing the server do not see each other's data.
    collection = "t_" + request.node.name.replace("[", "_").replace("]", "")[:50] + "_" + tmp_path.name[-6:]
    # SYNTH_TEST_DATABASE=postgresql runs every test built on this fixture on its own PostgreSQL database.
    database_url = (request.getfixturevalue("postgres_url") if os.environ.get("SYNTH_TEST_DATABASE") == "postgresql"
                    and "sqlite_only" not in request.keywords else None)
    return Settings(data_dir=tmp_path / "data", chroma_url=chroma_url, collection=collection,
                    database_url=database_url, embedder="hashing", redactor="regex", ingest_batch_size=64,
                    _env_file=None)


@pytest.fixture
def services(settings: Settings) -> Iterator[Any]:
    """Fast services: feature-hashing embedder, regex redactor, real SQLite and real Chroma."""
    from synth.redact import RegexRedactor
    from synth.services import Services
    from vectorstore.embeddings import HashingEmbedder

    svc = Services(settings, _embedder=HashingEmbedder(), _redactor=RegexRedactor())
    yield svc
    svc.close()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Path:
    """The `synth` command's environment for a test: a data directory under tmp_path (returned), the fast
    hashing embedder and regex redactor, and tmp_path as the working directory (with
    SYNTH_TEST_DATABASE=postgresql, a PostgreSQL database of its own as the store)."""
    data = tmp_path / "data"
    for k, v in {"SYNTH_DATA_DIR": str(data), "SYNTH_EMBEDDER": "hashing", "SYNTH_REDACTOR": "regex"}.items():
        monkeypatch.setenv(k, v)
    if os.environ.get("SYNTH_TEST_DATABASE") == "postgresql" and "sqlite_only" not in request.keywords:
        monkeypatch.setenv("SYNTH_DATABASE_URL", str(request.getfixturevalue("postgres_url")))
    monkeypatch.chdir(tmp_path)
    return data


@pytest.fixture
def write(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write a file under tmp_path: write("a.csv", "text") or write("a.csv", b"bytes")."""

    def _write(name: str, content: str | bytes) -> Path:
        p = tmp_path / "in" / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
        return p

    return _write


def bearer(svc: Any, role: str = "admin", name: str | None = None) -> dict[str, str]:
    """Headers for a new user of `role` in svc's store (a fresh name per call unless given)."""
    import secrets

    token = svc.users.add(name or f"{role}-{secrets.token_hex(3)}", role)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def auth_headers() -> Any:
    """auth_headers(services, role) -> the Authorization header of a new user with that role."""
    return bearer


@pytest.fixture
def api_client(services: Any) -> Any:
    """api_client(role="admin") -> a TestClient over one app on the `services` fixture, signed in as a new user
    of that role. The lifespan is not entered: the fixture closes the services."""
    from fastapi.testclient import TestClient

    from api.main import create_app

    app = create_app(services)

    def _client(role: str = "admin", name: str | None = None) -> TestClient:
        return TestClient(app, headers=bearer(services, role, name))

    return _client
