"""Hand-labelled civic sentiment: Polis statements from /shared/data/polis, labelled by reading them.

The labels (``evals/data/civic_sentiment/labels.csv``: ``conversation,comment_id,sentiment``) hold no statement
text; the text is read from the shared data at evaluation time, so nothing of the source enters the repository.
How the labels were decided: ``evals/data/civic_sentiment/GUIDE.md``. This set is an evaluation only: the
sentiment trainer never reads it.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from evals.paths import shared_file
from synth.errors import DatasetError
from synth.synthesis.models import SentimentLabel

LABELS_CSV = Path(__file__).resolve().parent / "data" / "civic_sentiment" / "labels.csv"
# Bowling Green's statements sit in the topics file (column `comment_id`, `text`); the others in Polis exports.
BOWLING_GREEN = "bowling-green"
_SOURCES = {BOWLING_GREEN: ("polis", "bowling_green_comments_topics.csv")}
_LABELS: frozenset[str] = frozenset(("negative", "neutral", "positive"))


@dataclass(frozen=True)
class CivicStatement:
    conversation: str
    comment_id: str
    text: str
    date: dt.date
    label: SentimentLabel

    @property
    def record_id(self) -> str:
        return f"polis-{self.conversation}-{self.comment_id}"


def _statements(conversation: str) -> dict[str, tuple[str, dt.date]]:
    """comment id -> (text, date) for one conversation's accepted statements."""
    parts = _SOURCES.get(conversation, ("polis", conversation, "comments.csv"))
    path = shared_file(*parts)
    id_col, text_col = ("comment_id", "text") if conversation == BOWLING_GREEN else ("comment-id", "comment-body")
    out: dict[str, tuple[str, dt.date]] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if (row.get("moderated") or "").strip() == "-1":
                continue
            date = dt.datetime.fromtimestamp(int(row["timestamp"]) / 1000, dt.UTC).date()
            out[(row.get(id_col) or "").strip()] = (" ".join((row.get(text_col) or "").split()), date)
    return out


def load_civic_statements(labels_csv: Path = LABELS_CSV) -> list[CivicStatement]:
    """Every labelled statement with its text, in the labels file's order. DatasetError names a bad row."""
    with labels_csv.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    sources: dict[str, dict[str, tuple[str, dt.date]]] = {}
    out: list[CivicStatement] = []
    for n, row in enumerate(rows, start=2):  # line numbers: the header is line 1
        conversation, cid, label = (row.get(k, "").strip() for k in ("conversation", "comment_id", "sentiment"))
        if label not in _LABELS:
            raise DatasetError(f"{labels_csv}: line {n}: field 'sentiment': expected one of {sorted(_LABELS)}")
        if conversation not in sources:
            sources[conversation] = _statements(conversation)
        found = sources[conversation].get(cid)
        if found is None or not found[0]:
            raise DatasetError(f"{labels_csv}: line {n}: no accepted statement {cid!r} in {conversation!r}")
        out.append(CivicStatement(conversation, cid, found[0], found[1], cast(SentimentLabel, label)))
    return out
