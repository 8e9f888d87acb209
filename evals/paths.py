"""Where the real public data lives: ``../shared/data`` beside the repository, or ``$SYNTH_SHARED_DATA``."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ENV_VAR = "SYNTH_SHARED_DATA"


def shared_data() -> Path:
    """The shared data folder: $SYNTH_SHARED_DATA when set, else <repo>/../shared/data."""
    configured = os.environ.get(ENV_VAR)
    return Path(configured).expanduser().resolve() if configured else REPO.parent / "shared" / "data"


def shared_file(*parts: str) -> Path:
    """A file under the shared data folder; a clear error when it is missing."""
    path = shared_data().joinpath(*parts)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: put the shared data at {REPO.parent / 'shared' / 'data'} "
                                f"or set {ENV_VAR} to its folder")
    return path
