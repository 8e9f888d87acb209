"""The server's own secret (signing web sessions' CSRF tokens), created on first start and kept in the data
directory, readable only by its owner, so `synth serve` needs nothing set in the environment and every worker
process of one store shares it."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

SECRET_FILE = "server-secret"


def load_or_create_secret(data_dir: Path) -> bytes:
    path = data_dir / SECRET_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # exactly one process creates it
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    for _ in range(50):  # another process may be between creating and writing the file
        value = path.read_text().strip()
        if value:
            return bytes.fromhex(value)
        import time

        time.sleep(0.02)
    raise RuntimeError(f"{path} is empty: delete it and start again")
