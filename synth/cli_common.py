"""What every `synth` command shares: consoles, the services context and the progress bar."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from synth.errors import SynthError
from synth.settings import Settings

if TYPE_CHECKING:
    from synth.services import Services

out = Console(soft_wrap=True)  # one record, one line: greppable output
err = Console(stderr=True, soft_wrap=True)


@contextmanager
def services() -> Iterator[Services]:
    from synth.services import Services  # the component graph imports presidio, spaCy, Chroma: only when needed

    try:
        svc = Services(Settings())
    except ValueError as e:  # pydantic-settings validation
        err.print(f"[red]error:[/] bad settings: {e}")
        raise typer.Exit(1) from None
    try:
        yield svc
    except SynthError as e:
        err.print(f"[red]error:[/] {e}")
        raise typer.Exit(1) from None
    finally:
        svc.close()


@contextmanager
def progress_bar() -> Iterator[Progress]:
    bar = Progress(TextColumn("{task.description:<8}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=err, transient=True, disable=not err.is_terminal)
    with bar:
        yield bar


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a service manager stopping the command, `kill`) ends the work as Ctrl-C does, so the run is
    recorded as interrupted instead of being left "running"."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
