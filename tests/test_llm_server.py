"""A local model server that exits is reported as such: its exit code or signal and the end of its log, on the
server object (`LocalServer.exit_report`) and on the tests that need it (tests/conftest.py's hooks)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from synth.llm.serve import LocalServer, ServerOptions
from tests import conftest


def _server(tmp_path: Path, script: str) -> LocalServer:
    log_path = tmp_path / "server.log"
    handle = log_path.open("wb")
    process = subprocess.Popen([sys.executable, "-c", script], stdout=handle, stderr=subprocess.STDOUT)
    return LocalServer(process, ServerOptions(port=8099), log_path, _log_handle=handle)


def test_a_running_server_has_no_exit_report(tmp_path: Path) -> None:
    server = _server(tmp_path, "import time; time.sleep(30)")
    try:
        assert server.exit_report() is None
    finally:
        server.stop()
    assert "was killed by SIGTERM" in (server.exit_report() or "")


def test_an_exited_server_reports_its_code_and_the_end_of_its_log(tmp_path: Path) -> None:
    server = _server(tmp_path, "import sys\nfor i in range(40): print(f'line {i}')\nprint('ggml: fault')\nsys.exit(3)")
    server.process.wait(30)
    report = server.exit_report()
    assert report is not None
    assert "http://127.0.0.1:8099/v1 exited with code 3" in report
    assert report.rstrip().endswith("ggml: fault")
    assert "line 39" in report and "line 5\n" not in report  # only the end of the log
    server.stop()


def test_a_server_killed_by_a_signal_names_the_signal(tmp_path: Path) -> None:
    server = _server(tmp_path, "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)")
    server.process.wait(30)
    assert "was killed by SIGSEGV" in (server.exit_report() or "")
    assert server.process.returncode == -signal.SIGSEGV
    server.stop()


def test_tests_that_need_a_dead_server_fail_with_its_report(tmp_path: Path) -> None:
    server = _server(tmp_path, "print('loading model'); raise SystemExit(139)")
    server.process.wait(30)
    conftest._LLM_SERVERS.append(server)
    try:
        needs_server = SimpleNamespace(fixturenames=["llm_settings", "llm_server"])
        with pytest.raises(pytest.fail.Exception, match="exited with code 139") as failed:
            conftest.pytest_runtest_setup(needs_server)  # type: ignore[arg-type]
        assert "loading model" in str(failed.value)
        conftest.pytest_runtest_setup(SimpleNamespace(fixturenames=["tmp_path"]))  # type: ignore[arg-type]
    finally:
        conftest._LLM_SERVERS.remove(server)
        server.stop()


def test_make_llm_and_synth_llm_serve_share_one_model_directory(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    from synth.settings import Settings

    monkeypatch.delenv("SYNTH_MODEL_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    # scripts/setup_llm.sh's default, which `make llm` passes as LLM_MODEL_DIR
    setup_default = tmp_path / "home" / ".cache" / "synth" / "models"
    assert Settings(_env_file=None).model_dir == setup_default
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert Settings(_env_file=None).model_dir == tmp_path / "xdg" / "synth" / "models"
    monkeypatch.setenv("SYNTH_MODEL_DIR", str(tmp_path / "elsewhere"))
    assert Settings(_env_file=None).model_dir == tmp_path / "elsewhere"


def _installed_ggml_libraries() -> list[Path]:
    import importlib.util

    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        return []
    package = Path(next(iter(spec.submodule_search_locations)))
    return sorted(p for p in package.rglob("lib*.so*") if "ggml" in p.name)


def test_the_installed_llama_cpp_runs_on_any_x86_64_cpu_of_this_kind() -> None:
    """scripts/setup_llm.sh builds llama.cpp for a portable baseline: no AMX tile or AVX-512 code, which
    crashed the server on CPUs that advertise AMX when it was built with GGML_NATIVE."""
    import platform
    import shutil

    if platform.machine() != "x86_64":
        pytest.skip("the ISA check is for x86-64")
    libraries = _installed_ggml_libraries()
    if not libraries:
        pytest.skip("llama-cpp-python is not installed (make llm)")
    objdump = shutil.which("objdump")
    if objdump is None:
        pytest.skip("objdump (binutils) is not installed")
    cpu = [p for p in libraries if "ggml-cpu" in p.name]
    assert cpu, f"no CPU backend among {[p.name for p in libraries]}"
    for library in cpu:
        code = subprocess.run([objdump, "-d", "--no-show-raw-insn", str(library)], capture_output=True, text=True,
                              check=True).stdout
        assert "%xmm" in code  # the disassembly is real: SSE registers are everywhere
        assert "%zmm" not in code, f"{library.name} has AVX-512 code"
        assert "ldtilecfg" not in code and "%tmm" not in code, f"{library.name} has AMX tile code"
