"""Children that a test interrupts with SIGINT."""

from __future__ import annotations

import signal


def interruptible() -> None:
    """`preexec_fn` for a child the test will Ctrl-C. A shell that starts the test run in the background (nohup,
    `&`, some CI runners) leaves SIGINT ignored, an ignored signal stays ignored across exec, and Python then
    never installs its KeyboardInterrupt handler: the child would run on as if nothing was sent."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
