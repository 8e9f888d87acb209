"""Browser tests: a real `synth serve` on a free loopback port, over a store built by the real CLI (the sample
city, or a real Polis conversation), with one user of each role; Debian's Chromium driven headless by
Playwright (Playwright's own browser downloads are never used); axe-core checks each page.

Every test here is marked `browser` and `slow`. Without Chromium they skip, except under CI (CI=true), where a
missing browser is a failure: .ci/run installs it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import _free_port
from tests.paths import REPO, SHARED_DATA

CHROMIUM = os.environ.get("SYNTH_TEST_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium reaches out at start and this machine refuses it.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
PASSWORD = "a long browser-test passphrase"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
POLIS_CONVERSATION = SHARED_DATA / "polis" / "london.youth.policing" / "comments.csv"
POLIS_DISTRICT = "London youth"
# SYNTH_WRITE_SCREENSHOTS=1: the screenshot test writes docs/screenshots/, over the `make demo` city and models
WRITING_SCREENSHOTS = bool(os.environ.get("SYNTH_WRITE_SCREENSHOTS"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


@dataclass
class Site:
    """A running `synth serve`: its address, data directory, and a signed-up user name per role."""

    base_url: str
    data_dir: Path
    env: dict[str, str]
    users: dict[str, str] = field(default_factory=dict)  # role -> user name (password: PASSWORD)
    tokens: dict[str, str] = field(default_factory=dict)  # role -> that user's API token
    log: Path | None = None

    def url(self, path: str) -> str:
        return self.base_url + path

    def api(self, path: str, role: str = "admin") -> Any:
        """GET an API route as `role` (to check what a page shows against the API)."""
        res = httpx.get(self.url(path), headers={"Authorization": f"Bearer {self.tokens[role]}"}, timeout=120)
        res.raise_for_status()
        return res.json()

    def district_records(self, district: str) -> int:
        return next((d["records"] for d in self.api("/districts") if d["district"] == district), 0)


def run_synth(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([sys.executable, "-m", "synth.cli", *args], env=env, input=stdin, capture_output=True,
                          text=True, timeout=600, cwd=REPO)
    if done.returncode != 0:
        raise AssertionError(f"synth {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return done.stdout


def _site_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNTH_")}
    env.update(SYNTH_DATA_DIR=str(data_dir), SYNTH_API_REQUESTS_PER_MINUTE="10000", PYTHONPATH=os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]))
    if not WRITING_SCREENSHOTS:  # fast stand-ins; the committed screenshots show the real models' work
        env.update(SYNTH_EMBEDDER="hashing", SYNTH_REDACTOR="regex")
    return env


def _start(data_dir: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = _free_port()
    log = data_dir.parent / "serve.log"
    handle = log.open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "synth.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=handle, stderr=subprocess.STDOUT, cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(base + "/health", timeout=2).status_code == 200:
                return proc, base, log
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"synth serve did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        message = f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


def _site(tmp: Path, ingest: list[str], *, seed_taxonomy: Path | None = None) -> Iterator[Site]:
    data_dir = tmp / "data"
    env = _site_env(data_dir)
    run_synth(env, "ingest", *ingest)
    if seed_taxonomy is not None:
        run_synth(env, "themes", "seed", str(seed_taxonomy))
    users, tokens = {}, {}
    for role in ("admin", "coordinator", "leadership", "note_taker"):
        name = f"{role.replace('_', '-')}-user"
        added = run_synth(env, "users", "add", name, "--role", role, "--password-stdin", stdin=PASSWORD + "\n")
        users[role], tokens[role] = name, added.strip().splitlines()[-1]
    proc, base, log = _start(data_dir, env)
    try:
        yield Site(base, data_dir, env, users, tokens, log)
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def city_site(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[Site]:
    """The sample city (a small one: 300 records, 6 districts; as `make demo`'s when writing screenshots)
    behind a running server."""
    tmp = tmp_path_factory.mktemp("city-site")
    records = "1500" if WRITING_SCREENSHOTS else "300"
    run_synth(_site_env(tmp / "data"), "sample", "--out", str(tmp / "city"), "--records", records)
    yield from _site(tmp, [str(tmp / "city" / "notes"), str(tmp / "city" / "comments")],
                     seed_taxonomy=tmp / "city" / "taxonomy.yaml")


@pytest.fixture(scope="session")
def polis_site(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[Site]:
    """A real Polis conversation (../shared/data) standing in for a district, behind a running server."""
    if not POLIS_CONVERSATION.exists():
        pytest.skip(f"{POLIS_CONVERSATION} is not here (the shared data sits beside the repository)")
    tmp = tmp_path_factory.mktemp("polis-site")
    yield from _site(tmp, [str(POLIS_CONVERSATION), "--profile", "polis", "--district", POLIS_DISTRICT])


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:  # launch() gives Chromium a fresh temporary user-data-dir of its own
        browser = pw.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def desktop(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now (axe.min.js from the
    axe-playwright-python package, injected into the page)."""
    from importlib.resources import files

    if not page.evaluate("typeof window.axe !== 'undefined'"):  # evaluated over DevTools: the pages' CSP stays on
        page.evaluate(files("axe_playwright_python").joinpath("axe.min.js").read_text("utf-8") + "\n;true")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def assert_accessible(page: Any) -> None:
    found = axe_violations(page)
    assert not found, f"axe-core: serious or critical violations on {page.url}: {found}"


def sign_in(page: Any, site: Site, role: str) -> None:
    page.goto(site.url("/signin"))
    page.get_by_label("User name").fill(site.users[role])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
