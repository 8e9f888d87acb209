"""Several API processes on one store, as a city runs them: two `synth serve` processes (and one with
`--workers 2`) on one PostgreSQL store and one Chroma server. A note-taker's records posted to one are counted
and answered from by the other, for leadership, at once, while both take writes at the same time, with no
server error; accounts and tokens live in the store, so one issued or revoked is known to every process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from synth.db import RecordStore
from synth.users import Role, UserStore

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

DISTRICTS = ["District 1", "District 2", "District 3"]
TEXTS = ["The street lights on {s} are out again", "Cars speed past the school on {s} every morning",
         "Thank you for the new crossing guard on {s}"]
STREETS = ["Elm St", "Oak St", "Ash St", "Pine St", "Main St", "Canal St", "Front St"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def store_env(tmp_path: Path, postgres_url: str, chroma_server: str) -> dict[str, str]:
    """The environment every API process and CLI command of the test shares: one PostgreSQL store, one
    Chroma server collection (and no SQLite file or embedded index of their own)."""
    return {**os.environ, "SYNTH_EMBEDDER": "hashing", "SYNTH_REDACTOR": "regex",
            "SYNTH_DATA_DIR": str(tmp_path / "data"), "SYNTH_DATABASE_URL": postgres_url,
            "SYNTH_CHROMA_URL": chroma_server, "SYNTH_COLLECTION": f"workers_{tmp_path.name[-8:]}",
            "PYTHONPATH": str(Path(__file__).parents[1])}


@pytest.fixture
def tokens(postgres_url: str) -> dict[str, str]:
    """A bearer header for a note-taker and one for leadership, made in the shared store."""
    store = RecordStore(postgres_url)
    try:
        users = UserStore(store.engine)
        return {role: users.add(f"{role}-user", Role(role)) for role in ("note_taker", "leadership")}
    finally:
        store.close()


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def serving(env: dict[str, str], log: Path, workers: int = 1) -> Iterator[str]:
    """`synth serve` on a free loopback port until the block ends; its base URL."""
    port = _free_port()
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "synth.cli", "serve", "--port", str(port),
                                 "--workers", str(workers)], env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, f"synth serve exited {proc.returncode}:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"synth serve did not answer:\n{log.read_text()[-3000:]}"
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _batch(n: int, size: int = 8) -> list[dict[str, str]]:
    return [{"id": f"b{n}-{i}", "text": TEXTS[(n + i) % 3].format(s=STREETS[(n * size + i) % 7]) + ".",
             "district": DISTRICTS[(n + i) % 3], "date": f"2026-11-{1 + (n + i) % 27:02d}"} for i in range(size)]


def _counts(url: str, token: str) -> dict[str | None, int]:
    got = httpx.get(f"{url}/districts", headers=_auth(token), timeout=60)
    assert got.status_code == 200, got.text
    return {d["district"]: d["records"] for d in got.json()}


def _exercise(urls: list[str], tokens: dict[str, str], batches: int = 12) -> tuple[list[int], dict[str | None, int]]:
    """The note-taker posts `batches` batches spread over the servers, four at a time, each followed by
    leadership reading the counts from another server; the statuses of every request and the expected counts
    per district."""
    def post_then_read(n: int) -> list[int]:
        posted = httpx.post(f"{urls[n % len(urls)]}/records", json={"records": _batch(n), "source": f"b{n}"},
                            headers=_auth(tokens["note_taker"]), timeout=120)
        assert posted.status_code >= 500 or posted.json()["accepted"] == 8, posted.text
        read = httpx.get(f"{urls[(n + 1) % len(urls)]}/districts", headers=_auth(tokens["leadership"]),
                         timeout=60)
        return [posted.status_code, read.status_code]

    with ThreadPoolExecutor(4) as pool:
        statuses = [s for pair in pool.map(post_then_read, range(batches)) for s in pair]
    expected: dict[str | None, int] = {}
    for n in range(batches):
        for rec in _batch(n):
            expected[rec["district"]] = expected.get(rec["district"], 0) + 1
    return statuses, expected


def test_two_servers_on_one_postgresql_store_see_each_others_records(store_env: dict[str, str],
                                                                     tokens: dict[str, str], postgres_url: str,
                                                                     tmp_path: Path) -> None:
    note_taker, leadership = _auth(tokens["note_taker"]), _auth(tokens["leadership"])
    with ExitStack() as stack:
        a = stack.enter_context(serving(store_env, tmp_path / "a.log"))
        b = stack.enter_context(serving(store_env, tmp_path / "b.log"))
        first = httpx.post(f"{a}/records", json={"records": _batch(100), "source": "first"}, headers=note_taker,
                           timeout=120)
        assert first.status_code == 200 and first.json()["accepted"] == 8, first.text
        assert sum(_counts(b, tokens["leadership"]).values()) == 8  # posted to A, counted by B at once
        assert httpx.get(f"{b}/districts", headers=note_taker, timeout=60).status_code == 403
        assert httpx.get(f"{b}/districts", timeout=60).status_code == 401

        statuses, expected = _exercise([a, b], tokens)
        assert [s for s in statuses if s >= 500] == [] and set(statuses) == {200}
        for district, n in expected.items():
            expected[district] = n + sum(1 for r in _batch(100) if r["district"] == district)
        assert _counts(a, tokens["leadership"]) == _counts(b, tokens["leadership"]) == expected

        again = httpx.post(f"{b}/records", json={"records": _batch(3), "source": "again"}, headers=note_taker,
                           timeout=120)
        assert again.json()["accepted"] == 0 and again.json()["duplicates"] == 8  # A stored them: B knows
        # A CLI command on the same store annotates what both servers stored; B answers from it.
        done = subprocess.run([sys.executable, "-m", "synth.cli", "annotations", "export", "--out",
                               str(tmp_path / "annotations.csv")], env=store_env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr
        answer = httpx.post(f"{b}/ask", json={"question": "What do residents say about street lights in "
                                                          "District 1?"}, headers=leadership, timeout=120)
        assert answer.status_code == 200, answer.text
        cited = {c["record_id"] for c in answer.json()["citations"]}
        assert cited and cited <= {r["id"] for n in [*range(12), 100] for r in _batch(n)}

        # A token issued while both run works on both at once; revoked, it works on neither.
        store = RecordStore(postgres_url)
        users = UserStore(store.engine)
        fresh = _auth(users.issue_token("leadership-user"))
        assert [httpx.get(f"{u}/districts", headers=fresh, timeout=60).status_code for u in (a, b)] == [200, 200]
        users.revoke("leadership-user")
        store.close()
        assert [httpx.get(f"{u}/districts", headers=fresh, timeout=60).status_code for u in (a, b)] == [401, 401]
    for log in ("a.log", "b.log"):
        assert "Traceback" not in (tmp_path / log).read_text()


def test_one_server_with_two_workers_on_one_postgresql_store(store_env: dict[str, str], tokens: dict[str, str],
                                                             tmp_path: Path) -> None:
    with serving(store_env, tmp_path / "w.log", workers=2) as url:
        statuses, expected = _exercise([url], tokens, batches=10)
        assert [s for s in statuses if s >= 500] == [] and set(statuses) == {200}
        assert _counts(url, tokens["leadership"]) == expected
    log = (tmp_path / "w.log").read_text()
    assert "Traceback" not in log and log.count("Started server process") == 2  # two worker processes


def test_two_servers_summarise_new_records_at_the_same_time(store_env: dict[str, str], tokens: dict[str, str],
                                                            tmp_path: Path) -> None:
    """Both servers find the same records not yet annotated (each has its background refresher) while summary
    requests reach both at once: every request answers, no server error, and both show the exact counts within
    the freshness bound (60 s)."""
    note_taker, leadership = _auth(tokens["note_taker"]), _auth(tokens["leadership"])
    with ExitStack() as stack:
        a = stack.enter_context(serving(store_env, tmp_path / "a.log"))
        b = stack.enter_context(serving(store_env, tmp_path / "b.log"))
        for round_ in range(2):  # a fresh store (taxonomy seeded by the first), then new records on it
            for n in range(4 * round_, 4 * round_ + 4):
                posted = httpx.post(f"{a}/records", json={"records": _batch(n), "source": f"b{n}"},
                                    headers=note_taker, timeout=120)
                assert posted.status_code == 200, posted.text
            expected = sum(1 for n in range(4 * round_ + 4) for r in _batch(n) if r["district"] == "District 1")
            deadline, counts = time.monotonic() + 60, set()
            while time.monotonic() < deadline:
                with ThreadPoolExecutor(4) as pool:
                    got = list(pool.map(lambda url: httpx.get(f"{url}/summaries/District 1",
                                                              params={"period": "all"}, headers=leadership,
                                                              timeout=300), [a, b, a, b]))
                assert [r.status_code for r in got] == [200] * 4, [r.text[:300] for r in got]
                counts = {r.json()["counts"]["records"] for r in got}
                if counts == {expected}:
                    break
                time.sleep(1)
            assert counts == {expected}
    for log in ("a.log", "b.log"):
        assert "Traceback" not in (tmp_path / log).read_text()
