"""The architecture's rules, checked on the code itself (ARCHITECTURE.md draws them):

- one boundary for generative models: only `synth/llm/` imports LangChain's chat, message, runnable and output
  classes, `langchain_openai` or `openai`;
- small modules: no runtime module (`synth/`, `api/`, `vectorstore/`) over 400 lines;
- runtime code only in the runtime package: the test-data generator and training scripts are not under `synth/`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.paths import REPO

RUNTIME = ("synth", "api", "vectorstore")
MAX_LINES = 400
# LangChain's model-facing classes: the chat models, messages, runnables and output parsers/results.
MODEL_MODULES = ("langchain_core.language_models", "langchain_core.messages", "langchain_core.runnables",
                 "langchain_core.output_parsers", "langchain_core.outputs", "langchain_openai", "openai")


def _modules(*tops: str) -> list[Path]:
    return sorted(p for top in tops for p in (REPO / top).rglob("*.py") if "__pycache__" not in p.parts)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _is_model_import(name: str) -> bool:
    return any(name == m or name.startswith(m + ".") for m in MODEL_MODULES)


def test_only_synth_llm_imports_the_chat_model_stack() -> None:
    boundary = REPO / "synth" / "llm"
    offenders = {
        str(p.relative_to(REPO)): sorted(n for n in _imports(p) if _is_model_import(n))
        for p in _modules("synth", "api", "vectorstore", "evals", "bench")
        if boundary not in p.parents
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_boundary_check_sees_imports(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("from langchain_core.messages import AIMessage\nimport openai\nfrom . import x\n")
    assert sorted(n for n in _imports(probe) if _is_model_import(n)) == ["langchain_core.messages", "openai"]


@pytest.mark.parametrize("top", RUNTIME)
def test_no_runtime_module_is_over_400_lines(top: str) -> None:
    sizes = {str(p.relative_to(REPO)): len(p.read_text(encoding="utf-8").splitlines()) for p in _modules(top)}
    assert sizes, f"no modules under {top}/"
    assert {path: n for path, n in sizes.items() if n > MAX_LINES} == {}


def test_test_data_generation_and_training_are_not_in_the_runtime_package() -> None:
    runtime = {p.relative_to(REPO).as_posix() for p in _modules("synth")}
    assert "synth/sample.py" not in runtime
    assert not any("train" in Path(p).name for p in runtime), sorted(p for p in runtime if "train" in p)
