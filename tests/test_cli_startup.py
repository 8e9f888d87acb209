"""Light `synth` commands stay light: help and stats import none of the heavy libraries (presidio, spaCy,
Chroma, ONNX Runtime, LangChain, scikit-learn, matplotlib); the commands that need them import them when run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .paths import REPO

HEAVY = ("presidio_analyzer", "presidio_anonymizer", "spacy", "chromadb", "onnxruntime", "langchain",
         "langchain_core", "langchain_openai", "langchain_chroma", "langchain_text_splitters", "sklearn",
         "matplotlib")
REPORT = f"print(sorted(m for m in sys.modules if m.split('.')[0] in {set(HEAVY)!r}))"


def _run(code: str, cwd: Path = REPO, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=True,
                          env=env, timeout=120)


def test_importing_the_cli_imports_nothing_heavy() -> None:
    out = _run(f"import synth.cli, sys; {REPORT}")
    assert out.stdout.strip() == "[]"


def test_help_imports_nothing_heavy() -> None:
    code = ("import sys\nfrom synth.cli import app\n"
            "for argv in (['--help'], ['sample', '--help'], ['themes', '--help'], ['ingest', '--help']):\n"
            "    try:\n        app(argv)\n    except SystemExit as e:\n        assert e.code == 0, argv\n"
            f"{REPORT}")
    out = _run(code)
    assert "sample" in out.stdout and "ingest" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_stats_on_an_empty_store_imports_nothing_heavy(tmp_path: Path) -> None:
    env = {**os.environ, "SYNTH_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(REPO)}
    code = ("import sys\nfrom synth.cli import app\n"
            "try:\n    app(['stats', '--json'])\nexcept SystemExit as e:\n    assert not e.code\n"
            f"{REPORT}")
    out = _run(code, cwd=tmp_path, env=env)
    assert out.stdout.strip().splitlines()[-1] == "[]"
