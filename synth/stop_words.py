"""scikit-learn's English stop words, read without importing scikit-learn.

Theme naming and question parsing use the list on every `synth ask`; importing `sklearn` to get it costs
about 1.5 s (its package init pulls in scipy.stats), more than the rest of a warm answer. The list is a plain
literal in `sklearn/feature_extraction/_stop_words.py`: it is parsed from there (never executed), so synth
keeps scikit-learn's exact list, version for version. `tests/test_ask_warm_path.py` compares it with the import.
"""

from __future__ import annotations

import ast
import importlib.util
from functools import cache
from pathlib import Path


@cache
def english_stop_words() -> frozenset[str]:
    spec = importlib.util.find_spec("sklearn")  # finds the package without running its __init__
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("scikit-learn is not installed")
    source = Path(next(iter(spec.submodule_search_locations))) / "feature_extraction" / "_stop_words.py"
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if (isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "ENGLISH_STOP_WORDS" for t in node.targets)
                and isinstance(node.value, ast.Call) and node.value.args):
            return frozenset(ast.literal_eval(node.value.args[0]))
    raise ImportError(f"no ENGLISH_STOP_WORDS literal in {source}")  # a scikit-learn that moved it


ENGLISH_STOP_WORDS = english_stop_words()
