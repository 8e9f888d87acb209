"""One error hierarchy for synth. Every message says what went wrong and what to do next.

    SynthError
    ├── ConfigError          settings are missing or inconsistent
    ├── InputError           a whole input file cannot be read (empty, wrong encoding, unknown format)
    ├── RowError             one row/record is invalid; carries file, row, field, reason (ingest reports
    │                        it as a rejection and carries on with the other rows)
    ├── QuestionError        `ask` cannot take the question (empty, too long)
    ├── TaxonomyError        a taxonomy edit cannot be made (a theme with too few spans to split)
    │   └── ThemeNotFound    the edit names a theme the taxonomy does not have
    ├── DatasetError         an eval dataset cannot be loaded (`synth eval`; the message names file, row, field)
    ├── StoreError           the system of record or the vector index failed
    ├── EmbeddingError       the embedding model could not be loaded or run
    └── LLMError             the generative model failed or kept returning invalid output
        ├── AskLLMError      ... during `ask`; carries the tokens spent before the failure (synth/ask/llm.py)
        └── StructuredOutputError   replies kept failing to parse or the checks after the re-asks; carries
                                    the attempts and the last reply (synth/llm/structured.py)

The API maps these to HTTP responses in one handler (api/errors.py); the CLI prints the message on one line
and exits 1 (synth/cli_common.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synth.llm.model import Attempt, ChatReply


class SynthError(Exception):
    """Base class for every error synth raises on purpose."""


class ConfigError(SynthError):
    pass


class InputError(SynthError):
    """`reason` is kept in the run's record, so it never quotes the input; `detail` (e.g. the names of unknown
    columns, which come from the input) is for the terminal only."""

    def __init__(self, file: str, reason: str, detail: str = "") -> None:
        self.file = file
        self.reason = reason
        self.detail = detail
        super().__init__(f"{file}: {reason}")


class RowError(SynthError):
    def __init__(self, file: str, row: int | None, field: str | None, reason: str) -> None:
        self.file = file
        self.row = row
        self.field = field
        self.reason = reason
        where = file if row is None else f"{file}, row {row}"
        if field:
            where += f", field '{field}'"
        super().__init__(f"{where}: {reason}")


class QuestionError(SynthError):
    """The question itself cannot be taken (empty, too long)."""


class AccountError(SynthError):
    """A user-management request cannot be done (unknown role, taken name, short password, no such user)."""


class TaxonomyError(SynthError):
    """A coordinator's taxonomy edit cannot be made."""


class ThemeNotFound(TaxonomyError):
    """An edit names a theme id the taxonomy does not have."""


class DatasetError(SynthError):
    """Bad eval dataset input (evals/datasets.py); the message names the file, row and field."""


class StoreError(SynthError):
    pass


class EmbeddingError(SynthError):
    pass


class LLMError(SynthError):
    pass


class StructuredOutputError(LLMError):
    """The model's replies still failed to parse or the checks after every re-ask. `attempts` holds each call
    (its reply, parsed value or None, problems and tokens), `last_reply` the final reply (text, usage and
    finish reason)."""

    def __init__(self, message: str, attempts: Sequence[Attempt[Any]], last_reply: ChatReply) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.last_reply = last_reply
