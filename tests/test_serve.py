"""`synth serve` starts with no secret in the environment (it keeps its own in the data directory), says where
to go next, and answers as a real server: public health, 401 without a token, 200 with one."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from synth.server_secret import SECRET_FILE, load_or_create_secret

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_needs_no_secret_and_tells_the_newcomer_what_to_do(cli_env: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNTH_") or k in (
        "SYNTH_DATA_DIR", "SYNTH_EMBEDDER", "SYNTH_REDACTOR")}
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "synth.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(240):
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            pytest.fail("synth serve did not answer /health")
        assert httpx.get(f"{url}/districts").status_code == 401
        token = subprocess.run([sys.executable, "-m", "synth.cli", "users", "add", "root", "--role", "admin"],
                               env=env, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        assert httpx.get(f"{url}/districts", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
    assert f"http://localhost:{port}/" in stderr and "/docs" in stderr
    assert "synth users add NAME --role admin" in stderr
    secret = cli_env / SECRET_FILE
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600 and len(secret.read_text().strip()) == 64


def test_the_server_secret_is_created_once_and_then_kept(tmp_path: Path) -> None:
    first = load_or_create_secret(tmp_path)
    assert load_or_create_secret(tmp_path) == first and len(first) == 32
