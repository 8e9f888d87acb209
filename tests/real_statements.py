"""The false-positive corpus: real resident statements from the Polis conversations in ../shared/data that hold
no personal data. Every statement of the five comment files, in file order, except the few that do name a
person or hold an e-mail (listed below, found by reading every statement that holds a capitalised census given
name, an "@", a phone-like number, or that any version of the redactor changed). Nothing is copied into the
repository: the statements are read from the shared data.

Data gathered using the Polis software (compdemocracy.org/polis), sub-licensed under CC BY 4.0 with
attribution to The Computational Democracy Project.
"""

from __future__ import annotations

import csv
from pathlib import Path

from tests.paths import SHARED_DATA

POLIS = SHARED_DATA / "polis"
CONVERSATIONS = ["bg2050-volunteers", "london.youth.policing", "15-per-hour-seattle", "ssis.land-bank-farmland"]

# (conversation, comment id) of statements that hold personal data: they belong to the recall side, not here.
HOLD_PERSONAL_DATA = {
    ("bg2050-volunteers", "220"),  # names two musicians
    ("bg2050-volunteers", "251"),  # an e-mail address
    ("15-per-hour-seattle", "30"),  # a first name ("hola ...")
    ("15-per-hour-seattle", "31"),  # the same first name
    ("15-per-hour-seattle", "42"),  # names an author
    ("ssis.land-bank-farmland", "220"),  # names three people
}


def available() -> bool:
    return (POLIS / "bowling_green_comments_topics.csv").is_file()


def _rows(path: Path, id_column: str, text_column: str) -> list[tuple[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return [(row[id_column], row[text_column]) for row in csv.DictReader(f) if row[text_column].strip()]


def statements() -> list[tuple[str, str, str]]:
    """(conversation, comment id, text) of every statement without personal data."""
    found = [("bowling_green", cid, text)
             for cid, text in _rows(POLIS / "bowling_green_comments_topics.csv", "comment_id", "text")]
    for conversation in CONVERSATIONS:
        found += [(conversation, cid, text)
                  for cid, text in _rows(POLIS / conversation / "comments.csv", "comment-id", "comment-body")]
    return [row for row in found if (row[0], row[1]) not in HOLD_PERSONAL_DATA]
