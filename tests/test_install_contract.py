"""The install contract: the distribution that `pip install` builds holds every package and data file the
runtime needs, so every feature works installed as the README says (not only from a checkout).

Builds the real wheel with pip (isolated build, as a user's install does) and compares it with the tree: every
Python package under the distribution's top-level packages and every data file beside their modules must be in it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.paths import REPO

pytestmark = pytest.mark.slow


def _top_level_packages() -> list[str]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["packages"]["find"]["include"]
    return sorted({p.rstrip("*").rstrip(".") for p in patterns})


def _shipped_files_in_tree(top: str) -> set[str]:
    """Every file a package directory holds that an install must carry: modules and data, not caches."""
    files = set()
    for path in (REPO / top).rglob("*"):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix in {".pyc", ".pyo"}:
            continue
        # A folder without __init__.py below a package is data only if the package declares it; modules are
        # only importable from packages, so a stray .py outside one is not part of the contract.
        package_dir = path.parent
        if path.suffix == ".py" and not (package_dir / "__init__.py").is_file():
            continue
        files.add(path.relative_to(REPO).as_posix())
    return files


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # Build from a clean copy: setuptools leaves build/ in the source tree, and a stale build/lib would both
    # litter the checkout and carry removed modules into later wheels.
    source = tmp_path_factory.mktemp("source") / "synth"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".synth*", "sample_city"))
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (built,) = out.glob("synth-*.whl")
    return built


@pytest.fixture(scope="module")
def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


def test_every_package_and_data_file_is_in_the_wheel(wheel_names: set[str]) -> None:
    tops = _top_level_packages()
    assert {"synth", "api", "vectorstore", "prompts"} <= set(tops)
    missing = sorted(f for top in tops for f in _shipped_files_in_tree(top) if f not in wheel_names)
    assert not missing, f"not in the built distribution (pyproject.toml package-data?): {missing[:20]}"


def test_the_wheel_installs_the_synth_command(wheel: Path, wheel_names: set[str]) -> None:
    (entry_points,) = [n for n in wheel_names if n.endswith(".dist-info/entry_points.txt")]
    with zipfile.ZipFile(wheel) as zf:
        text = zf.read(entry_points).decode()
    assert "synth = synth.cli:app" in text
