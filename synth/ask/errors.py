"""Errors of `synth ask` (subclasses of synth's SynthError)."""

from __future__ import annotations

from synth.errors import SynthError


class QuestionError(SynthError):
    """The question itself cannot be taken (empty, too long, unknown conversation)."""
