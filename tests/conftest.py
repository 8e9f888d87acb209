"""Shared fixtures. The Chroma server is real: `chroma run` on a free loopback port, started once per session."""

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

from synth.settings import Settings


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
    return Settings(data_dir=tmp_path / "data", chroma_url=chroma_url, collection=collection,
                    embedder="hashing", redactor="regex", ingest_batch_size=64, _env_file=None)


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
