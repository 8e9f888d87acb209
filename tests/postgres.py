"""A real PostgreSQL server for the test session, from Debian's packages (postgresql-15: initdb, pg_ctl).

PostgreSQL refuses to run as root, so when the tests run as root the cluster is made and run by `nobody`, in a
directory that user owns. The server listens on a free loopback port with `trust` authentication (loopback
only, a throwaway cluster) and durability switched off (fsync) to keep the tests fast."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

USER = "synth"
RUN_AS = "nobody"  # when root


def server_bin() -> Path | None:
    """The directory holding initdb and pg_ctl (the newest installed version), or None."""
    if found := shutil.which("initdb"):
        return Path(found).resolve().parent
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(dirs[-1]).parent if dirs else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(argv: list[str]) -> None:
    if os.geteuid() == 0:
        argv = ["runuser", "-u", RUN_AS, "--", *argv]
    subprocess.run(argv, check=True, capture_output=True, text=True, timeout=120)


@contextmanager
def running_server() -> Iterator[str]:
    """Start a fresh cluster; yield its admin URL (`postgresql+psycopg://synth@127.0.0.1:PORT/postgres`)."""
    bin_dir = server_bin()
    assert bin_dir is not None
    root = Path(tempfile.mkdtemp(prefix="synth-pg-"))  # under /tmp: reachable by `nobody`, unlike pytest's tmp
    data, log = root / "data", root / "server.log"
    if os.geteuid() == 0:
        shutil.chown(root, RUN_AS)
    os.chmod(root, 0o700)
    port = _free_port()
    try:
        _run([str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync"])
        _run([str(bin_dir / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(data), "-l", str(log), "-o",
              f"-p {port} -c listen_addresses=127.0.0.1 -k {root} -c fsync=off -c full_page_writes=off "
              "-c max_connections=200"])
    except subprocess.CalledProcessError as e:
        tail = log.read_text()[-2000:] if log.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {e.stderr or e.stdout}\n{tail}") from e
    try:
        yield f"postgresql+psycopg://{USER}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run((["runuser", "-u", RUN_AS, "--"] if os.geteuid() == 0 else [])
                       + [str(bin_dir / "pg_ctl"), "stop", "-D", str(data), "-m", "fast", "-w"],
                       capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """A new empty database on the server (dropped afterwards, with any connection still open to it)."""
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(_libpq(admin_url), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
