"""Paths tests share: the repository and the real public data beside it (../shared/data)."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
